// MetricSampler against a real PostgreSQL: node series from the registry, cluster series from SQL,
// 30-day pruning, downsampled history combined over nodes, the node thread, and the roll-up job
// run by a real JobSystem.
#include "server/monitoring/metricjobs.h"
#include "server/monitoring/metricsampler.h"

#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/jobs/jobsystem.h"
#include "tests/support/pgfixture.h"
#include "tests/support/testdb.h"

#include <QDir>
#include <QSqlQuery>
#include <QTest>

#include <memory>

using bw::monitoring::MetricSampler;

// QVERIFY for a Result/Status that prints the error.
#define VERIFY_OK(expr)                                                                                                          \
    do {                                                                                                                         \
        const auto r_ = (expr);                                                                                                  \
        QVERIFY2(r_.ok(), r_.ok() ? "" : qPrintable(r_.error().message));                                                        \
    } while (0)
namespace series = bw::monitoring::series;

class tst_MetricSampler final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void nodeSeriesFromTheRegistry();
    void clusterSeriesFromSql();
    void pruneKeepsThirtyDays();
    void historyCombinesNodesAndDownsamples();
    void latestValues();
    void nodeThreadSamples();
    void slowQueriesNeedTheExtension();
    void rollUpRunsAsAJob();

private:
    QSqlDatabase db() { return m_database->connection(); }
    QVariant scalar(const QString &sql, const QVariantList &binds = {}) { return bw::test::scalar(db(), sql, binds); }
    double sample(const char *name, const QString &label = {})
    {
        return scalar(QStringLiteral("SELECT value FROM metric_samples WHERE name = ? AND label = ? ORDER BY at DESC LIMIT 1"),
                      {QString::fromLatin1(name), label.isNull() ? QStringLiteral("") : label})
            .toDouble();
    }
    void exec(const QString &sql, const QVariantList &binds = {})
    {
        auto q = bw::db::exec(db(), sql, binds);
        QVERIFY2(q.ok(), q.ok() ? "" : qPrintable(q.error().message));
    }

    bw::test::PgFixture m_pg;
    std::unique_ptr<bw::db::Database> m_database;
    std::unique_ptr<bw::MetricsRegistry> m_metrics;
};

void tst_MetricSampler::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
}

void tst_MetricSampler::init()
{
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<bw::db::Database>(m_pg.settings(name));
    m_metrics = std::make_unique<bw::MetricsRegistry>();
}

void tst_MetricSampler::cleanup()
{
    m_database->releaseThisThread();
    m_database.reset();
}

void tst_MetricSampler::nodeSeriesFromTheRegistry()
{
    MetricSampler sampler(*m_database, *m_metrics, {.nodeId = QStringLiteral("node-a"), .diskPath = QDir::tempPath()});
    auto &ok = m_metrics->counter(QStringLiteral("http_requests_total"), QStringLiteral("r"),
                                  {{QStringLiteral("method"), QStringLiteral("GET")},
                                   {QStringLiteral("route"), QStringLiteral("/x")},
                                   {QStringLiteral("status"), QStringLiteral("200")}});
    auto &bad = m_metrics->counter(QStringLiteral("http_requests_total"), QStringLiteral("r"),
                                   {{QStringLiteral("method"), QStringLiteral("GET")},
                                    {QStringLiteral("route"), QStringLiteral("/x")},
                                    {QStringLiteral("status"), QStringLiteral("500")}});
    auto &latency = m_metrics->histogram(QStringLiteral("http_request_duration_seconds"), QStringLiteral("d"),
                                         bw::MetricsRegistry::defaultLatencyBuckets());
    m_metrics->gauge(QStringLiteral("http_active_connections"), QStringLiteral("c")).set(3);
    const QDateTime t0 = QDateTime::currentDateTimeUtc().addSecs(-120);
    VERIFY_OK(sampler.sampleNode(db(), t0)); // baseline: node_up, connections, disk only
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM metric_samples WHERE name = 'http_request_rate'")).toInt(), 0);
    QCOMPARE(sample(series::kNodeUp), 1.0);
    QCOMPARE(sample(series::kActiveConnections), 3.0);
    const double disk = sample(series::kDiskUsedRatio);
    QVERIFY(disk > 0 && disk < 1);

    ok.inc(90);
    bad.inc(10);
    for (int i = 0; i < 100; ++i)
        latency.observe(i < 90 ? 0.02 : 0.8);
    VERIFY_OK(sampler.sampleNode(db(), t0.addSecs(60)));
    QVERIFY(sample(series::kRequestRate) > 0);
    QVERIFY(sample(series::kErrorRate) > 0);
    QCOMPARE(qRound(100 * sample(series::kErrorRate) / sample(series::kRequestRate)), 10); // 10 % of the requests
    QVERIFY(sample(series::kLatencyP50) <= 0.025);
    QVERIFY(sample(series::kLatencyP95) >= 0.5);
    QVERIFY(sample(series::kLatencyP99) >= sample(series::kLatencyP95));
    QCOMPARE(scalar(QStringLiteral("SELECT DISTINCT node FROM metric_samples")).toString(), QStringLiteral("node-a"));
    // Re-sampling the same minute replaces instead of failing on the primary key.
    VERIFY_OK(sampler.sampleNode(db(), t0.addSecs(60)));
}

