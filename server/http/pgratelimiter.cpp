#include "pgratelimiter.h"

#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QSqlQuery>

#include <cmath>

Q_LOGGING_CATEGORY(lcRateLimit, "bw.http.ratelimit")

namespace bw::http {

namespace {

using SteadyClock = std::chrono::steady_clock;

qint64 steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now().time_since_epoch()).count();
}

// One statement, one round trip. The window comes from the database clock (nodes may disagree);
// GREATEST keeps a statement that started just before a boundary from rewinding a row another node
// already moved into the next window. Only non-indexed columns change: the update is HOT.
// A counter is not an acknowledged write: it commits asynchronously (no WAL flush wait, which
// made the shared store 5x slower than the in-memory one); a database crash may forget the last
// fraction of a second of hits.
const QString kHitSql =
    QStringLiteral("INSERT INTO rate_limit_counters AS c (key, window_start, window_seconds, count) "
                   "SELECT ?, floor(t.now / w.s)::bigint * w.s, w.s, 1 "
                   "FROM (SELECT extract(epoch FROM statement_timestamp()) AS now) t, "
                   "(SELECT ?::int AS s, set_config('synchronous_commit', 'off', true) AS async) w "
                   "ON CONFLICT (key) DO UPDATE SET "
                   "count = CASE WHEN c.window_seconds = EXCLUDED.window_seconds AND c.window_start >= EXCLUDED.window_start "
                   "THEN c.count + 1 ELSE 1 END, "
                   "window_start = CASE WHEN c.window_seconds = EXCLUDED.window_seconds "
                   "THEN greatest(c.window_start, EXCLUDED.window_start) ELSE EXCLUDED.window_start END, "
                   "window_seconds = EXCLUDED.window_seconds "
                   "RETURNING count, window_start + window_seconds, extract(epoch FROM statement_timestamp())::float8");

// Batched and SKIP LOCKED: never waits behind a hot row, never holds many locks for long.
const QString kSweepSql = QStringLiteral("WITH gone AS (DELETE FROM rate_limit_counters WHERE key IN ("
                                         "SELECT key FROM rate_limit_counters "
                                         "WHERE window_start + window_seconds < extract(epoch FROM statement_timestamp()) "
                                         "LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING 1) "
                                         "SELECT count(*) FROM gone");

constexpr int kMaxStoreKey = 200;
constexpr int kMaxDeniedEntries = 100000;

} // namespace

QString rateLimitStoreKey(const QString &key)
{
    if (key.size() <= kMaxStoreKey)
        return key;
    const qsizetype colon = key.indexOf(u':');
    const QString prefix = colon > 0 && colon < 32 ? key.left(colon + 1) : QString();
    return prefix + QStringLiteral("sha256:")
           + QString::fromLatin1(QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha256).toHex());
}

PgRateLimiter::PgRateLimiter(db::Database &database, MetricsRegistry *metrics) : PgRateLimiter(database, metrics, Options{}) {}

PgRateLimiter::PgRateLimiter(db::Database &database, MetricsRegistry *metrics, Options options)
    : m_db(database), m_options(options)
{
    if (!metrics)
        return;
    m_errorsMetric = &metrics->counter(QStringLiteral("rate_limit_store_errors_total"),
                                       QStringLiteral("Shared rate-limit store failures (requests then limited per node)"));
    m_fallbackMetric =
        &metrics->counter(QStringLiteral("rate_limit_fallback_hits_total"),
                          QStringLiteral("Hits counted by the per-node fallback while the shared store was failing"));
    const QString deniedHelp = QStringLiteral("Requests refused by the rate limiter");
    m_deniedStoreMetric = &metrics->counter(QStringLiteral("rate_limit_denied_total"), deniedHelp,
                                            {{QStringLiteral("source"), QStringLiteral("store")}});
    m_deniedCacheMetric = &metrics->counter(QStringLiteral("rate_limit_denied_total"), deniedHelp,
                                            {{QStringLiteral("source"), QStringLiteral("cache")}});
    m_sweptMetric =
        &metrics->counter(QStringLiteral("rate_limit_swept_total"), QStringLiteral("Expired rate-limit counters deleted"));
    m_latencyMetric =
        &metrics->histogram(QStringLiteral("rate_limit_store_seconds"), QStringLiteral("Shared rate-limit store round trip"),
                            {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0});
}

PgRateLimiter::~PgRateLimiter() = default; // never touches the database: it may already be gone

bool PgRateLimiter::usingFallback() const
{
    const qint64 until = m_storeDownUntilMs.load();
    return until != 0 && steadyMs() < until;
}

std::optional<RateDecision> PgRateLimiter::cachedDenial(const QString &key, int limit)
{
    std::lock_guard lock(m_deniedMutex);
    const auto it = m_denied.constFind(key);
    if (it == m_denied.constEnd())
        return std::nullopt;
    const auto now = SteadyClock::now();
    if (it->limit != limit || now >= it->until) {
        m_denied.erase(it);
        return std::nullopt;
    }
    RateDecision d;
    d.allowed = false;
    d.limit = limit;
    d.remaining = 0;
    d.resetEpoch = it->resetEpoch;
    const double left = std::chrono::duration<double>(it->until - now).count();
    d.retryAfter = std::max(1, int(std::ceil(left)));
    return d;
}

