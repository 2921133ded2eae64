// Operation: steps, throttled progress, cancellation only while cancellable.
#include "server/ops/operation.h"

#include <QTest>

#include <thread>

using namespace bw::ops;

class TestOperation : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void stepsFollowThePlan()
    {
        QList<Progress> seen;
        auto op = Operation::create(QStringLiteral("restore"), {QStringLiteral("a|First"), QStringLiteral("b|Second")},
                                    [&](const Progress &p) { seen << p; });
        QCOMPARE(op->plannedSteps(), (QStringList{QStringLiteral("First"), QStringLiteral("Second")}));
        op->beginStep(QStringLiteral("b"));
        QCOMPARE(op->progress().stepIndex, 2);
        QCOMPARE(op->progress().stepCount, 2);
        QCOMPARE(op->progress().stepLabel, QStringLiteral("Second"));
        op->beginStep(QStringLiteral("extra"));
        QCOMPARE(op->progress().stepCount, 3);
        op->message(QStringLiteral("hello"));
        QVERIFY(op->log().last().endsWith(QStringLiteral("extra: hello")));
        QVERIFY(!seen.isEmpty());
        QCOMPARE(seen.last().message, QStringLiteral("hello"));
    }

    void fractionUpdatesAreThrottled()
    {
        int calls = 0;
        auto op = Operation::create(QStringLiteral("x"), {}, [&](const Progress &) { ++calls; });
        op->beginStep(QStringLiteral("s"));
        const int before = calls;
        for (int i = 0; i < 1000; ++i)
            op->setFraction(i / 1000.0);
        QVERIFY2(calls - before <= 2, qPrintable(QString::number(calls - before)));
        QVERIFY(op->progress().fraction > 0.99);
    }

    void cancelOnlyWhileCancellable()
    {
        auto op = Operation::create(QStringLiteral("x"));
        QVERIFY(op->checkpoint().ok());
        op->setCancellable(false);
        op->cancel();
        QVERIFY(op->cancelRequested());
        QVERIFY(op->checkpoint().ok()); // past the point of no return: keep going
        op->setCancellable(true);
        QVERIFY(!op->checkpoint().ok());
        QVERIFY(Operation::isCancelled(op->checkpoint().error()));
    }

    void cancelFromAnotherThread()
    {
        auto op = Operation::create(QStringLiteral("x"));
        std::thread t([op] { op->cancel(); }); // joined: an ordering ThreadSanitizer can see
        t.join();
        QVERIFY(!op->checkpoint().ok());
    }
};

QTEST_GUILESS_MAIN(TestOperation)
#include "tst_operation.moc"
