// The classifier circuit breaker on a controlled clock: 5 failures in 2 minutes open it for
// 5 minutes, then one half-open trial decides; old failures age out of the window.

#include "server/guardrails/circuitbreaker.h"

#include <QTest>

#include <thread>
#include <vector>

using namespace bw::guardrails;
using namespace std::chrono_literals;

class tst_CircuitBreaker final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void opensAfterFiveFailuresInWindow();
    void failuresAgeOut();
    void halfOpenTrial();
    void releaseFreesTrial();
    void successResetsCount();
    void stateCallback();
    void concurrentTrialIsExclusive();

private:
    CircuitBreaker::Clock::time_point m_now = CircuitBreaker::Clock::time_point(1h);
    CircuitBreaker make()
    {
        return CircuitBreaker(CircuitBreaker::Options{}, [this] { return m_now; });
    }
};

void tst_CircuitBreaker::opensAfterFiveFailuresInWindow()
{
    auto b = make();
    for (int i = 0; i < 4; ++i) {
        QVERIFY(b.allow());
        b.recordFailure();
        m_now += 10s;
    }
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);
    QVERIFY(b.allow());
    b.recordFailure();
    QCOMPARE(b.state(), CircuitBreaker::State::Open);
    QVERIFY(!b.allow());
    m_now += 4min + 59s;
    QVERIFY(!b.allow());
    m_now += 1s;
    QVERIFY(b.allow()); // 5 minutes later: the trial
    QCOMPARE(b.state(), CircuitBreaker::State::HalfOpen);
}

void tst_CircuitBreaker::failuresAgeOut()
{
    auto b = make();
    for (int i = 0; i < 4; ++i)
        b.recordFailure();
    m_now += 2min + 1s; // the four are now outside the 2-minute window
    b.recordFailure();
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);
    for (int i = 0; i < 4; ++i)
        b.recordFailure();
    QCOMPARE(b.state(), CircuitBreaker::State::Open);
}

void tst_CircuitBreaker::halfOpenTrial()
{
    auto b = make();
    for (int i = 0; i < 5; ++i)
        b.recordFailure();
    m_now += 5min;
    QVERIFY(b.allow());
    QVERIFY(!b.allow()); // only one trial at a time
    b.recordFailure();   // trial failed: open again for another 5 minutes
    QCOMPARE(b.state(), CircuitBreaker::State::Open);
    QVERIFY(!b.allow());
    m_now += 5min;
    QVERIFY(b.allow());
    b.recordSuccess();
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);
    QVERIFY(b.allow());
    QVERIFY(b.allow());
}

void tst_CircuitBreaker::releaseFreesTrial()
{
    auto b = make();
    for (int i = 0; i < 5; ++i)
        b.recordFailure();
    m_now += 5min;
    QVERIFY(b.allow());
    b.release(); // e.g. no budget: the call never happened
    QCOMPARE(b.state(), CircuitBreaker::State::HalfOpen);
    QVERIFY(b.allow());
}

void tst_CircuitBreaker::successResetsCount()
{
    auto b = make();
    for (int i = 0; i < 4; ++i)
        b.recordFailure();
    b.recordSuccess();
    for (int i = 0; i < 4; ++i)
        b.recordFailure();
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);
}

void tst_CircuitBreaker::stateCallback()
{
    auto b = make();
    QList<CircuitBreaker::State> seen;
    b.setOnChange([&](CircuitBreaker::State s) { seen << s; });
    for (int i = 0; i < 5; ++i)
        b.recordFailure();
    m_now += 5min;
    QVERIFY(b.allow());
    b.recordSuccess();
    const QList<CircuitBreaker::State> expected{CircuitBreaker::State::Open, CircuitBreaker::State::HalfOpen,
                                                CircuitBreaker::State::Closed};
    QCOMPARE(seen, expected);
    QCOMPARE(CircuitBreaker::stateName(CircuitBreaker::State::HalfOpen), QStringLiteral("half_open"));
}

void tst_CircuitBreaker::concurrentTrialIsExclusive()
{
    auto b = make();
    for (int i = 0; i < 5; ++i)
        b.recordFailure();
    m_now += 5min;
    std::atomic_int allowed{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&] { allowed += b.allow() ? 1 : 0; });
    for (auto &t : threads)
        t.join();
    QCOMPARE(allowed.load(), 1);
}

QTEST_GUILESS_MAIN(tst_CircuitBreaker)
#include "tst_circuitbreaker.moc"
