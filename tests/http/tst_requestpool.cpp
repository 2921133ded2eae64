// Bounded request pool: tasks run on its threads, a full queue refuses at once, stop() drains the
// queue and runs onThreadExit once per thread. Blocking tasks are released through a gate.

#include "server/http/requestpool.h"

#include <QElapsedTimer>
#include <QSet>
#include <QTest>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

using namespace bw::http;

namespace {
// A one-shot latch many tasks wait on. Tasks hold their own copy of the future, and the gate opens
// when destroyed, so a failing test never leaves pool threads blocked (declare it after the pool).
class Gate final {
public:
    ~Gate() { open(); }
    void open()
    {
        if (!m_opened.exchange(true))
            m_promise.set_value();
    }
    std::shared_future<void> future() const { return m_future; }

private:
    std::atomic<bool> m_opened{false};
    std::promise<void> m_promise;
    std::shared_future<void> m_future = m_promise.get_future().share();
};

struct ThreadIds {
    std::mutex mutex;
    std::multiset<std::thread::id> ids;
    void add()
    {
        std::lock_guard lock(mutex);
        ids.insert(std::this_thread::get_id());
    }
    size_t distinct()
    {
        std::lock_guard lock(mutex);
        return std::set<std::thread::id>(ids.begin(), ids.end()).size();
    }
    bool contains(std::thread::id id)
    {
        std::lock_guard lock(mutex);
        return ids.count(id) > 0;
    }
};
} // namespace

class tst_RequestPool : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void runsOnPoolThreads_data();
    void runsOnPoolThreads();
    void boundedQueue_data();
    void boundedQueue();
    void stopDrainsQueue_data();
    void stopDrainsQueue();
    void refusesAfterStop();
    void destructorStops();
};

void tst_RequestPool::runsOnPoolThreads_data()
{
    QTest::addColumn<int>("threads");
    QTest::newRow("1 thread") << 1;
    QTest::newRow("2 threads") << 2;
    QTest::newRow("4 threads") << 4;
}

void tst_RequestPool::runsOnPoolThreads()
{
    QFETCH(int, threads);
    ThreadIds seen;
    std::atomic<int> done{0};
    std::atomic<int> waiting{0};
    RequestPool pool(threads, 1000);
    // Hold every thread until all have a task, proving they run concurrently.
    Gate gate;
    for (int i = 0; i < threads; ++i)
        QVERIFY(pool.trySubmit([&seen, &waiting, &done, f = gate.future()] {
            seen.add();
            ++waiting;
            f.wait();
            ++done;
        }));
    QTRY_COMPARE(waiting.load(), threads);
    QCOMPARE(pool.busy(), threads);
    gate.open();
    for (int i = 0; i < 200; ++i)
        QVERIFY(pool.trySubmit([&] {
            seen.add();
            ++done;
        }));
    QTRY_COMPARE(done.load(), threads + 200);
    QTRY_COMPARE(pool.busy(), 0);
    QCOMPARE(pool.queued(), 0);
    QCOMPARE(seen.distinct(), size_t(threads));
    QVERIFY(!seen.contains(std::this_thread::get_id()));
}

void tst_RequestPool::boundedQueue_data()
{
    QTest::addColumn<int>("threads");
    QTest::addColumn<int>("queueLimit");
    QTest::newRow("1 thread, queue 1") << 1 << 1;
    QTest::newRow("1 thread, queue 5") << 1 << 5;
    QTest::newRow("3 threads, queue 4") << 3 << 4;
}

void tst_RequestPool::boundedQueue()
{
    QFETCH(int, threads);
    QFETCH(int, queueLimit);
    std::atomic<int> ran{0};
    std::atomic<bool> rejectedRan{false};
    RequestPool pool(threads, queueLimit);
    Gate gate;

    for (int i = 0; i < threads; ++i)
        QVERIFY(pool.trySubmit([&ran, f = gate.future()] {
            f.wait();
            ++ran;
        }));
    QTRY_COMPARE(pool.busy(), threads); // every thread is blocked, nothing queued
    QCOMPARE(pool.queued(), 0);

    for (int i = 0; i < queueLimit; ++i)
        QVERIFY2(pool.trySubmit([&] { ++ran; }), qPrintable(QString::number(i)));
    QCOMPARE(pool.queued(), queueLimit);

    // Full: refused at once, not blocked.
    QElapsedTimer t;
    t.start();
    QVERIFY(!pool.trySubmit([&] { rejectedRan = true; }));
    QVERIFY(!pool.trySubmit([&] { rejectedRan = true; }));
    QVERIFY(t.elapsed() < 1000);
    QCOMPARE(pool.queued(), queueLimit);

    gate.open();
    QTRY_COMPARE(ran.load(), threads + queueLimit);
    // Room again once the queue drains.
    QTRY_COMPARE(pool.queued(), 0);
    QVERIFY(pool.trySubmit([&] { ++ran; }));
    pool.stop();
    QCOMPARE(ran.load(), threads + queueLimit + 1);
    QVERIFY(!rejectedRan.load());
}

void tst_RequestPool::stopDrainsQueue_data()
{
    QTest::addColumn<int>("threads");
    QTest::newRow("1 thread") << 1;
    QTest::newRow("3 threads") << 3;
}

void tst_RequestPool::stopDrainsQueue()
{
    QFETCH(int, threads);
    std::atomic<int> ran{0};
    ThreadIds exits;
    std::atomic<int> exitCalls{0};
    RequestPool pool(threads, 100, [&] {
        exits.add();
        ++exitCalls;
    });
    Gate gate;
    for (int i = 0; i < threads; ++i)
        QVERIFY(pool.trySubmit([&ran, f = gate.future()] {
            f.wait();
            ++ran;
        }));
    QTRY_COMPARE(pool.busy(), threads);
    for (int i = 0; i < 50; ++i)
        QVERIFY(pool.trySubmit([&] {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            ++ran;
        }));
    QCOMPARE(pool.queued(), 50);
    QCOMPARE(exitCalls.load(), 0);

    // stop() blocks until the queue is drained; open the gate from elsewhere a little later.
    std::thread opener([&gate] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        gate.open();
    });
    pool.stop();
    opener.join();
    QCOMPARE(ran.load(), threads + 50);  // everything queued before stop() ran
    QCOMPARE(exitCalls.load(), threads); // once per pool thread
    QCOMPARE(exits.distinct(), size_t(threads));
    QVERIFY(!exits.contains(std::this_thread::get_id()));
    QCOMPARE(pool.busy(), 0);
    QCOMPARE(pool.queued(), 0);

    pool.stop(); // idempotent
    QCOMPARE(exitCalls.load(), threads);
}

void tst_RequestPool::refusesAfterStop()
{
    std::atomic<int> ran{0};
    RequestPool pool(2, 10);
    pool.stop();
    QVERIFY(!pool.trySubmit([&] { ++ran; }));
    QTest::qWait(20);
    QCOMPARE(ran.load(), 0);
}

void tst_RequestPool::destructorStops()
{
    std::atomic<int> ran{0};
    std::atomic<int> exits{0};
    {
        RequestPool pool(2, 100, [&] { ++exits; });
        for (int i = 0; i < 20; ++i)
            QVERIFY(pool.trySubmit([&] { ++ran; }));
    } // joins: no task may outlive the pool
    QCOMPARE(ran.load(), 20);
    QCOMPARE(exits.load(), 2);
}

QTEST_GUILESS_MAIN(tst_RequestPool)
#include "tst_requestpool.moc"
