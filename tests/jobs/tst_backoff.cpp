// backoffDelayMs: exponential growth per attempt, the cap, and the jitter band [½, 1]× of the delay.

#include "server/jobs/backoff.h"

#include <QTest>

using bw::jobs::backoffDelayMs;

class tst_Backoff final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bounds_data();
    void bounds();
    void jitterSpreads();
    void hugeAttemptsDoNotOverflow();
};

void tst_Backoff::bounds_data()
{
    QTest::addColumn<int>("attempt");
    QTest::addColumn<int>("base");
    QTest::addColumn<int>("cap");
    QTest::addColumn<qint64>("full"); // the un-jittered delay
    QTest::newRow("first") << 1 << 1000 << 600000 << qint64(1000);
    QTest::newRow("second") << 2 << 1000 << 600000 << qint64(2000);
    QTest::newRow("fifth") << 5 << 1000 << 600000 << qint64(16000);
    QTest::newRow("capped") << 12 << 1000 << 600000 << qint64(600000);
    QTest::newRow("zero attempt = first") << 0 << 500 << 600000 << qint64(500);
    QTest::newRow("cap below base") << 3 << 1000 << 10 << qint64(1000);
}

void tst_Backoff::bounds()
{
    QFETCH(int, attempt);
    QFETCH(int, base);
    QFETCH(int, cap);
    QFETCH(qint64, full);
    QCOMPARE(backoffDelayMs(attempt, base, cap, 0.0), full / 2);
    QCOMPARE(backoffDelayMs(attempt, base, cap, 1.0), full);
    for (int i = 0; i < 200; ++i) {
        const qint64 d = backoffDelayMs(attempt, base, cap);
        QVERIFY2(d >= full / 2 && d <= full, qPrintable(QString::number(d)));
    }
}

void tst_Backoff::jitterSpreads()
{
    // 200 draws for the same attempt should not collapse onto a few values.
    QSet<qint64> seen;
    for (int i = 0; i < 200; ++i)
        seen.insert(backoffDelayMs(6, 1000, 600000));
    QVERIFY(seen.size() > 100);
}

void tst_Backoff::hugeAttemptsDoNotOverflow()
{
    QCOMPARE(backoffDelayMs(1000000, 2147483647, 2147483647, 1.0), qint64(2147483647));
    QCOMPARE(backoffDelayMs(64, 1000, 3600000, 1.0), qint64(3600000));
}

QTEST_GUILESS_MAIN(tst_Backoff)
#include "tst_backoff.moc"
