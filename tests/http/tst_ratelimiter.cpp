// Fixed-window in-memory rate limiter (api.md §4) with an injected clock: limit/remaining/reset,
// retryAfter, window roll-over, independent keys, sweeping of stale keys, thread safety.

// ratelimiter.h keys a std::unordered_map by QString but does not include std::hash<QString>.
#include <QHashFunctions>

#include "server/http/ratelimiter.h"

#include <QDateTime>
#include <QTest>

#include <atomic>
#include <thread>

using namespace bw::http;

namespace {
std::atomic<qint64> g_now{0};
qint64 fakeNow()
{
    return g_now.load();
}
} // namespace

class tst_RateLimiter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() { g_now = 6015; } // 15 s into the window [6000, 6060)
    void countsDownToLimit();
    void window_data();
    void window();
    void newWindowResets();
    void independentKeys();
    void limitPerCall();
    void sweepsStaleKeys();
    void concurrentHits();
    void systemClock();
};

void tst_RateLimiter::countsDownToLimit()
{
    InMemoryRateLimiter rl(&fakeNow);
    for (int i = 1; i <= 3; ++i) {
        const RateDecision d = rl.hit(QStringLiteral("ip:1.2.3.4"), 3, 60);
        QVERIFY2(d.allowed, qPrintable(QString::number(i)));
        QCOMPARE(d.limit, 3);
        QCOMPARE(d.remaining, 3 - i);
        QCOMPARE(d.resetEpoch, qint64(6060));
        QCOMPARE(d.retryAfter, 0);
    }
    for (int i = 0; i < 3; ++i) {
        const RateDecision d = rl.hit(QStringLiteral("ip:1.2.3.4"), 3, 60);
        QVERIFY(!d.allowed);
        QCOMPARE(d.limit, 3);
        QCOMPARE(d.remaining, 0);
        QCOMPARE(d.resetEpoch, qint64(6060));
        QCOMPARE(d.retryAfter, 45);
    }
    g_now = 6059;
    const RateDecision last = rl.hit(QStringLiteral("ip:1.2.3.4"), 3, 60);
    QVERIFY(!last.allowed);
    QCOMPARE(last.retryAfter, 1);
}

void tst_RateLimiter::window_data()
{
    QTest::addColumn<qint64>("now");
    QTest::addColumn<int>("window");
    QTest::addColumn<qint64>("reset");
    QTest::addColumn<int>("retryAfter");

    QTest::newRow("start of minute") << qint64(6000) << 60 << qint64(6060) << 60;
    QTest::newRow("mid minute") << qint64(6015) << 60 << qint64(6060) << 45;
    QTest::newRow("last second") << qint64(6059) << 60 << qint64(6060) << 1;
    QTest::newRow("10 s window") << qint64(1'700'000'003) << 10 << qint64(1'700'000'010) << 7;
    QTest::newRow("hour window") << qint64(7201) << 3600 << qint64(10800) << 3599;
    QTest::newRow("1 s window") << qint64(42) << 1 << qint64(43) << 1;
}

void tst_RateLimiter::window()
{
    QFETCH(qint64, now);
    QFETCH(int, window);
    QFETCH(qint64, reset);
    QFETCH(int, retryAfter);
    g_now = now;
    InMemoryRateLimiter rl(&fakeNow);
    const RateDecision first = rl.hit(QStringLiteral("k"), 1, window);
    QVERIFY(first.allowed);
    QCOMPARE(first.remaining, 0);
    QCOMPARE(first.resetEpoch, reset);
    const RateDecision denied = rl.hit(QStringLiteral("k"), 1, window);
    QVERIFY(!denied.allowed);
    QCOMPARE(denied.resetEpoch, reset);
    QCOMPARE(denied.retryAfter, retryAfter);
    // Exactly at the reset the next window starts.
    g_now = reset;
    QVERIFY(rl.hit(QStringLiteral("k"), 1, window).allowed);
}

void tst_RateLimiter::newWindowResets()
{
    InMemoryRateLimiter rl(&fakeNow);
    for (int i = 0; i < 5; ++i)
        (void)rl.hit(QStringLiteral("agent:a"), 2, 60);
    QVERIFY(!rl.hit(QStringLiteral("agent:a"), 2, 60).allowed);
    g_now = 6060;
    const RateDecision d = rl.hit(QStringLiteral("agent:a"), 2, 60);
    QVERIFY(d.allowed);
    QCOMPARE(d.remaining, 1);
    QCOMPARE(d.resetEpoch, qint64(6120));
    // A key idle for several windows starts fresh too.
    g_now = 6060 + 10 * 60 + 5;
    const RateDecision later = rl.hit(QStringLiteral("agent:a"), 2, 60);
    QVERIFY(later.allowed);
    QCOMPARE(later.remaining, 1);
    QCOMPARE(later.resetEpoch, qint64(6720));
}

