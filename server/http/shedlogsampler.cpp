#include "server/http/shedlogsampler.h"

#include <QElapsedTimer>

namespace bw::http {

ShedLogSampler::ShedLogSampler(int linesPerSecond, Clock clock) : m_perSecond(linesPerSecond), m_clock(std::move(clock))
{
    if (!m_clock) {
        m_clock = [timer = std::make_shared<QElapsedTimer>()] {
            if (!timer->isValid())
                timer->start();
            return timer->elapsed();
        };
    }
}

void ShedLogSampler::roll(Second &s, int status, qint64 now)
{
    if (s.start >= 0 && now - s.start < 1000)
        return;
    if (s.suppressed > 0) {
        if (!m_pending.isEmpty())
            m_pending += QStringLiteral("; ");
        m_pending +=
            QStringLiteral("%1 more %2 responses in one second were not logged one by one").arg(s.suppressed).arg(status);
    }
    s = Second{now, 0, 0};
}

bool ShedLogSampler::admit(int status)
{
    if (!isShed(status))
        return true;
    const qint64 now = m_clock();
    std::lock_guard lock(m_mutex);
    Second &s = status == 429 ? m_429 : m_503;
    roll(s, status, now);
    if (s.logged < m_perSecond) {
        ++s.logged;
        return true;
    }
    ++s.suppressed;
    m_dirty.store(true, std::memory_order_relaxed);
    return false;
}

std::optional<QString> ShedLogSampler::takeSummary()
{
    if (!m_dirty.load(std::memory_order_relaxed))
        return std::nullopt;
    const qint64 now = m_clock();
    std::lock_guard lock(m_mutex);
    roll(m_429, 429, now);
    roll(m_503, 503, now);
    if (m_429.suppressed == 0 && m_503.suppressed == 0)
        m_dirty.store(false, std::memory_order_relaxed);
    if (m_pending.isEmpty())
        return std::nullopt;
    return std::exchange(m_pending, QString());
}

} // namespace bw::http