void PgRateLimiter::rememberDenial(const QString &key, const RateDecision &d, double secondsLeft)
{
    if (secondsLeft <= 0)
        return;
    // The deadline is kept on this node's steady clock, measured from the database's "now", so
    // clock skew between nodes and the database does not stretch or shorten the denial.
    const auto until = SteadyClock::now() + std::chrono::microseconds(qint64(secondsLeft * 1e6));
    std::lock_guard lock(m_deniedMutex);
    if (m_denied.size() >= kMaxDeniedEntries) {
        const auto now = SteadyClock::now();
        m_denied.removeIf([&](const auto &entry) { return entry.value().until <= now; });
        if (m_denied.size() >= kMaxDeniedEntries)
            m_denied.clear(); // only an optimisation: forgetting costs one round trip per key
    }
    m_denied.insert(key, Denied{d.limit, d.resetEpoch, until});
}

RateDecision PgRateLimiter::fallback(const QString &key, int limit, int windowSeconds, const QString &why)
{
    if (!why.isEmpty()) {
        ++m_storeErrors;
        if (m_errorsMetric)
            m_errorsMetric->inc();
        m_storeDownUntilMs = steadyMs() + m_options.retryStoreAfter.count();
        const qint64 now = steadyMs();
        qint64 last = m_lastWarningMs.load();
        // Throttled: while the database is down every request would log this.
        if (now - last >= 10000 && m_lastWarningMs.compare_exchange_strong(last, now))
            qCWarning(lcRateLimit).noquote() << QStringLiteral("shared rate-limit store failed (%1 errors so far); limiting "
                                                               "per node until it recovers: %2")
                                                    .arg(m_storeErrors.load())
                                                    .arg(why);
    }
    if (m_fallbackMetric)
        m_fallbackMetric->inc();
    return m_fallback.hit(key, limit, windowSeconds);
}

RateDecision PgRateLimiter::hit(const QString &rawKey, int limit, int windowSeconds)
{
    const QString key = rateLimitStoreKey(rawKey);
    if (auto denied = cachedDenial(key, limit)) {
        if (m_deniedCacheMetric)
            m_deniedCacheMetric->inc();
        return *denied;
    }
    if (usingFallback())
        return fallback(key, limit, windowSeconds, QString());

    const auto started = SteadyClock::now();
    auto q = db::execCached(m_db.connection(), kHitSql, {key, windowSeconds});
    if (!q)
        return fallback(key, limit, windowSeconds, q.error().message);
    if (!q->next())
        return fallback(key, limit, windowSeconds, QStringLiteral("the upsert returned no row"));
    if (m_latencyMetric)
        m_latencyMetric->observe(std::chrono::duration<double>(SteadyClock::now() - started).count());
    if (m_storeDownUntilMs.exchange(0) != 0)
        qCInfo(lcRateLimit) << "shared rate-limit store is back";

    const int count = q->value(0).toInt();
    RateDecision d;
    d.limit = limit;
    d.resetEpoch = q->value(1).toLongLong();
    const double secondsLeft = double(d.resetEpoch) - q->value(2).toDouble();
    d.allowed = count <= limit;
    d.remaining = std::max(0, limit - count);
    if (!d.allowed) {
        d.retryAfter = std::max(1, int(std::ceil(secondsLeft)));
        rememberDenial(key, d, secondsLeft);
        if (m_deniedStoreMetric)
            m_deniedStoreMetric->inc();
    }
    maybeSweep();
    return d;
}

void PgRateLimiter::maybeSweep()
{
    const qint64 now = steadyMs();
    qint64 next = m_nextSweepMs.load();
    if (now < next || !m_nextSweepMs.compare_exchange_strong(next, now + m_options.sweepInterval.count()))
        return; // not due, or another thread claimed this sweep
    auto deleted = sweep();
    if (!deleted) {
        qCWarning(lcRateLimit).noquote() << "rate-limit sweep failed:" << deleted.error().message;
        return;
    }
    if (*deleted >= m_options.sweepBatch) // more left: continue soon, in another small batch
        m_nextSweepMs = now + 1000;
    {
        std::lock_guard lock(m_deniedMutex);
        const auto steadyNow = SteadyClock::now();
        m_denied.removeIf([&](const auto &entry) { return entry.value().until <= steadyNow; });
    }
}

Result<int> PgRateLimiter::sweep()
{
    auto swept = db::scalar(db::execCached(m_db.connection(), kSweepSql, {m_options.sweepBatch}));
    if (!swept)
        return swept.error();
    const int deleted = swept->toInt();
    if (m_sweptMetric && deleted > 0)
        m_sweptMetric->inc(deleted);
    return deleted;
}

} // namespace bw::http