void tst_MetricSampler::clusterSeriesFromSql()
{
    exec(QStringLiteral("INSERT INTO agents (username, framework, api_key_hash, api_key_prefix, last_heartbeat_at)"
                        " VALUES ('a_one', 'x', 'h', 'p', now()), ('a_two', 'x', 'h', 'p', now() - interval '3 days')"));
    exec(QStringLiteral("INSERT INTO problems (reported_by_agent_id, title, description, domain, severity)"
                        " SELECT id, 't', 'd', 'clean_water_sanitation', 'low' FROM agents"));
    exec(QStringLiteral("INSERT INTO jobs (queue, kind, state) SELECT 'guardrail-evaluation', 'evaluate', 'available'"
                        " FROM generate_series(1, 7)"));
    exec(QStringLiteral("INSERT INTO jobs (queue, kind, state) VALUES ('guardrail-evaluation', 'evaluate', 'discarded')"));
    MetricSampler sampler(*m_database, *m_metrics, {.nodeId = QStringLiteral("n")});
    VERIFY_OK(sampler.sampleCluster(db()));
    QVERIFY(sample(series::kDbConnections) >= 1);
    QVERIFY(sample(series::kDbMaxConnections) >= 10);
    QVERIFY(sample(series::kDbConnectionsRatio) > 0 && sample(series::kDbConnectionsRatio) < 1);
    QVERIFY(sample(series::kDbSizeBytes) > 1e6);
    QVERIFY(sample(series::kDbCacheHitRatio) > 0 && sample(series::kDbCacheHitRatio) <= 1);
    QCOMPARE(sample(series::kQueueDepth, QStringLiteral("guardrail-evaluation")), 7.0);
    QCOMPARE(sample(series::kQueueDead, QStringLiteral("guardrail-evaluation")), 1.0);
    QCOMPARE(sample(series::kActiveAgents24h), 1.0);
    QCOMPARE(sample(series::kProblemsToday), 2.0);
    QCOMPARE(sample(series::kMissionsWeek), 0.0);
    QVERIFY(sample(series::kBackupAgeHours) >= 0); // no backup yet: measured from the install
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM metric_samples WHERE name = 'guardrail_approval_rate'")).toInt(), 0);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM metric_samples WHERE node <> ''")).toInt(), 0);
}

void tst_MetricSampler::pruneKeepsThirtyDays()
{
    exec(QStringLiteral(
        "INSERT INTO metric_samples (at, name, value) SELECT now() - make_interval(days => d) + interval '5 minutes', 'x', d"
        " FROM generate_series(0, 40) d"));
    MetricSampler sampler(*m_database, *m_metrics, {.nodeId = QStringLiteral("n")});
    auto pruned = sampler.prune(db());
    QVERIFY(pruned);
    QCOMPARE(*pruned, 10); // days 31…40
    QCOMPARE(scalar(QStringLiteral("SELECT max(value) FROM metric_samples")).toInt(), 30);
    VERIFY_OK(sampler.rollUp(db())); // roll-up = cluster sample + prune
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM metric_samples WHERE name = 'x'")).toInt(), 31);
}

void tst_MetricSampler::historyCombinesNodesAndDownsamples()
{
    // Two nodes, 120 minutes: rates add up, latencies take the worse node.
    exec(QStringLiteral("INSERT INTO metric_samples (at, name, node, value)"
                        " SELECT date_trunc('minute', now()) - make_interval(mins => m), n.name, n.node, n.v"
                        " FROM generate_series(0, 119) m,"
                        " (VALUES ('http_request_rate', 'a', 2.0), ('http_request_rate', 'b', 3.0),"
                        "         ('http_latency_p95', 'a', 0.1), ('http_latency_p95', 'b', 0.4)) n(name, node, v)"));
    const QDateTime to = QDateTime::currentDateTimeUtc();
    auto h = MetricSampler::history(db(), {QString::fromLatin1(series::kRequestRate), QString::fromLatin1(series::kLatencyP95)},
                                    to.addSecs(-3600), to, 12);
    QVERIFY2(h.ok(), h.ok() ? "" : qPrintable(h.error().message));
    QCOMPARE(h->size(), 2);
    const auto &p95 = h->at(0).name == QLatin1StringView(series::kLatencyP95) ? h->at(0) : h->at(1);
    const auto &rate = h->at(0).name == QLatin1StringView(series::kRequestRate) ? h->at(0) : h->at(1);
    QVERIFY2(rate.points.size() <= 14 && rate.points.size() >= 10, qPrintable(QString::number(rate.points.size())));
    for (const QPointF &p : rate.points)
        QCOMPARE(p.y(), 5.0);
    for (const QPointF &p : p95.points)
        QCOMPARE(p.y(), 0.4);
    QVERIFY(rate.points.first().x() < rate.points.last().x());
    QVERIFY(rate.points.first().x() >= double(to.addSecs(-3600 - 600).toMSecsSinceEpoch()));
}

