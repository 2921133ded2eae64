#pragma once
// Fixed-window rate limiting (api.md §4) behind an interface, so that several server instances can
// share one store (PostgreSQL or Redis) later without touching the middleware.

#include <QHashFunctions>
#include <QString>

#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace bw::http {

struct RateDecision {
    bool allowed = true;
    int limit = 0;
    int remaining = 0;
    qint64 resetEpoch = 0; // when the current window ends (epoch seconds)
    int retryAfter = 0;    // seconds, when not allowed
};

class RateLimiter {
public:
    virtual ~RateLimiter() = default;
    // Counts one hit against key in the current window of windowSeconds.
    virtual RateDecision hit(const QString &key, int limit, int windowSeconds) = 0;
    // True when hit() does SQL: the pipeline then calls it on the request pool, never on an I/O thread.
    virtual bool usesDatabase() const { return false; }
};

// In-process store: one node. Thread-safe; expired windows are dropped as they are touched and swept
// periodically so memory follows the number of active callers.
class InMemoryRateLimiter final : public RateLimiter {
public:
    using Clock = qint64 (*)(); // epoch seconds; injectable for tests
    explicit InMemoryRateLimiter(Clock clock = nullptr);
    RateDecision hit(const QString &key, int limit, int windowSeconds) override;
    size_t trackedKeys() const;

private:
    struct Window {
        qint64 start = 0;
        int count = 0;
    };
    Clock m_clock;
    mutable std::mutex m_mutex;
    std::unordered_map<QString, Window> m_windows;
    qint64 m_lastSweep = 0;
};

} // namespace bw::http
