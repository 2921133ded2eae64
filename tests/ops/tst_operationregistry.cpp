// OperationRegistry without a database: work runs off the caller's thread and ends in the state
// its result says, cancel reaches a running operation, a restore-like exclusive operation runs
// alone, and finished operations stay readable.
#include "server/ops/operationregistry.h"

#include <QSemaphore>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace bw;
using namespace bw::ops;

namespace {
QString stateOf(const OperationRegistry &r, const QString &id)
{
    const auto o = r.find(id);
    return o ? o->value(QStringLiteral("state")).toString() : QStringLiteral("(missing)");
}
QString idOf(const Result<QJsonObject> &o)
{
    return o ? o->value(QStringLiteral("id")).toString() : QString();
}

// Work that runs until cancelled; `started` is released once it runs.
OperationRegistry::Work untilCancelled(QSemaphore &started)
{
    return [&started](const OperationPtr &op) -> Result<QJsonObject> {
        op->beginStep(QStringLiteral("wait"));
        started.release();
        while (op->checkpoint())
            QThread::msleep(5);
        return Operation::cancelledError();
    };
}
} // namespace

class tst_OperationRegistry : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void resultsAndErrorsBecomeStates()
    {
        std::atomic<int> releases = 0; // the two worker threads may release at the same time
        OperationRegistry registry([&releases] { ++releases; });
        const auto good = registry.start({QStringLiteral("backup"), {}, QStringLiteral("admin:a@b.c")}, {},
                                         [](const OperationPtr &op) -> Result<QJsonObject> {
                                             op->message(QStringLiteral("dumping"));
                                             return QJsonObject{{QStringLiteral("id"), QStringLiteral("b1")}};
                                         });
        const auto bad = registry.start(
            {QStringLiteral("verify"), QStringLiteral("b1"), QStringLiteral("admin:a@b.c")}, {},
            [](const OperationPtr &) -> Result<QJsonObject> { return ApiError::conflict(QStringLiteral("checksum mismatch")); });
        QVERIFY(good && bad);
        QCOMPARE(good->value(QStringLiteral("state")).toString(), QStringLiteral("running"));
        QVERIFY(registry.waitForIdle(10000));
        QCOMPARE(stateOf(registry, idOf(good)), QStringLiteral("succeeded"));
        QCOMPARE(registry.find(idOf(good))->value(QStringLiteral("result")).toObject().value(QStringLiteral("id")).toString(),
                 QStringLiteral("b1"));
        QVERIFY(registry.find(idOf(good))->value(QStringLiteral("log")).toArray().first().toString().contains(u"dumping"));
        QCOMPARE(stateOf(registry, idOf(bad)), QStringLiteral("failed"));
        const QJsonObject error = registry.find(idOf(bad))->value(QStringLiteral("error")).toObject();
        QCOMPARE(error.value(QStringLiteral("code")).toString(), QStringLiteral("CONFLICT"));
        QCOMPARE(error.value(QStringLiteral("message")).toString(), QStringLiteral("checksum mismatch"));
        QCOMPARE(releases.load(), 2); // each worker thread gave its connection back
        QCOMPARE(registry.list().size(), 2);
        QCOMPARE(registry.list().first().toObject().value(QStringLiteral("id")).toString(), idOf(bad)); // newest first
    }

    void cancelReachesRunningWork()
    {
        OperationRegistry registry;
        QSemaphore started;
        const auto op = registry.start({QStringLiteral("drill"), {}, {}}, {}, untilCancelled(started));
        QVERIFY(op);
        QVERIFY(started.tryAcquire(1, 10000));
        const auto cancelled = registry.cancel(idOf(op));
        QVERIFY(cancelled);
        QVERIFY(registry.waitForIdle(10000));
        QCOMPARE(stateOf(registry, idOf(op)), QStringLiteral("cancelled"));
        // Finished: a second cancel is a conflict; an unknown id is not found.
        QCOMPARE(registry.cancel(idOf(op)).error().kind, ErrorKind::Conflict);
        QCOMPARE(registry.cancel(QStringLiteral("nope")).error().kind, ErrorKind::NotFound);
    }

    void pastThePointOfNoReturnCannotBeCancelled()
    {
        OperationRegistry registry;
        QSemaphore started, finish;
        const auto op =
            registry.start({QStringLiteral("restore"), {}, {}, true}, {}, [&](const OperationPtr &o) -> Result<QJsonObject> {
                o->setCancellable(false);
                started.release();
                finish.acquire();
                return QJsonObject();
            });
        QVERIFY(started.tryAcquire(1, 10000));
        QCOMPARE(registry.cancel(idOf(op)).error().kind, ErrorKind::Conflict);
        finish.release();
        QVERIFY(registry.waitForIdle(10000));
        QCOMPARE(stateOf(registry, idOf(op)), QStringLiteral("succeeded"));
    }

    void anExclusiveOperationRunsAlone()
    {
        OperationRegistry registry;
        QSemaphore started;
        const auto backup = registry.start({QStringLiteral("backup"), {}, {}}, {}, untilCancelled(started));
        QVERIFY(started.tryAcquire(1, 10000));
        // A restore waits for nothing: it is refused while a backup runs…
        QCOMPARE(registry.start({QStringLiteral("restore"), {}, {}, true}, {}, untilCancelled(started)).error().kind,
                 ErrorKind::Conflict);
        QVERIFY(registry.cancel(idOf(backup)));
        QVERIFY(registry.waitForIdle(10000));
        // …and while it runs nothing else starts.
        const auto restore = registry.start({QStringLiteral("restore"), {}, {}, true}, {}, untilCancelled(started));
        QVERIFY(restore);
        QVERIFY(started.tryAcquire(1, 10000));
        QCOMPARE(registry.start({QStringLiteral("backup"), {}, {}}, {}, untilCancelled(started)).error().kind,
                 ErrorKind::Conflict);
        QVERIFY(registry.cancel(idOf(restore)));
        QVERIFY(registry.waitForIdle(10000));
    }

    void destructionCancelsAndWaits()
    {
        QSemaphore started;
        QString id;
        {
            OperationRegistry registry;
            id = idOf(registry.start({QStringLiteral("drill"), {}, {}}, {}, untilCancelled(started)));
            QVERIFY(started.tryAcquire(1, 10000));
        } // would hang here if the running work were not cancelled
        QVERIFY(!id.isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_OperationRegistry)
#include "tst_operationregistry.moc"
