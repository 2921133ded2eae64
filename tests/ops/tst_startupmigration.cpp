// Starting the server on a database that holds data and has a pending migration: the Runtime
// takes the pre-migration snapshot first (a real pg_dump, catalogued), then migrates — the same
// guard as `betterworld migrate up` (operations.md: "migrate always snapshots first"). A restart
// with nothing pending takes no snapshot; two nodes starting together snapshot and migrate once.
#include "app/runtime.h"
#include "server/core/secretstore.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/apiserver.h"
#include "tests/support/testdb.h"

#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace bw::test;

class tst_StartupMigration : public QObject {
    Q_OBJECT
    PgFixture m_pg;

    QVariant scalar(const QString &database, const QString &sql) { return bw::test::scalar(m_pg.settings(database), sql); }

    // A database with data whose newest migration is pending again, as in the release adding it.
    QString databaseWithPendingMigration(const QString &agent)
    {
        ApiServer server(m_pg);
        if (!server.start() || server.registerAgent(agent).second.isEmpty() || !server.stop())
            return {};
        bw::db::Database admin(m_pg.settings(server.database()));
        const bool ok = bw::db::exec(admin.connection(), QStringLiteral("DROP TABLE alert_events"))
                        && bw::db::exec(admin.connection(), QStringLiteral("DELETE FROM schema_migrations WHERE version = 12"));
        m_versionBefore =
            ok ? bw::test::scalar(m_pg.settings(server.database()), QStringLiteral("SELECT max(version) FROM schema_migrations"))
                     .toInt()
               : 0;
        admin.releaseThisThread();
        return ok ? server.database() : QString();
    }
    int m_versionBefore = 0; // the schema version the database reports while 12 is pending

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError())); }

    void pendingMigrationOnDataIsSnapshottedFirst()
    {
        const QString database = databaseWithPendingMigration(QStringLiteral("keeps_data"));
        QVERIFY(!database.isEmpty());

        ApiServer second(m_pg);
        QVERIFY2(second.start([&](bw::Config &c) { c.databaseUrl = m_pg.url(database); }), qPrintable(second.lastError()));
        QCOMPARE(scalar(database, QStringLiteral("SELECT count(*) FROM backups WHERE kind = 'pre_migration'")).toInt(), 1);
        QCOMPARE(
            scalar(database, QStringLiteral("SELECT status || ' ' || schema_version FROM backups WHERE kind = 'pre_migration'"))
                .toString(),
            QStringLiteral("completed %1").arg(m_versionBefore)); // the dump is of the schema before the migration
        const QString dump = scalar(database, QStringLiteral("SELECT path FROM backups WHERE kind = 'pre_migration'")).toString();
        QVERIFY2(QFileInfo(dump).size() > 0, qPrintable(dump));
        QVERIFY(!scalar(database, QStringLiteral("SELECT to_regclass('alert_events')::text")).isNull()); // then migrated
        QCOMPARE(scalar(database, QStringLiteral("SELECT count(*) FROM schema_migrations WHERE version = 12")).toInt(), 1);
        QCOMPARE(scalar(database, QStringLiteral("SELECT count(*) FROM agents WHERE username = 'keeps_data'")).toInt(), 1);
        QVERIFY(second.stop());

        // Nothing pending: a restart takes no snapshot.
        ApiServer third(m_pg);
        QVERIFY2(third.start([&](bw::Config &c) { c.databaseUrl = m_pg.url(database); }), qPrintable(third.lastError()));
        QCOMPARE(scalar(database, QStringLiteral("SELECT count(*) FROM backups")).toInt(), 1);
        QVERIFY(third.stop());
    }

    void twoNodesStartingTogetherSnapshotOnce()
    {
        const QString database = databaseWithPendingMigration(QStringLiteral("two_nodes"));
        QVERIFY(!database.isEmpty());
        QTemporaryDir dataRoot;
        std::vector<std::unique_ptr<bw::app::Runtime>> nodes;
        std::vector<std::unique_ptr<QSignalSpy>> ready, failed;
        for (int i = 0; i < 2; ++i) {
            bw::Config config;
            config.dataDir = dataRoot.filePath(QStringLiteral("node%1").arg(i));
            config.listenHost = QStringLiteral("127.0.0.1");
            config.listenPort = 0;
            config.databaseUrl = m_pg.url(database);
            nodes.push_back(std::make_unique<bw::app::Runtime>(config, bw::app::Runtime::Options{},
                                                               std::make_unique<bw::MemorySecretStore>()));
            ready.push_back(std::make_unique<QSignalSpy>(nodes.back().get(), &bw::app::Runtime::ready));
            failed.push_back(std::make_unique<QSignalSpy>(nodes.back().get(), &bw::app::Runtime::failed));
        }
        for (auto &node : nodes)
            node->start(); // both connect and reach the migration lock together
        QTRY_VERIFY_WITH_TIMEOUT(ready[0]->count() + failed[0]->count() == 1 && ready[1]->count() + failed[1]->count() == 1,
                                 60000);
        QVERIFY2(failed[0]->isEmpty() && failed[1]->isEmpty(), "a node failed to start");
        QCOMPARE(scalar(database, QStringLiteral("SELECT count(*) FROM backups WHERE kind = 'pre_migration'")).toInt(), 1);
        QCOMPARE(scalar(database, QStringLiteral("SELECT count(*) FROM schema_migrations WHERE version = 12")).toInt(), 1);
        for (auto &node : nodes) {
            QSignalSpy stopped(node.get(), &bw::app::Runtime::stopped);
            node->stop();
            QVERIFY(stopped.wait(30000) || !stopped.isEmpty());
        }
    }
};

QTEST_GUILESS_MAIN(tst_StartupMigration)
#include "tst_startupmigration.moc"
