#pragma once
// Fixed-window rate limiting shared by every server instance on one PostgreSQL database (api.md §4,
// migration 0009). hit() runs on request-pool threads with the calling thread's connection: one
// upsert round trip, one row per bucket key (HOT update in place), windows from the database clock.
// Thread-safe. If the store fails it fails open to a per-node in-memory limiter (see hit()).

#include "server/core/result.h"
#include "server/http/ratelimiter.h"

#include <QHash>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>

namespace bw {
class Counter;
class Histogram;
class MetricsRegistry;
namespace db {
class Database;
}
} // namespace bw

namespace bw::http {

class PgRateLimiter final : public RateLimiter {
public:
    struct Options {
        // Expired counters are deleted this often (by whichever request thread notices first) …
        std::chrono::milliseconds sweepInterval{std::chrono::seconds(60)};
        // … at most this many rows per statement (short locks); a full batch re-arms the sweep soon.
        int sweepBatch = 2000;
        // After a store failure, stay on the in-memory fallback this long before trying again.
        std::chrono::milliseconds retryStoreAfter{std::chrono::seconds(1)};
    };

    PgRateLimiter(db::Database &database, MetricsRegistry *metrics);
    PgRateLimiter(db::Database &database, MetricsRegistry *metrics, Options options);
    ~PgRateLimiter() override;

    // Counts one hit in the shared store. A key already refused in its current window is refused
    // again locally without a round trip (counts only grow within a window, so this is exact).
    // Store failure (database down, table missing, timeout) → fails OPEN to a per-node in-memory
    // limit, logs a throttled warning and counts rate_limit_store_errors_total: a limiter outage
    // must not become an API outage, and each client stays bounded by limit × number of nodes.
    RateDecision hit(const QString &key, int limit, int windowSeconds) override;
    bool usesDatabase() const override { return true; }

    // Deletes counters whose window has ended (at most Options::sweepBatch rows); the number deleted.
    Result<int> sweep();

    quint64 storeErrors() const { return m_storeErrors.load(); }
    bool usingFallback() const;

private:
    struct Denied {
        int limit = 0;
        qint64 resetEpoch = 0;
        std::chrono::steady_clock::time_point until;
    };
    std::optional<RateDecision> cachedDenial(const QString &key, int limit);
    void rememberDenial(const QString &key, const RateDecision &d, double secondsLeft);
    void maybeSweep();
    RateDecision fallback(const QString &key, int limit, int windowSeconds, const QString &why);

    db::Database &m_db;
    Options m_options;
    InMemoryRateLimiter m_fallback;
    std::mutex m_deniedMutex;
    QHash<QString, Denied> m_denied;
    std::atomic<qint64> m_nextSweepMs{0};      // steady-clock ms
    std::atomic<qint64> m_storeDownUntilMs{0}; // steady-clock ms; 0 = store healthy
    std::atomic<qint64> m_lastWarningMs{0};
    std::atomic<quint64> m_storeErrors{0};
    Counter *m_errorsMetric = nullptr;
    Counter *m_deniedStoreMetric = nullptr;
    Counter *m_deniedCacheMetric = nullptr;
    Counter *m_fallbackMetric = nullptr;
    Counter *m_sweptMetric = nullptr;
    Histogram *m_latencyMetric = nullptr;
};

// The database key for a bucket: itself when short, else a prefix and a SHA-256 (X-Forwarded-For
// hops from trusted proxies are arbitrary text; the primary key should stay small).
QString rateLimitStoreKey(const QString &key);

} // namespace bw::http