void tst_MetricSampler::latestValues()
{
    exec(QStringLiteral("INSERT INTO metric_samples (at, name, label, value) VALUES"
                        " (date_trunc('minute', now()) - interval '2 minutes', 'job_queue_depth', 'q', 4),"
                        " (date_trunc('minute', now()), 'job_queue_depth', 'q', 9),"
                        " (date_trunc('minute', now()) - interval '1 hour', 'db_size_bytes', '', 1)"));
    auto l = MetricSampler::latest(db(), {QStringLiteral("job_queue_depth"), QStringLiteral("db_size_bytes")});
    QVERIFY(l);
    QCOMPARE(l->size(), 1); // the hour-old sample is stale
    QCOMPARE(l->at(0).label, QStringLiteral("q"));
    QCOMPARE(l->at(0).points.value(0).y(), 9.0);
}

void tst_MetricSampler::nodeThreadSamples()
{
    MetricSampler sampler(*m_database, *m_metrics,
                          {.nodeId = QStringLiteral("t"), .nodeInterval = std::chrono::milliseconds(100)});
    auto &requests = m_metrics->counter(QStringLiteral("http_requests_total"), QStringLiteral("r"));
    sampler.start();
    QVERIFY(sampler.isRunning());
    requests.inc(5);
    QTRY_VERIFY_WITH_TIMEOUT(
        scalar(QStringLiteral("SELECT count(*) FROM metric_samples WHERE node = 't' AND name = 'http_request_rate'")).toInt()
            >= 1,
        10000);
    sampler.stop();
    QVERIFY(!sampler.isRunning());
}

void tst_MetricSampler::slowQueriesNeedTheExtension()
{
    // 0011 creates pg_stat_statements where the server can load it (the embedded cluster preloads it).
    QVERIFY(bw::db::exec(db(), QStringLiteral("SELECT pg_sleep(0.12)")).ok());
    auto slow = MetricSampler::slowQueries(db(), 100);
    QVERIFY2(slow.ok(), slow.ok() ? "" : qPrintable(slow.error().message));
    QVERIFY(std::any_of(slow->begin(), slow->end(), [](const bw::monitoring::SlowQuery &q) {
        return q.query.contains(QStringLiteral("pg_sleep")) && q.meanMs >= 100 && q.calls == 1;
    }));
    MetricSampler sampler(*m_database, *m_metrics, {.nodeId = QStringLiteral("n")});
    VERIFY_OK(sampler.sampleCluster(db()));
    QVERIFY(sample(series::kDbSlowQueries) >= 1);
    QVERIFY(sample(series::kDbQueryMeanMs) > 0);

    // Without the extension: "unavailable", and sampling goes on without those series.
    QVERIFY(bw::db::exec(db(), QStringLiteral("DROP EXTENSION pg_stat_statements")).ok());
    QVERIFY(bw::db::exec(db(), QStringLiteral("DELETE FROM metric_samples")).ok());
    slow = MetricSampler::slowQueries(db());
    QVERIFY(!slow.ok());
    QCOMPARE(slow.error().kind, bw::ErrorKind::ServiceUnavailable);
    VERIFY_OK(sampler.sampleCluster(db()));
    QVERIFY(sample(series::kDbSizeBytes) > 0);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM metric_samples WHERE name = 'db_query_mean_ms'")).toInt(), 0);
}

void tst_MetricSampler::rollUpRunsAsAJob()
{
    bw::db::Database nodeDatabase(m_database->settings());
    bw::jobs::JobSystem jobs(nodeDatabase, *m_metrics, QStringLiteral("node-j"));
    MetricSampler sampler(nodeDatabase, *m_metrics, {.nodeId = QStringLiteral("node-j")});
    bw::monitoring::registerMetricJobs(jobs, nodeDatabase, sampler, nullptr);
    jobs.setPollInterval(100);
    QVERIFY(jobs.start());
    // The cron fires on the minute; enqueue the same job now instead of waiting for it.
    auto id = bw::jobs::enqueue(db(), QString::fromLatin1(bw::jobs::JobSystem::kMaintenanceQueue),
                                QString::fromLatin1(bw::monitoring::kMetricsRollupKind), {});
    QVERIFY(id);
    QTRY_COMPARE_WITH_TIMEOUT(scalar(QStringLiteral("SELECT state FROM jobs WHERE id = ?::uuid"), {*id}).toString(),
                              QStringLiteral("completed"), 15000);
    QVERIFY(sample(series::kDbSizeBytes) > 0);
    QCOMPARE(scalar(QStringLiteral("SELECT cron FROM job_schedules WHERE name = 'metrics-rollup'")).toString().isEmpty()
                 || scalar(QStringLiteral("SELECT cron FROM job_schedules WHERE name = 'metrics-rollup'")).toString()
                        == u"* * * * *",
             true);
    jobs.stop(5000);
}

QTEST_GUILESS_MAIN(tst_MetricSampler)
#include "tst_metricsampler.moc"
