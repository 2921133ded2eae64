#pragma once
// Retry delays: capped exponential backoff with "equal jitter" (half fixed, half random), so
// retries of many jobs that failed together spread out but still grow. Pure function; any thread.

#include <QtGlobal>

namespace bw::jobs {

// attempt: the 1-based attempt that just failed. unitRandom in [0, 1).
// delay = min(cap, base·2^(attempt-1)) · (0.5 + 0.5·unitRandom)
qint64 backoffDelayMs(int attempt, int baseMs, int capMs, double unitRandom);

// Same with a random draw from the global generator.
qint64 backoffDelayMs(int attempt, int baseMs, int capMs);

} // namespace bw::jobs
