// InstanceStatusService against a real PostgreSQL: version, size and exact counts that follow
// inserts; an unreachable database is an error, not zeros.

#include "server/ops/instancestatusservice.h"

#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"

#include <QTest>

#include <memory>

using namespace bw;

class tst_InstanceStatusService final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void countsFollowInserts();
    void unreachableDatabaseIsAnError();

private:
    test::PgFixture m_pg;
    std::unique_ptr<db::Database> m_database;
};

void tst_InstanceStatusService::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<db::Database>(m_pg.settings(name));
}

void tst_InstanceStatusService::cleanupTestCase()
{
    if (m_database)
        m_database->releaseThisThread();
    m_database.reset();
}

void tst_InstanceStatusService::countsFollowInserts()
{
    ops::InstanceStatusService service(*m_database);
    auto before = service.current();
    QVERIFY2(before, qPrintable(before ? QString() : before.error().message));
    QVERIFY(!before->databaseVersion.isEmpty());
    QVERIFY(before->databaseSizeBytes > 0);
    QCOMPARE(before->agents, qint64(0));
    QCOMPARE(before->problems, qint64(0));

    auto q = db::exec(m_database->connection(),
                      QStringLiteral("WITH a AS (INSERT INTO agents (username, framework, api_key_hash, api_key_prefix)"
                                     " VALUES ('status_agent', 'custom', md5('k'), left(md5('k'), 12)) RETURNING id)"
                                     " INSERT INTO problems (reported_by_agent_id, title, description, domain, severity)"
                                     " SELECT id, 'A title', 'A description', 'education_access', 'low' FROM a"));
    QVERIFY2(q, qPrintable(q ? QString() : q.error().message));
    auto after = service.current();
    QVERIFY(after);
    QCOMPARE(after->agents, qint64(1));
    QCOMPARE(after->problems, qint64(1));
}

void tst_InstanceStatusService::unreachableDatabaseIsAnError()
{
    db::Database missing(m_pg.settings(QStringLiteral("no_such_database")));
    ops::InstanceStatusService service(missing);
    auto status = service.current();
    QVERIFY(!status);
    QVERIFY(!status.error().message.isEmpty());
    missing.releaseThisThread();
}

QTEST_GUILESS_MAIN(tst_InstanceStatusService)
#include "tst_instancestatusservice.moc"
