// PgRateLimiter against a real PostgreSQL: exact counts, two "nodes" (two Database + limiter pairs)
// sharing one limit under concurrency, window roll-over, the local denial cache, the sweep, key
// hashing, no bloat (HOT updates, bounded size) and failing open when the store is unusable.
#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/http/pgratelimiter.h"
#include "tests/support/pgfixture.h"
#include "tests/support/testdb.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <thread>
#include <vector>

using bw::http::PgRateLimiter;
using bw::http::RateDecision;
using namespace bw::test;

namespace {

// Fixed windows start at multiples of the window on the (shared) clock. A case that must finish
// inside one window waits for the next one when less than needMs remain.
void waitForWindowRoom(int windowSeconds, qint64 needMs)
{
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    const qint64 leftMs = windowSeconds * 1000LL - nowMs % (windowSeconds * 1000LL);
    if (leftMs < needMs)
        QThread::msleep(quint64(leftMs + 50));
}

// One SQL number; -1 when the statement failed (the warning says why).
qint64 sqlNumber(bw::db::Database &db, const QString &sql)
{
    const QVariant v = bw::test::scalar(db, sql);
    return v.isValid() ? v.toLongLong() : -1;
}

} // namespace

class tst_PgRateLimiter : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    QString m_dbName;
    std::unique_ptr<bw::db::Database> m_db;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_dbName = m_pg.createMigratedDatabase();
        QVERIFY(!m_dbName.isEmpty());
        m_db = std::make_unique<bw::db::Database>(m_pg.settings(m_dbName));
    }
    void cleanupTestCase()
    {
        m_db->releaseThisThread();
        m_db.reset();
    }

    void countsExactlyToTheLimit_data()
    {
        QTest::addColumn<int>("limit");
        QTest::newRow("1") << 1;
        QTest::newRow("10") << 10;
        QTest::newRow("60") << 60;
    }
    void countsExactlyToTheLimit()
    {
        QFETCH(int, limit);
        PgRateLimiter rl(*m_db, nullptr);
        const QString key = QStringLiteral("test:exact:%1").arg(limit);
        waitForWindowRoom(60, 5000);
        for (int i = 1; i <= limit; ++i) {
            const RateDecision d = rl.hit(key, limit, 60);
            QVERIFY(d.allowed);
            QCOMPARE(d.limit, limit);
            QCOMPARE(d.remaining, limit - i);
            QCOMPARE(d.resetEpoch % 60, 0);
            QVERIFY(d.resetEpoch > QDateTime::currentSecsSinceEpoch() - 1);
            QVERIFY(d.resetEpoch <= QDateTime::currentSecsSinceEpoch() + 61);
        }
        for (int i = 0; i < 3; ++i) {
            const RateDecision d = rl.hit(key, limit, 60);
            QVERIFY(!d.allowed);
            QCOMPARE(d.remaining, 0);
            QVERIFY(d.retryAfter >= 1 && d.retryAfter <= 60);
            QVERIFY(qAbs(d.resetEpoch - QDateTime::currentSecsSinceEpoch() - d.retryAfter) <= 1);
        }
        // One row per key, however many hits.
        QCOMPARE(sqlNumber(*m_db, QStringLiteral("SELECT count(*) FROM rate_limit_counters WHERE key = '%1'").arg(key)), 1);
        QCOMPARE(rl.storeErrors(), quint64(0));
    }

    // Two nodes (separate limiter objects and connections), several threads each: the shared
    // count admits exactly `limit` hits in total.
    void twoNodesShareOneLimitUnderConcurrency()
    {
        bw::db::Database nodeB(m_pg.settings(m_dbName));
        PgRateLimiter a(*m_db, nullptr);
        PgRateLimiter b(nodeB, nullptr);
        constexpr int kLimit = 37, kThreadsPerNode = 4, kHitsPerThread = 25;
        waitForWindowRoom(60, 10000);
        std::atomic<int> allowed{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 2 * kThreadsPerNode; ++t) {
            threads.emplace_back([&, t] {
                PgRateLimiter &rl = t % 2 ? b : a;
                bw::db::Database &db = t % 2 ? nodeB : *m_db;
                for (int i = 0; i < kHitsPerThread; ++i)
                    allowed += rl.hit(QStringLiteral("test:shared"), kLimit, 60).allowed;
                db.releaseThisThread();
            });
        }
        for (auto &t : threads)
            t.join();
        QCOMPARE(allowed.load(), kLimit);
        QCOMPARE(a.storeErrors() + b.storeErrors(), quint64(0));
        nodeB.releaseThisThread();
    }

    void newWindowStartsFromZero()
    {
        PgRateLimiter rl(*m_db, nullptr);
        waitForWindowRoom(2, 1500);
        QVERIFY(rl.hit(QStringLiteral("test:roll"), 2, 2).allowed);
        QVERIFY(rl.hit(QStringLiteral("test:roll"), 2, 2).allowed);
        const RateDecision denied = rl.hit(QStringLiteral("test:roll"), 2, 2);
        QVERIFY(!denied.allowed);
        QVERIFY(denied.retryAfter >= 1 && denied.retryAfter <= 2);
        while (QDateTime::currentSecsSinceEpoch() < denied.resetEpoch)
            QThread::msleep(50);
        QThread::msleep(50);
        const RateDecision next = rl.hit(QStringLiteral("test:roll"), 2, 2);
        QVERIFY(next.allowed); // the local denial expired with the window too
        QCOMPARE(next.remaining, 1);
        QVERIFY(next.resetEpoch > denied.resetEpoch);
        // A different window length for the same key restarts the count (settings changed).
        QVERIFY(rl.hit(QStringLiteral("test:roll"), 2, 60).allowed);
        QCOMPARE(sqlNumber(*m_db, QStringLiteral("SELECT window_seconds FROM rate_limit_counters WHERE key = 'test:roll'")), 60);
    }

    void deniedKeysAreAnsweredLocally()
    {
        bw::MetricsRegistry metrics;
        PgRateLimiter rl(*m_db, &metrics);
        waitForWindowRoom(60, 5000);
        for (int i = 0; i < 3; ++i)
            QVERIFY(rl.hit(QStringLiteral("test:cache"), 3, 60).allowed);
        QVERIFY(!rl.hit(QStringLiteral("test:cache"), 3, 60).allowed); // the store says no: count 4
        for (int i = 0; i < 5; ++i)
            QVERIFY(!rl.hit(QStringLiteral("test:cache"), 3, 60).allowed);
        QCOMPARE(metrics.sum(QStringLiteral("rate_limit_denied_total")), 6.0);
        QCOMPARE(metrics.series(QStringLiteral("rate_limit_denied_total")).size(), size_t(2));
        // Answered without a round trip: the stored count stayed at the first refusal.
        QCOMPARE(sqlNumber(*m_db, QStringLiteral("SELECT count FROM rate_limit_counters WHERE key = 'test:cache'")), 4);
        // A raised limit (admin override) is not held back by the cached refusal.
        const RateDecision raised = rl.hit(QStringLiteral("test:cache"), 10, 60);
        QVERIFY(raised.allowed);
        QCOMPARE(raised.remaining, 5);
    }

    void sweepDeletesOnlyExpiredWindows()
    {
        QVERIFY(bw::db::exec(m_db->connection(), QStringLiteral("DELETE FROM rate_limit_counters")));
        QVERIFY(bw::db::exec(m_db->connection(),
                             QStringLiteral("INSERT INTO rate_limit_counters (key, window_start, window_seconds, count) "
                                            "SELECT 'old:' || g, 1000 * 60, 60, 5 FROM generate_series(1, 4500) g")));
        PgRateLimiter::Options options;
        options.sweepBatch = 2000;
        options.sweepInterval = std::chrono::hours(1); // only explicit sweeps here
        PgRateLimiter rl(*m_db, nullptr, options);
        QVERIFY(rl.hit(QStringLiteral("test:live"), 5, 60).allowed); // also runs the first (due) sweep
        QCOMPARE(sqlNumber(*m_db, QStringLiteral("SELECT count(*) FROM rate_limit_counters WHERE key LIKE 'old:%'")), 2500);
        auto deleted = rl.sweep();
        QVERIFY(deleted);
        QCOMPARE(*deleted, 2000);
        deleted = rl.sweep();
        QVERIFY(deleted);
        QCOMPARE(*deleted, 500);
        deleted = rl.sweep();
        QVERIFY(deleted);
        QCOMPARE(*deleted, 0);
        QCOMPARE(sqlNumber(*m_db, QStringLiteral("SELECT count(*) FROM rate_limit_counters")), 1);
    }

    void longKeysAreHashed()
    {
        QCOMPARE(bw::http::rateLimitStoreKey(QStringLiteral("ip:10.0.0.1")), QStringLiteral("ip:10.0.0.1"));
        const QString longKey = QStringLiteral("ip:") + QString(5000, u'x');
        const QString stored = bw::http::rateLimitStoreKey(longKey);
        QVERIFY(stored.startsWith(QStringLiteral("ip:sha256:")));
        QCOMPARE(stored.size(), 3 + 7 + 64);
        QVERIFY(stored != bw::http::rateLimitStoreKey(longKey + u'y'));
        PgRateLimiter rl(*m_db, nullptr);
        QVERIFY(rl.hit(longKey, 1, 60).allowed);
        QCOMPARE(sqlNumber(*m_db, QStringLiteral("SELECT count(*) FROM rate_limit_counters WHERE key = '%1'").arg(stored)), 1);
        QCOMPARE(rl.storeErrors(), quint64(0));
    }

    // Many hits from two nodes on a few keys: one row per key, every hit counted (no row per request).
    // The table's size is not asserted here: with two backends pinning the same page, PostgreSQL skips
    // opportunistic pruning whenever it cannot get the page to itself, so how far the table grows
    // before autovacuum depends on scheduling, not on the design.
    void oneRowPerKeyUnderConcurrency()
    {
        QVERIFY(bw::db::exec(m_db->connection(), QStringLiteral("TRUNCATE rate_limit_counters")));
        constexpr int kThreads = 2, kHits = 3000, kKeys = 20;
        waitForWindowRoom(60, 20000);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                bw::db::Database db(m_pg.settings(m_dbName));
                PgRateLimiter rl(db, nullptr);
                for (int i = 0; i < kHits; ++i)
                    rl.hit(QStringLiteral("rows:%1").arg((i * kThreads + t) % kKeys), 1'000'000, 60);
                db.releaseThisThread();
            });
        }
        for (auto &t : threads)
            t.join();
        QCOMPARE(sqlNumber(*m_db, QStringLiteral("SELECT count(*) FROM rate_limit_counters")), kKeys);
        QCOMPARE(sqlNumber(*m_db, QStringLiteral("SELECT sum(count) FROM rate_limit_counters")), kThreads * kHits);
    }

    // Many hits on a few keys: updates are HOT and reuse their page, so the table stays a few pages
    // however many requests it counts. A database of its own, one connection hitting, and autovacuum
    // off for the table meanwhile: nothing else pins the page or holds back the xmin horizon (an
    // autovacuum ANALYZE's snapshot does), so pruning always succeeds, and no other backend's
    // statistics (flushed whenever they like) land in the counters compared here.
    void updatesAreHotAndTheTableStaysSmall()
    {
        const QString dbName = m_pg.createMigratedDatabase();
        QVERIFY(!dbName.isEmpty());
        bw::db::Database observer(m_pg.settings(dbName));
        QVERIFY(bw::db::exec(observer.connection(),
                             QStringLiteral("ALTER TABLE rate_limit_counters SET (autovacuum_enabled = off)")));
        const auto stat = [&](const char *column) {
            return sqlNumber(observer, QStringLiteral("SELECT %1 FROM pg_stat_user_tables WHERE relname = 'rate_limit_counters'")
                                           .arg(QLatin1StringView(column)));
        };
        const qint64 updBefore = stat("n_tup_upd"), hotBefore = stat("n_tup_hot_upd");
        constexpr int kHits = 12000, kKeys = 20;
        waitForWindowRoom(60, 20000);
        std::thread worker([&] {
            bw::db::Database db(m_pg.settings(dbName));
            PgRateLimiter rl(db, nullptr);
            for (int i = 0; i < kHits; ++i)
                rl.hit(QStringLiteral("bloat:%1").arg(i % kKeys), 1'000'000, 60);
            db.releaseThisThread(); // the backend exits and flushes its statistics
        });
        worker.join();
        const qint64 tableBytes = sqlNumber(observer, QStringLiteral("SELECT pg_relation_size('rate_limit_counters')"));
        const qint64 indexBytes = sqlNumber(observer, QStringLiteral("SELECT pg_relation_size('rate_limit_counters_pkey')"));
        qInfo("after %d hits on %d keys: table %lld bytes, index %lld bytes", kHits, kKeys, tableBytes, indexBytes);
        QCOMPARE(sqlNumber(observer, QStringLiteral("SELECT count(*) FROM rate_limit_counters")), kKeys);
        QCOMPARE(sqlNumber(observer, QStringLiteral("SELECT sum(count) FROM rate_limit_counters")), kHits);
        // A row per request would need ~12,000 tuples (≥ 90 pages at fillfactor 50).
        QVERIFY2(tableBytes <= 8 * 8192, qPrintable(QString::number(tableBytes)));
        QVERIFY2(indexBytes <= 4 * 8192, qPrintable(QString::number(indexBytes)));
        // The exited backend's statistics arrive asynchronously: wait for all of them.
        qint64 upd = 0;
        QElapsedTimer waited;
        waited.start();
        while ((upd = stat("n_tup_upd") - updBefore) < kHits - kKeys && waited.elapsed() < 30000) {
            QThread::msleep(50);
            QVERIFY(bw::db::exec(observer.connection(), QStringLiteral("SELECT pg_stat_clear_snapshot()")));
        }
        const qint64 hot = stat("n_tup_hot_upd") - hotBefore;
        qInfo("updates %lld, HOT %lld", upd, hot);
        QCOMPARE(upd, qint64(kHits - kKeys)); // the first hit of each key inserts
        QVERIFY2(hot * 100 >= upd * 95, qPrintable(QStringLiteral("%1 of %2 HOT").arg(hot).arg(upd)));
        observer.releaseThisThread();
        QVERIFY(m_pg.dropDatabase(dbName));
    }

    // The cost of one hit (one upsert round trip on this thread's connection), sequentially.
    void hitLatency()
    {
        PgRateLimiter rl(*m_db, nullptr);
        constexpr int kHits = 3000;
        std::vector<qint64> ns;
        ns.reserve(kHits);
        for (int i = 0; i < 200; ++i) // warm-up: connection, prepared statement
            rl.hit(QStringLiteral("latency:%1").arg(i % 50), 1'000'000, 60);
        QElapsedTimer timer;
        for (int i = 0; i < kHits; ++i) {
            timer.start();
            rl.hit(QStringLiteral("latency:%1").arg(i % 50), 1'000'000, 60);
            ns.push_back(timer.nsecsElapsed());
        }
        std::sort(ns.begin(), ns.end());
        const double mean = std::accumulate(ns.begin(), ns.end(), 0.0) / kHits;
        qInfo("hit(): mean %.0f µs, p50 %.0f µs, p99 %.0f µs over %d sequential hits", mean / 1000, ns[kHits / 2] / 1000.0,
              ns[kHits * 99 / 100] / 1000.0, kHits);
        QVERIFY(ns[kHits / 2] < 20'000'000); // sanity only: timings are recorded, not enforced
        QCOMPARE(rl.storeErrors(), quint64(0));
    }

    // Database unreachable: every hit still gets an answer at once, limited per node.
    void failsOpenToPerNodeLimitsWhenTheDatabaseIsDown()
    {
        bw::db::ConnectionSettings dead = m_pg.settings(m_dbName);
        dead.port = 1; // nothing listens there
        bw::db::Database down(dead);
        bw::MetricsRegistry metrics;
        PgRateLimiter rl(down, &metrics);
        waitForWindowRoom(60, 5000);
        QElapsedTimer timer;
        timer.start();
        int allowed = 0;
        for (int i = 0; i < 8; ++i)
            allowed += rl.hit(QStringLiteral("down:key"), 5, 60).allowed;
        QCOMPARE(allowed, 5);
        QVERIFY(timer.elapsed() < 2000);
        QVERIFY(rl.storeErrors() >= 1);
        QVERIFY(rl.usingFallback());
        QVERIFY(metrics.sum(QStringLiteral("rate_limit_store_errors_total")) >= 1);
        QCOMPARE(metrics.sum(QStringLiteral("rate_limit_fallback_hits_total")), 8.0);
        down.releaseThisThread();
    }

    // The store fails and comes back: the limiter returns to it after the retry delay.
    void returnsToTheStoreWhenItRecovers()
    {
        PgRateLimiter::Options options;
        options.retryStoreAfter = std::chrono::milliseconds(300);
        bw::MetricsRegistry metrics;
        PgRateLimiter rl(*m_db, &metrics, options);
        QVERIFY(
            bw::db::exec(m_db->connection(), QStringLiteral("ALTER TABLE rate_limit_counters RENAME COLUMN count TO count_off")));
        QVERIFY(rl.hit(QStringLiteral("flaky:key"), 5, 60).allowed);
        QCOMPARE(rl.storeErrors(), quint64(1));
        QVERIFY(rl.usingFallback());
        QVERIFY(
            bw::db::exec(m_db->connection(), QStringLiteral("ALTER TABLE rate_limit_counters RENAME COLUMN count_off TO count")));
        QVERIFY(rl.hit(QStringLiteral("flaky:key"), 5, 60).allowed); // still on the fallback: no new error
        QCOMPARE(rl.storeErrors(), quint64(1));
        QThread::msleep(350);
        QVERIFY(rl.hit(QStringLiteral("flaky:key"), 5, 60).allowed);
        QVERIFY(!rl.usingFallback());
        QCOMPARE(sqlNumber(*m_db, QStringLiteral("SELECT count(*) FROM rate_limit_counters WHERE key = 'flaky:key'")), 1);
        QCOMPARE(rl.storeErrors(), quint64(1));
    }
};

QTEST_GUILESS_MAIN(tst_PgRateLimiter)
#include "tst_pgratelimiter.moc"
