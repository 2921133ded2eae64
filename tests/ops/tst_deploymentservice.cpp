// DeploymentService against a second local cluster (the "staging" database) and real API nodes
// (Runtime on 127.0.0.1): success, typed confirmation, a node whose /ready fails → failure that
// offers rollback, and the rollback restoring the pre-deployment snapshot.
#include "app/runtime.h"
#include "server/core/secretstore.h"
#include "server/db/database.h"
#include "server/db/migrator.h"
#include "server/ops/deploymentservice.h"
#include "tests/ops/opstestutil.h"
#include "tests/support/apiserver.h"
#include "tests/support/pgfixture.h"

#include <QFuture>
#include <QTemporaryDir>
#include <QTest>
#include <QtConcurrent/QtConcurrentRun>

using namespace bw;
using namespace bw::ops;

class TestDeploymentService : public QObject {
    Q_OBJECT
private:
    test::PgFixture m_local;  // the app's own database (catalogue, deployment records)
    test::PgFixture m_second; // the environment's database server
    QTemporaryDir m_dir;
    QString m_catalogueDb;
    std::unique_ptr<test::ApiServer> m_nodeA;
    std::unique_ptr<test::ApiServer> m_nodeB;
    MemorySecretStore m_secrets;

    // Runs fn on a worker thread (the services block) while this thread keeps the nodes serving.
    template <typename Fn>
    auto offThread(Fn fn)
    {
        db::Database *unused = nullptr;
        Q_UNUSED(unused);
        auto future = QtConcurrent::run([this, fn] {
            db::Database catalogue(m_local.settings(m_catalogueDb));
            BackupService backups(catalogue, test::testOpsConfig(), m_dir.path(), QString());
            DeploymentService deployments(backups, &m_secrets);
            auto r = fn(deployments);
            catalogue.releaseThisThread();
            return r;
        });
        for (int i = 0; i < 2400 && !future.isFinished(); ++i)
            QTest::qWait(50);
        return future.result();
    }
    QString nodeUrl(test::ApiServer &n) const { return QStringLiteral("http://127.0.0.1:%1").arg(n.port()); }
    // The environment database with every migration but the newest applied: one is pending.
    QString olderSchemaDatabase()
    {
        const QString name = m_second.createDatabase();
        QList<db::MigrationFile> files = db::Migrator::builtIn();
        files.removeLast();
        db::Database d(m_second.settings(name));
        {
            auto up = db::Migrator(files).up(d.connection());
            if (!up)
                qWarning("%s", qPrintable(up.error().message));
        }
        d.releaseThisThread();
        return name;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_local.start(), qPrintable(m_local.lastError()));
        QVERIFY2(m_second.start(), qPrintable(m_second.lastError()));
        m_catalogueDb = m_local.createMigratedDatabase();
        m_nodeA = std::make_unique<test::ApiServer>(m_local);
        QVERIFY2(m_nodeA->start(), qPrintable(m_nodeA->lastError()));
        m_nodeB = std::make_unique<test::ApiServer>(m_local);
        QVERIFY2(m_nodeB->start(), qPrintable(m_nodeB->lastError()));
    }
    void cleanupTestCase()
    {
        m_nodeA.reset();
        m_nodeB.reset();
    }

    void successfulDeploymentIsRecorded()
    {
        const QString target = olderSchemaDatabase();
        QVERIFY(test::seedSample(m_second.settings(target), 50));
        const QString url = m_second.url(target);
        const QStringList nodes{nodeUrl(*m_nodeA), nodeUrl(*m_nodeB)};
        auto r = offThread([&](DeploymentService &d) -> Result<DeploymentRecord> {
            if (Status s =
                    d.saveEnvironment({.name = QStringLiteral("staging"), .nodeUrls = nodes, .readyTimeoutSeconds = 20}, url);
                !s)
                return s.error();
            return d.deploy(
                {.environment = QStringLiteral("staging"), .requestedBy = QStringLiteral("tester"), .pollIntervalMs = 200});
        });
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(r->outcome, QStringLiteral("succeeded"));
        QCOMPARE(r->migrationsApplied, QStringList{db::Migrator::builtIn().last().fileName()});
        QVERIFY(!r->snapshotBackupId.isEmpty());
        QVERIFY2(r->log.contains(QStringLiteral("all 2 node(s) ready")), qPrintable(r->log));
        const auto cat = m_local.settings(m_catalogueDb);
        QCOMPARE(test::queryValue(
                     cat, QStringLiteral("SELECT outcome || ' ' || requested_by FROM deployments WHERE id = '%1'").arg(r->id)),
                 QStringLiteral("succeeded tester"));
        QCOMPARE(test::queryValue(cat, QStringLiteral("SELECT kind FROM backups WHERE id = '%1'").arg(r->snapshotBackupId)),
                 QStringLiteral("pre_migration"));
        // The password went to the secret store, not the table.
        QVERIFY(!test::queryValue(cat, QStringLiteral("SELECT database_url FROM deployment_environments WHERE name = 'staging'"))
                     .contains(m_second.password()));
        QCOMPARE(m_secrets.read(QStringLiteral("deploy-staging-password"))->value(), m_second.password().toUtf8());
        // The target is now fully migrated.
        QCOMPARE(
            test::queryValue(m_second.settings(target), QStringLiteral("SELECT max(version) FROM schema_migrations")).toInt(),
            db::Migrator::builtIn().last().version);
    }

    void productionNeedsItsNameTyped()
    {
        const QString target = m_second.createMigratedDatabase();
        const QString url = m_second.url(target);
        auto r = offThread([&](DeploymentService &d) -> Result<DeploymentRecord> {
            if (Status s = d.saveEnvironment({.name = QStringLiteral("production"), .nodeUrls = {nodeUrl(*m_nodeA)}}, url); !s)
                return s.error();
            return d.deploy({.environment = QStringLiteral("production"), .confirmation = QStringLiteral("yes")});
        });
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::BadRequest);
        QVERIFY(r.error().message.contains(QStringLiteral("'production'")));
        QCOMPARE(test::queryValue(m_local.settings(m_catalogueDb),
                                  QStringLiteral("SELECT count(*) FROM deployments WHERE environment = 'production'")),
                 QStringLiteral("0"));
    }

    void aNodeThatIsNotReadyFailsTheDeploymentAndOffersRollback()
    {
        const QString target = olderSchemaDatabase();
        const auto ts = m_second.settings(target);
        QVERIFY(test::seedSample(ts, 100));
        const QJsonObject before = test::fingerprint(ts);
        const QString url = m_second.url(target);
        m_nodeB->runtime().setMaintenance(true); // its /ready answers 503
        const QStringList nodes{nodeUrl(*m_nodeA), nodeUrl(*m_nodeB)};
        auto r = offThread([&](DeploymentService &d) -> Result<DeploymentRecord> {
            if (Status s =
                    d.saveEnvironment({.name = QStringLiteral("canary"), .nodeUrls = nodes, .readyTimeoutSeconds = 3}, url);
                !s)
                return s.error();
            return d.deploy(
                {.environment = QStringLiteral("canary"), .requestedBy = QStringLiteral("tester"), .pollIntervalMs = 200});
        });
        m_nodeB->runtime().setMaintenance(false);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(r->outcome, QStringLiteral("failed"));
        QCOMPARE(r->failedStep, QStringLiteral("health"));
        QVERIFY(r->rollbackAvailable());
        QVERIFY2(r->log.contains(nodeUrl(*m_nodeB) + QStringLiteral(" (503)")), qPrintable(r->log));
        QVERIFY(r->log.contains(QStringLiteral("deploy rollback")));

        // Data written after the deployment, then the rollback: back to the snapshot.
        QVERIFY(test::runSql(ts, QStringLiteral("DELETE FROM ops_sample WHERE id <= 10")));
        auto rb = offThread([&](DeploymentService &d) -> Result<RestoreResult> {
            if (auto wrong = d.rollback(r->id, QStringLiteral("nope"), QStringLiteral("tester")); wrong.ok())
                return ApiError::internal(QStringLiteral("rollback without confirmation succeeded"));
            return d.rollback(r->id.left(8), QStringLiteral("canary"), QStringLiteral("tester"));
        });
        QVERIFY2(rb.ok(), qPrintable(rb.ok() ? QString() : rb.error().message));
        QCOMPARE(test::fingerprint(ts), before);
        QCOMPARE(test::queryValue(ts, QStringLiteral("SELECT max(version) FROM schema_migrations")).toInt(),
                 db::Migrator::builtIn().at(db::Migrator::builtIn().size() - 2).version);
        QCOMPARE(test::queryValue(m_local.settings(m_catalogueDb),
                                  QStringLiteral("SELECT outcome FROM deployments WHERE id = '%1'").arg(r->id)),
                 QStringLiteral("rolled_back"));
    }
};

QTEST_GUILESS_MAIN(TestDeploymentService)
#include "tst_deploymentservice.moc"
