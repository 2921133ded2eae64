#include "server/jobs/backoff.h"

#include <QRandomGenerator>

#include <algorithm>
#include <cmath>

namespace bw::jobs {

qint64 backoffDelayMs(int attempt, int baseMs, int capMs, double unitRandom)
{
    const qint64 base = std::max(1, baseMs);
    const qint64 cap = std::max<qint64>(base, capMs);
    const int shift = std::clamp(attempt - 1, 0, 60);
    const double delay = std::min(double(cap), std::ldexp(double(base), shift)); // no overflow
    const double r = std::clamp(unitRandom, 0.0, 1.0);
    return std::max<qint64>(1, qint64(delay * (0.5 + 0.5 * r)));
}

qint64 backoffDelayMs(int attempt, int baseMs, int capMs)
{
    return backoffDelayMs(attempt, baseMs, capMs, QRandomGenerator::global()->generateDouble());
}

} // namespace bw::jobs
