// Starting the server on a database that holds data and has a pending migration: the Runtime
// takes the pre-migration snapshot first (a real pg_dump, catalogued), then migrates — the same
// guard as `betterworld migrate up` (operations.md: "migrate always snapshots first"). A restart
// with nothing pending takes no snapshot.
#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/apiserver.h"

#include <QFileInfo>
#include <QTest>

using namespace bw::test;

class tst_StartupMigration : public QObject {
    Q_OBJECT
    PgFixture m_pg;

    QVariant scalar(const QString &database, const QString &sql)
    {
        bw::db::Database db(m_pg.settings(database));
        auto q = bw::db::exec(db.connection(), sql);
        const QVariant v = q && q->next() ? q->value(0) : QVariant();
        if (!q)
            qWarning("%s", qPrintable(q.error().message));
        db.releaseThisThread();
        return v;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError())); }

    void pendingMigrationOnDataIsSnapshottedFirst()
    {
        ApiServer first(m_pg);
        QVERIFY2(first.start(), qPrintable(first.lastError()));
        const QString database = first.database();
        QVERIFY(!first.registerAgent(QStringLiteral("keeps_data")).second.isEmpty());
        QVERIFY(first.stop());

        // Make the newest migration pending again, as if this were the release that adds it.
        bw::db::Database admin(m_pg.settings(database));
        QVERIFY(bw::db::exec(admin.connection(), QStringLiteral("DROP TABLE alert_events")));
        QVERIFY(bw::db::exec(admin.connection(), QStringLiteral("DELETE FROM schema_migrations WHERE version = 12")));
        admin.releaseThisThread();

        ApiServer second(m_pg);
        QVERIFY2(second.start([&](bw::Config &c) { c.databaseUrl = m_pg.url(database); }), qPrintable(second.lastError()));
        QCOMPARE(scalar(database, QStringLiteral("SELECT count(*) FROM backups WHERE kind = 'pre_migration'")).toInt(), 1);
        QCOMPARE(scalar(database, QStringLiteral("SELECT status || ' ' || schema_version FROM backups WHERE kind = 'pre_migration'")).toString(),
                 QStringLiteral("completed 11")); // the dump is of the schema before the migration
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
};

QTEST_GUILESS_MAIN(tst_StartupMigration)
#include "tst_startupmigration.moc"
