// The watchdog that proves "the GUI thread is never blocked > 50 ms" must itself be right: it
// sees a busy GUI thread and a sleeping one, and it does not blame the GUI thread for time the
// machine gave to others (real-time spinners on every core).
#include "tests/ui/guistallwatchdog.h"

#include <QCoreApplication>
#include <QTest>
#include <QThread>

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using bw::test::GuiStallWatchdog;

class tst_GuiStallWatchdog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void idleThreadIsNotBlocked();
    void busyThreadIsBlocked();
    void sleepingThreadIsBlocked();
    void waitingForACpuIsNotBlocked();
};

void tst_GuiStallWatchdog::idleThreadIsNotBlocked()
{
    GuiStallWatchdog watchdog;
    watchdog.start();
    QTest::qWait(300);
    watchdog.stop();
    qInfo("%s", qPrintable(watchdog.summary()));
    QVERIFY(watchdog.worstBlockedMs() < 50);
}

void tst_GuiStallWatchdog::busyThreadIsBlocked()
{
    GuiStallWatchdog watchdog;
    watchdog.start();
    QTest::qWait(20);
    QTimer::singleShot(0, [] {
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(120);
        while (std::chrono::steady_clock::now() < until) {
        }
    });
    QTest::qWait(100);
    watchdog.stop();
    qInfo("%s", qPrintable(watchdog.summary()));
    QVERIFY2(watchdog.worstBlockedMs() >= 100, qPrintable(watchdog.summary()));
}

void tst_GuiStallWatchdog::sleepingThreadIsBlocked()
{
    GuiStallWatchdog watchdog;
    watchdog.start();
    QTest::qWait(20);
    QTimer::singleShot(0, [] { QThread::msleep(120); }); // e.g. a synchronous query on the GUI thread
    QTest::qWait(100);
    watchdog.stop();
    qInfo("%s", qPrintable(watchdog.summary()));
    QVERIFY2(watchdog.worstBlockedMs() >= 100, qPrintable(watchdog.summary()));
}

void tst_GuiStallWatchdog::waitingForACpuIsNotBlocked()
{
    GuiStallWatchdog watchdog;
    watchdog.start();
    if (!watchdog.measuresRunQueue())
        QSKIP("this kernel has no /proc/thread-self/schedstat");
    // Real-time spinners on every core for 0.3 s keep the idle GUI thread waiting for a CPU (nice
    // -20 is not enough: the scheduler still wakes a sleeper within ~15 ms). They turn real-time
    // only after `go`, so the GUI thread has set it; the kernel's RT throttling (95 %) bounds them.
    std::atomic_bool go{false};
    std::atomic_int realtime{0};
    std::vector<std::thread> spinners;
    const int cores = std::max(1, QThread::idealThreadCount());
    for (int i = 0; i < cores; ++i)
        spinners.emplace_back([&] {
            while (!go)
                std::this_thread::yield();
            const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
            sched_param param{};
            param.sched_priority = 1;
            realtime += pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
            while (std::chrono::steady_clock::now() < until) {
            }
        });
    QTest::qWait(20);
    go = true;
    QTest::qWait(400);
    for (std::thread &t : spinners)
        t.join();
    watchdog.stop();
    qInfo("%s", qPrintable(watchdog.summary()));
    if (realtime < cores)
        QSKIP("not allowed to make the spinners real-time (needs CAP_SYS_NICE)");
    QVERIFY2(watchdog.worstGapMs() >= 100, qPrintable(watchdog.summary())); // the GUI thread did wait
    QVERIFY2(watchdog.worstBlockedMs() < 50, qPrintable(watchdog.summary())); // and is not blamed for it
}

QTEST_MAIN(tst_GuiStallWatchdog)
#include "tst_guistallwatchdog.moc"
