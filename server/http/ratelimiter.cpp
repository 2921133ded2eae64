#include "ratelimiter.h"

#include <QDateTime>

namespace bw::http {

namespace {
qint64 systemClock()
{
    return QDateTime::currentSecsSinceEpoch();
}
} // namespace

InMemoryRateLimiter::InMemoryRateLimiter(Clock clock) : m_clock(clock ? clock : &systemClock) {}

RateDecision InMemoryRateLimiter::hit(const QString &key, int limit, int windowSeconds)
{
    const qint64 now = m_clock();
    const qint64 windowStart = now - now % windowSeconds;
    std::lock_guard lock(m_mutex);
    if (now - m_lastSweep >= windowSeconds) {
        std::erase_if(m_windows, [&](const auto &entry) { return entry.second.start < windowStart; });
        m_lastSweep = now;
    }
    Window &w = m_windows[key];
    if (w.start != windowStart)
        w = Window{windowStart, 0};
    RateDecision d;
    d.limit = limit;
    d.resetEpoch = windowStart + windowSeconds;
    if (w.count >= limit) {
        d.allowed = false;
        d.remaining = 0;
        d.retryAfter = int(std::max<qint64>(1, d.resetEpoch - now));
        return d;
    }
    ++w.count;
    d.remaining = limit - w.count;
    return d;
}

size_t InMemoryRateLimiter::trackedKeys() const
{
    std::lock_guard lock(m_mutex);
    return m_windows.size();
}

} // namespace bw::http
