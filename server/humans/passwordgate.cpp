#include "server/humans/passwordgate.h"

#include "server/moderation/passwordhash.h"

namespace bw::humans {

namespace {
ApiError busy()
{
    return ApiError::unavailable(QStringLiteral("Too many sign-ins in progress, retry shortly"));
}
} // namespace

PasswordGate::PasswordGate(Options options) : m_options(options) {}

Status PasswordGate::enter()
{
    std::unique_lock lock(m_mutex);
    if (m_running < m_options.running) {
        ++m_running;
        return success();
    }
    if (m_waiting >= m_options.waiting) {
        ++m_rejected;
        return busy();
    }
    ++m_waiting;
    const bool admitted = m_freed.wait_for(lock, m_options.maxWait, [this] { return m_running < m_options.running; });
    --m_waiting;
    if (!admitted) {
        ++m_rejected;
        return busy();
    }
    ++m_running;
    return success();
}

void PasswordGate::leave()
{
    {
        std::lock_guard lock(m_mutex);
        --m_running;
    }
    m_freed.notify_one();
}

int PasswordGate::waiting() const
{
    std::lock_guard lock(m_mutex);
    return m_waiting;
}

Status PasswordGate::admit(const std::function<void()> &work)
{
    if (Status entered = enter(); !entered)
        return entered;
    try {
        work();
    } catch (...) {
        leave();
        throw;
    }
    leave();
    return success();
}

Result<QByteArray> PasswordGate::hash(const QString &password)
{
    Result<QByteArray> out = ApiError::internal(QStringLiteral("password hash not computed"));
    if (Status s = admit([&] { out = moderation::password::hash(password); }); !s)
        return s.error();
    return out;
}

Result<bool> PasswordGate::verify(const QByteArray &storedHash, const QString &password)
{
    bool matches = false;
    if (Status s = admit([&] { matches = moderation::password::verify(storedHash, password); }); !s)
        return s.error();
    return matches;
}

Status PasswordGate::dummyVerify(const QString &password)
{
    return admit([&] { moderation::password::dummyVerify(password); });
}

} // namespace bw::humans
