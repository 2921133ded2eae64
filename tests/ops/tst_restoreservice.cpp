// RestoreService against a real cluster: round trip with data equality, typed confirmation,
// cancel and failure before the swap leave the database intact, the ops history survives the
// swap, and maintenance mode makes the real API answer 503 to writes and /ready meanwhile.
#include "app/runtime.h"
#include "server/db/database.h"
#include "server/ops/backupservice.h"
#include "server/ops/restoreservice.h"
#include "tests/ops/opstestutil.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"
#include "tests/support/pgfixture.h"

#include <QFile>
#include <QFuture>
#include <QScopeGuard>
#include <QSemaphore>

#include <QTemporaryDir>
#include <QTest>
#include <QtConcurrent/QtConcurrentRun>
#include <atomic>

using namespace bw;
using namespace bw::ops;

namespace {
QJsonObject userData(QJsonObject fp)
{
    for (const char *t : {"backups", "restores", "audit_log", "deployments", "deployment_environments"})
        fp.remove(QLatin1StringView(t));
    return fp;
}
} // namespace

class TestRestoreService : public QObject {
    Q_OBJECT
private:
    test::PgFixture m_pg;
    QTemporaryDir m_dir;

    struct Env {
        QString db;
        std::unique_ptr<db::Database> catalogue;
        std::unique_ptr<BackupService> backups;
        db::ConnectionSettings settings;
        ~Env()
        {
            backups.reset();
            if (catalogue)
                catalogue->releaseThisThread();
        }
    };
    std::unique_ptr<Env> makeEnv()
    {
        auto e = std::make_unique<Env>();
        e->db = m_pg.createMigratedDatabase();
        e->settings = m_pg.settings(e->db);
        e->catalogue = std::make_unique<db::Database>(e->settings);
        e->backups = std::make_unique<BackupService>(*e->catalogue, test::testOpsConfig(), m_dir.path(), QString());
        return e;
    }
    QString databasesLike(const QString &pattern)
    {
        return test::queryValue(
            m_pg.settings(QStringLiteral("postgres")),
            QStringLiteral("SELECT coalesce(string_agg(datname, ','), '') FROM pg_database WHERE datname LIKE '%1'")
                .arg(pattern));
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError())); }

    void roundTripRestoresTheBackedUpData()
    {
        auto e = makeEnv();
        QVERIFY(test::seedSample(e->settings, 3000));
        auto backup = e->backups->create(BackupKind::Manual);
        QVERIFY(backup.ok());
        const QJsonObject atBackup = userData(test::fingerprint(e->settings));
        // Life goes on after the backup: new rows, deleted rows, a changed setting.
        QVERIFY(test::seedSample(e->settings, 500));
        QVERIFY(test::runSql(e->settings, QStringLiteral("DELETE FROM ops_sample WHERE id % 7 = 0")));
        QVERIFY(test::runSql(e->settings, QStringLiteral("INSERT INTO settings (key, value) VALUES ('after_backup', 'true')")));
        QVERIFY(userData(test::fingerprint(e->settings)) != atBackup);

        QList<bool> maintenance;
        RestoreService restore(*e->backups, [&](bool on) { maintenance << on; });
        QStringList stepsSeen;
        auto op = Operation::create(QStringLiteral("restore"), RestoreService::plannedSteps(), [&](const Progress &p) {
            if (stepsSeen.isEmpty() || stepsSeen.last() != p.step)
                stepsSeen << p.step;
        });
        auto r =
            restore.restore({.backupId = backup->id.left(8), .confirmation = e->db, .requestedBy = QStringLiteral("tester")}, op);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(maintenance, (QList<bool>{true, false}));
        QCOMPARE(stepsSeen, (QStringList{"confirm", "maintenance", "snapshot", "restore", "verify", "swap", "finish"}));
        QVERIFY(!op->progress().cancellable);

        QCOMPARE(userData(test::fingerprint(e->settings)), atBackup);
        // The ops history survived: the safety snapshot, the restore and its audit trail.
        QCOMPARE(test::queryValue(e->settings, QStringLiteral("SELECT kind FROM backups WHERE id = '%1'").arg(r->safetyBackupId)),
                 QStringLiteral("pre_restore"));
        QCOMPARE(test::queryValue(
                     e->settings,
                     QStringLiteral("SELECT outcome || ' ' || requested_by FROM restores WHERE id = '%1'").arg(r->restoreId)),
                 QStringLiteral("succeeded tester"));
        QVERIFY(
            test::queryValue(e->settings,
                             QStringLiteral("SELECT jsonb_array_length(steps) FROM restores WHERE id = '%1'").arg(r->restoreId))
                .toInt()
            >= 6);
        QCOMPARE(
            test::queryValue(e->settings,
                             QStringLiteral("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE target_id = '%1'")
                                 .arg(r->restoreId)),
            QStringLiteral(
                "restore.requested,restore.maintenance,restore.snapshot,restore.restore,restore.verify,restore.swap,restore.finished"));
        QVERIFY(r->ms > 0);
        // The replaced database is dropped, nothing temporary is left.
        QCOMPARE(databasesLike(e->db + QStringLiteral("_%")), QString());
        // The safety snapshot holds the state just before the restore.
        auto safety = e->backups->get(r->safetyBackupId);
        QVERIFY(safety.ok());
        QCOMPARE(
            safety->tableCounts.value(QStringLiteral("public.ops_sample")).toInt(),
            test::queryValue(e->settings,
                             QStringLiteral("SELECT 3500 - count(*) FILTER (WHERE id % 7 = 0) FROM generate_series(1, 3500) id"))
                .toInt());
    }

    void typedConfirmationIsRequired()
    {
        auto e = makeEnv();
        auto backup = e->backups->create(BackupKind::Manual);
        QVERIFY(backup.ok());
        bool maintenance = false;
        RestoreService restore(*e->backups, [&](bool on) { maintenance = on || maintenance; });
        auto r = restore.restore({.backupId = backup->id, .confirmation = QStringLiteral("yes")});
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::BadRequest);
        QVERIFY(r.error().message.contains(e->db));
        QVERIFY(!maintenance);
    }

    void damagedBackupIsRefusedBeforeAnythingChanges()
    {
        auto e = makeEnv();
        QVERIFY(test::seedSample(e->settings, 100));
        auto backup = e->backups->create(BackupKind::Manual);
        QVERIFY(backup.ok());
        QFile f(backup->path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.seek(f.size() / 2);
        f.putChar('x');
        f.putChar('y');
        f.close();
        const QJsonObject before = userData(test::fingerprint(e->settings));
        RestoreService restore(*e->backups, {});
        auto r = restore.restore({.backupId = backup->id, .confirmation = e->db});
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.contains(QStringLiteral("failed verification")), qPrintable(r.error().message));
        QCOMPARE(userData(test::fingerprint(e->settings)), before);
    }

    void failureBeforeTheSwapLeavesTheDatabaseIntact()
    {
        auto e = makeEnv();
        QVERIFY(test::seedSample(e->settings, 200));
        auto backup = e->backups->create(BackupKind::Manual);
        QVERIFY(backup.ok());
        QVERIFY(test::seedSample(e->settings, 50));
        // The catalogue claims a row count the archive does not hold: the verify step must stop it.
        QVERIFY(test::runSql(
            e->settings, QStringLiteral("UPDATE backups SET table_counts = jsonb_set(table_counts, '{public.ops_sample}', '999') "
                                        "WHERE id = '%1'")
                             .arg(backup->id)));
        const QJsonObject before = userData(test::fingerprint(e->settings));
        QList<bool> maintenance;
        RestoreService restore(*e->backups, [&](bool on) { maintenance << on; });
        auto r = restore.restore({.backupId = backup->id, .confirmation = e->db});
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.contains(QStringLiteral("does not match")), qPrintable(r.error().message));
        QCOMPARE(maintenance, (QList<bool>{true, false}));
        QCOMPARE(userData(test::fingerprint(e->settings)), before);
        QCOMPARE(databasesLike(e->db + QStringLiteral("_%")), QString());
        QCOMPARE(test::queryValue(e->settings, QStringLiteral("SELECT outcome FROM restores ORDER BY started_at DESC LIMIT 1")),
                 QStringLiteral("failed"));
    }

    void cancelDuringTheRestoreLeavesTheDatabaseIntact()
    {
        auto e = makeEnv();
        QVERIFY(test::seedSample(e->settings, 20000, 300));
        auto backup = e->backups->create(BackupKind::Manual);
        QVERIFY(backup.ok());
        QVERIFY(test::runSql(e->settings, QStringLiteral("DELETE FROM ops_sample WHERE id < 100")));
        const QJsonObject before = userData(test::fingerprint(e->settings));
        RestoreService restore(*e->backups, {});
        OperationPtr op;
        op = Operation::create(QStringLiteral("restore"), RestoreService::plannedSteps(), [&op](const Progress &p) {
            if (p.step == QLatin1StringView("restore"))
                op->cancel();
        });
        auto r = restore.restore({.backupId = backup->id, .confirmation = e->db}, op);
        QVERIFY(!r.ok());
        QVERIFY(Operation::isCancelled(r.error()));
        QCOMPARE(userData(test::fingerprint(e->settings)), before);
        QCOMPARE(databasesLike(e->db + QStringLiteral("_%")), QString());
        QCOMPARE(test::queryValue(e->settings, QStringLiteral("SELECT outcome FROM restores ORDER BY started_at DESC LIMIT 1")),
                 QStringLiteral("cancelled"));
    }

    void restoreFromAFileWithoutTheCatalogue()
    {
        auto e = makeEnv();
        QVERIFY(test::seedSample(e->settings, 300));
        auto backup = e->backups->create(BackupKind::Manual);
        QVERIFY(backup.ok());
        const QJsonObject atBackup = userData(test::fingerprint(e->settings));
        QVERIFY(test::runSql(e->settings, QStringLiteral("TRUNCATE ops_sample")));
        RestoreService restore(*e->backups, {});
        auto r = restore.restore({.file = backup->path, .confirmation = e->db, .safetySnapshot = false, .keepPrevious = true});
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(userData(test::fingerprint(e->settings)), atBackup);
        // keepPrevious: the replaced database is still there, renamed.
        QCOMPARE(databasesLike(r->previousDatabase), r->previousDatabase);
        QVERIFY(m_pg.dropDatabase(r->previousDatabase));
    }

    void maintenanceModeBlocksWritesDuringTheRestore()
    {
        test::ApiServer api(m_pg);
        QVERIFY2(api.start(), qPrintable(api.lastError()));
        db::Database *database = api.runtime().database();
        QVERIFY(database);
        BackupService backups(*database, test::testOpsConfig(), m_dir.path(), QString());
        auto backup = QtConcurrent::run([&] {
            auto b = backups.create(BackupKind::Manual);
            database->releaseThisThread();
            return b;
        });
        QTRY_VERIFY_WITH_TIMEOUT(backup.isFinished(), 60000);
        QVERIFY(backup.result().ok());
        app::Runtime *runtime = &api.runtime();
        RestoreService restore(backups, [runtime](bool on) { runtime->setMaintenance(on); });

        QSemaphore atRestoreStep, resume;
        std::atomic_bool held{false};
        auto op = Operation::create(QStringLiteral("restore"), RestoreService::plannedSteps(), [&](const Progress &p) {
            if (p.step == QLatin1StringView("restore") && !held.exchange(true)) {
                atRestoreStep.release();
                resume.acquire(); // hold the restore here while the test talks to the API
            }
        });
        const QString name = api.database();
        auto running = QtConcurrent::run([&] {
            auto r = restore.restore({.backupId = backup.result()->id, .confirmation = name}, op);
            database->releaseThisThread();
            return r;
        });
        // However this test ends, the restore thread is let go and waited for before the locals die.
        const auto letGo = qScopeGuard([&] {
            if (held && resume.available() == 0)
                resume.release();
            while (!running.isFinished())
                QTest::qWait(50);
        });
        bool reached = false; // QTRY re-evaluates its expression: remember the acquired permit
        QTRY_VERIFY_WITH_TIMEOUT((reached = reached || atRestoreStep.tryAcquire()) || running.isFinished(), 300000);
        // (QVERIFY2 evaluates its message eagerly: result() would wait for the held restore.)
        if (running.isFinished())
            QFAIL(qPrintable(running.result().ok() ? QStringLiteral("finished early") : running.result().error().message));
        const QByteArray body = R"({"username":"during_restore","framework":"custom","specializations":["education_access"]})";
        const auto write =
            test::httpRequest(api.port(), "POST", "/api/v1/auth/agents/register", body, {{"Content-Type", "application/json"}});
        const auto ready = test::httpRequest(api.port(), "GET", "/ready");
        const auto health = test::httpRequest(api.port(), "GET", "/health");
        resume.release();
        QTRY_VERIFY_WITH_TIMEOUT(running.isFinished(), 300000);
        QCOMPARE(write.status, 503);
        QCOMPARE(ready.status, 503);
        QCOMPARE(health.status, 200);
        QVERIFY2(running.result().ok(), qPrintable(running.result().ok() ? QString() : running.result().error().message));
        // Out of maintenance, on the restored database: writes work again.
        const QByteArray after = R"({"username":"after_restore","framework":"custom","specializations":["education_access"]})";
        QTRY_COMPARE_WITH_TIMEOUT(test::httpRequest(api.port(), "GET", "/ready").status, 200, 10000);
        QCOMPARE(
            test::httpRequest(api.port(), "POST", "/api/v1/auth/agents/register", after, {{"Content-Type", "application/json"}})
                .status,
            201);
    }
};

QTEST_GUILESS_MAIN(TestRestoreService)
#include "tst_restoreservice.moc"
