// MonitoringService against a real PostgreSQL: alert episodes (current vs. history, acknowledging
// once), metric history of the requested series, and the slow-statement read that needs
// pg_stat_statements — all on the calling thread's connection.

#include "server/monitoring/monitoringservice.h"

#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"

#include <QTest>

#include <memory>

using namespace bw;

class tst_MonitoringService final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void currentAlertsLeaveOutOldResolvedOnes();
    void acknowledgeKeepsTheFirst();
    void metricHistoryReturnsTheRequestedSeries();
    void slowQueriesAnswerEitherWay();

private:
    void exec(const QString &sql)
    {
        auto q = db::exec(m_database->connection(), sql);
        QVERIFY2(q, qPrintable(q ? QString() : q.error().message));
    }
    test::PgFixture m_pg;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<monitoring::MonitoringService> m_service;
};

void tst_MonitoringService::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<db::Database>(m_pg.settings(name));
    m_service = std::make_unique<monitoring::MonitoringService>(*m_database);
    exec(QStringLiteral("INSERT INTO alert_events (rule, severity, state, summary, fired_at) VALUES"
                        " ('HighErrorRate', 'P2', 'firing', 'errors', now());"
                        " INSERT INTO alert_events (rule, severity, state, summary, pending_since, fired_at, resolved_at) VALUES"
                        " ('BackupStale', 'P3', 'resolved', 'old', now() - interval '3 days', now() - interval '3 days',"
                        " now() - interval '2 days')"));
}

void tst_MonitoringService::cleanupTestCase()
{
    m_service.reset();
    if (m_database)
        m_database->releaseThisThread();
    m_database.reset();
}

void tst_MonitoringService::currentAlertsLeaveOutOldResolvedOnes()
{
    auto current = m_service->currentAlerts();
    auto history = m_service->alertHistory(10);
    QVERIFY(current && history);
    QCOMPARE(current->size(), 1);
    QCOMPARE(current->first().rule, QStringLiteral("HighErrorRate"));
    QCOMPARE(current->first().state, QStringLiteral("firing"));
    QCOMPARE(history->size(), 2);
    QCOMPARE(history->first().rule, QStringLiteral("BackupStale")); // newest id first
    auto limited = m_service->alertHistory(1);
    QVERIFY(limited);
    QCOMPARE(limited->size(), 1);
}

void tst_MonitoringService::acknowledgeKeepsTheFirst()
{
    auto current = m_service->currentAlerts();
    QVERIFY(current && !current->isEmpty());
    const qint64 id = current->first().id;
    QVERIFY(m_service->acknowledgeAlert(id, QStringLiteral("Ana")));
    QVERIFY(m_service->acknowledgeAlert(id, QStringLiteral("Ben")));
    auto after = m_service->currentAlerts();
    QVERIFY(after);
    QCOMPARE(after->first().acknowledgedBy, QStringLiteral("Ana"));
    QVERIFY(after->first().acknowledged());
    const Status unknown = m_service->acknowledgeAlert(999999, QStringLiteral("Ana"));
    QVERIFY(!unknown);
    QCOMPARE(unknown.error().kind, ErrorKind::NotFound);
}

void tst_MonitoringService::metricHistoryReturnsTheRequestedSeries()
{
    exec(QStringLiteral("INSERT INTO metric_samples (at, name, value)"
                        " SELECT date_trunc('minute', now()) - make_interval(mins => m), 'job_queue_depth', m"
                        " FROM generate_series(1, 10) m;"
                        " INSERT INTO metric_samples (at, name, value) VALUES (date_trunc('minute', now()), 'other_series', 1)"));
    const QDateTime to = QDateTime::currentDateTimeUtc();
    auto history = m_service->metricHistory({QStringLiteral("job_queue_depth")}, to.addSecs(-3600), to);
    QVERIFY2(history, qPrintable(history ? QString() : history.error().message));
    QCOMPARE(history->size(), 1);
    QCOMPARE(history->first().name, QStringLiteral("job_queue_depth"));
    QCOMPARE(history->first().points.size(), 10);
}

void tst_MonitoringService::slowQueriesAnswerEitherWay()
{
    // The fixture's cluster may or may not preload pg_stat_statements: a list, or Unavailable.
    auto slow = m_service->slowQueries();
    if (!slow)
        QCOMPARE(slow.error().kind, ErrorKind::ServiceUnavailable);
}

QTEST_GUILESS_MAIN(tst_MonitoringService)
#include "tst_monitoringservice.moc"