void tst_RateLimiter::independentKeys()
{
    InMemoryRateLimiter rl(&fakeNow);
    QVERIFY(rl.hit(QStringLiteral("ip:1.1.1.1"), 1, 60).allowed);
    QVERIFY(!rl.hit(QStringLiteral("ip:1.1.1.1"), 1, 60).allowed);
    const RateDecision other = rl.hit(QStringLiteral("ip:2.2.2.2"), 1, 60);
    QVERIFY(other.allowed);
    QCOMPARE(other.remaining, 0);
    // Same id, different bucket prefix: different key.
    QVERIFY(rl.hit(QStringLiteral("agent:x"), 1, 60).allowed);
    QVERIFY(rl.hit(QStringLiteral("content:x"), 1, 60).allowed);
    QCOMPARE(rl.trackedKeys(), size_t(4));
}

void tst_RateLimiter::limitPerCall()
{
    // The limit is the caller's (e.g. an admin override changing mid-window): the count is kept.
    InMemoryRateLimiter rl(&fakeNow);
    for (int i = 0; i < 3; ++i)
        QVERIFY(rl.hit(QStringLiteral("agent:a"), 3, 60).allowed);
    QVERIFY(!rl.hit(QStringLiteral("agent:a"), 3, 60).allowed);
    const RateDecision raised = rl.hit(QStringLiteral("agent:a"), 5, 60);
    QVERIFY(raised.allowed);
    QCOMPARE(raised.limit, 5);
    QCOMPARE(raised.remaining, 1);
    QVERIFY(!rl.hit(QStringLiteral("agent:a"), 1, 60).allowed); // lowered below the count
}

void tst_RateLimiter::sweepsStaleKeys()
{
    InMemoryRateLimiter rl(&fakeNow);
    for (int i = 0; i < 100; ++i)
        (void)rl.hit(QStringLiteral("ip:10.0.0.%1").arg(i), 30, 60);
    QCOMPARE(rl.trackedKeys(), size_t(100));

    // Later in the same window nothing is stale.
    g_now = 6050;
    (void)rl.hit(QStringLiteral("ip:fresh-1"), 30, 60);
    QCOMPARE(rl.trackedKeys(), size_t(101));

    // In the next window the keys of the old one are dropped once the sweep interval has passed.
    g_now = 6075;
    (void)rl.hit(QStringLiteral("ip:fresh-2"), 30, 60);
    QCOMPARE(rl.trackedKeys(), size_t(1));

    // A sweep drops only keys of past windows.
    g_now = 6119;
    (void)rl.hit(QStringLiteral("ip:fresh-3"), 30, 60); // window [6060, 6120)
    g_now = 6125;
    (void)rl.hit(QStringLiteral("ip:survivor"), 30, 60); // window [6120, 6180); no sweep yet (50 s)
    QCOMPARE(rl.trackedKeys(), size_t(3));
    g_now = 6140;
    (void)rl.hit(QStringLiteral("ip:fresh-4"), 30, 60); // sweeps: fresh-2 and fresh-3 go
    QCOMPARE(rl.trackedKeys(), size_t(2));
    const RateDecision survivor = rl.hit(QStringLiteral("ip:survivor"), 30, 60);
    QCOMPARE(survivor.remaining, 28); // its count was kept
}

void tst_RateLimiter::concurrentHits()
{
    InMemoryRateLimiter rl(&fakeNow);
    constexpr int kThreads = 4;
    constexpr int kEach = 1000;
    constexpr int kLimit = 2500;
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i)
                if (rl.hit(QStringLiteral("agent:shared"), kLimit, 60).allowed)
                    ++allowed;
        });
    for (auto &t : threads)
        t.join();
    QCOMPARE(allowed.load(), kLimit);
}

void tst_RateLimiter::systemClock()
{
    InMemoryRateLimiter rl; // real time
    const qint64 before = QDateTime::currentSecsSinceEpoch();
    const RateDecision d = rl.hit(QStringLiteral("k"), 10, 60);
    const qint64 after = QDateTime::currentSecsSinceEpoch();
    QVERIFY(d.allowed);
    QCOMPARE(d.remaining, 9);
    QVERIFY(d.resetEpoch > before && d.resetEpoch <= after + 60);
    QCOMPARE(d.resetEpoch % 60, qint64(0));
}

QTEST_GUILESS_MAIN(tst_RateLimiter)
#include "tst_ratelimiter.moc"
