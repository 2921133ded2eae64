// JobQueueQuery against a real PostgreSQL: counts per queue and state, and the jobs of one state
// (any queue or one), newest first and limited — without a running JobSystem.

#include "server/jobs/jobqueuequery.h"

#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"

#include <QSqlQuery>
#include <QTest>

#include <memory>

using namespace bw;

class tst_JobQueueQuery final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void countsPerQueueAndState();
    void listFiltersAndLimits();

private:
    QString insertJob(const QString &queue, const QString &state, int ageSeconds);
    test::PgFixture m_pg;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<jobs::JobQueueQuery> m_query;
    QStringList m_dead; // default queue, oldest first
};

QString tst_JobQueueQuery::insertJob(const QString &queue, const QString &state, int ageSeconds)
{
    auto q = db::exec(m_database->connection(),
                      QStringLiteral("INSERT INTO jobs (queue, kind, state, attempts, max_attempts, created_at)"
                                     " VALUES (?, 'test.kind', ?, 1, 3, now() - make_interval(secs => ?)) RETURNING id::text"),
                      {queue, state, double(ageSeconds)});
    if (!q || !q->next()) {
        qWarning("insertJob: %s", q ? "no row" : qPrintable(q.error().message));
        return {};
    }
    return q->value(0).toString();
}

void tst_JobQueueQuery::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<db::Database>(m_pg.settings(name));
    m_query = std::make_unique<jobs::JobQueueQuery>(*m_database);
    for (int age : {300, 200, 100})
        m_dead << insertJob(QStringLiteral("default"), QStringLiteral("discarded"), age);
    QVERIFY(!insertJob(QStringLiteral("mail"), QStringLiteral("discarded"), 50).isEmpty());
    QVERIFY(!insertJob(QStringLiteral("default"), QStringLiteral("available"), 10).isEmpty());
    QVERIFY(!m_dead.contains(QString()));
}

void tst_JobQueueQuery::cleanupTestCase()
{
    m_query.reset();
    if (m_database)
        m_database->releaseThisThread();
    m_database.reset();
}

void tst_JobQueueQuery::countsPerQueueAndState()
{
    auto counts = m_query->counts();
    QVERIFY2(counts, qPrintable(counts ? QString() : counts.error().message));
    const QJsonObject def = counts->value(QStringLiteral("default")).toObject();
    QCOMPARE(def.value(QStringLiteral("discarded")).toInt(), 3);
    QCOMPARE(def.value(QStringLiteral("available")).toInt(), 1);
    QCOMPARE(counts->value(QStringLiteral("mail")).toObject().value(QStringLiteral("discarded")).toInt(), 1);
}

void tst_JobQueueQuery::listFiltersAndLimits()
{
    auto anyQueue = m_query->list({}, QStringLiteral("discarded"), 100);
    QVERIFY(anyQueue);
    QCOMPARE(anyQueue->size(), 4);
    auto onlyDefault = m_query->list(QStringLiteral("default"), QStringLiteral("discarded"), 2);
    QVERIFY(onlyDefault);
    QCOMPARE(onlyDefault->size(), 2);
    QCOMPARE(onlyDefault->at(0).toObject().value(QStringLiteral("id")).toString(), m_dead.at(2)); // newest first
    QCOMPARE(onlyDefault->at(1).toObject().value(QStringLiteral("id")).toString(), m_dead.at(1));
    for (const QJsonValue &job : *onlyDefault)
        QCOMPARE(job.toObject().value(QStringLiteral("state")).toString(), QStringLiteral("discarded"));
}

QTEST_GUILESS_MAIN(tst_JobQueueQuery)
#include "tst_jobqueuequery.moc"
