// NodeMetricsSnapshot / NodeRates: rates, 5xx ratio and latency quantiles between two copies of
// the registry, per-route rows, counter resets.
#include "server/monitoring/nodemetrics.h"

#include <QTest>

using bw::monitoring::NodeMetricsSnapshot;
using bw::monitoring::NodeRates;

class tst_NodeMetrics final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void ratesBetweenSnapshots();
    void quantilesOfTheIntervalOnly_data();
    void quantilesOfTheIntervalOnly();
    void resetCountsFromZero();
    void combiningRule_data();
    void combiningRule();
};

namespace {
void request(bw::MetricsRegistry &m, const QString &route, const QString &status, double seconds)
{
    m.counter(QStringLiteral("http_requests_total"), QStringLiteral("r"),
              {{QStringLiteral("method"), QStringLiteral("GET")},
               {QStringLiteral("route"), route},
               {QStringLiteral("status"), status}})
        .inc();
    m.histogram(QStringLiteral("http_request_duration_seconds"), QStringLiteral("d"),
                bw::MetricsRegistry::defaultLatencyBuckets(),
                {{QStringLiteral("method"), QStringLiteral("GET")}, {QStringLiteral("route"), route}})
        .observe(seconds);
}
} // namespace

void tst_NodeMetrics::ratesBetweenSnapshots()
{
    bw::MetricsRegistry m;
    request(m, QStringLiteral("/a"), QStringLiteral("200"), 0.004);
    NodeMetricsSnapshot before = NodeMetricsSnapshot::capture(m);
    for (int i = 0; i < 90; ++i)
        request(m, QStringLiteral("/a"), QStringLiteral("200"), 0.004);
    for (int i = 0; i < 10; ++i)
        request(m, QStringLiteral("/b"), QStringLiteral("503"), 0.004);
    m.gauge(QStringLiteral("http_active_connections"), QStringLiteral("c")).set(7);
    m.counter(QStringLiteral("job_completed_total"), QStringLiteral("j"), {{QStringLiteral("queue"), QStringLiteral("q")}})
        .inc(20);
    NodeMetricsSnapshot after = NodeMetricsSnapshot::capture(m);
    after.atMs = before.atMs + 10'000; // exactly 10 s apart

    const NodeRates r = NodeRates::between(before, after);
    QCOMPARE(r.requestRate, 10.0);
    QCOMPARE(r.errorRate, 1.0);
    QCOMPARE(r.errorRatio, 0.1);
    QCOMPARE(r.activeConnections, 7.0);
    QCOMPARE(r.jobsProcessedRate.at(QStringLiteral("q")), 2.0);
    QCOMPARE(int(r.routes.size()), 2);
    QCOMPARE(r.routes[0].route, QStringLiteral("/a")); // busiest first
    QCOMPARE(r.routes[0].rate, 9.0);
    QCOMPARE(r.routes[0].total, 91.0);
    QCOMPARE(r.routes[1].errors5xx, 10.0);
}

void tst_NodeMetrics::quantilesOfTheIntervalOnly_data()
{
    QTest::addColumn<double>("q");
    QTest::addColumn<double>("low");
    QTest::addColumn<double>("high");
    // Before: 100 slow requests (2 s). Interval: 100 fast ones (3-5 ms) → the slow past must not count.
    QTest::newRow("p50") << 0.50 << 0.0025 << 0.005;
    QTest::newRow("p95") << 0.95 << 0.0025 << 0.005;
    QTest::newRow("p99") << 0.99 << 0.0025 << 0.005;
}

void tst_NodeMetrics::quantilesOfTheIntervalOnly()
{
    QFETCH(double, q);
    QFETCH(double, low);
    QFETCH(double, high);
    bw::MetricsRegistry m;
    for (int i = 0; i < 100; ++i)
        request(m, QStringLiteral("/a"), QStringLiteral("200"), 2.0);
    const auto before = NodeMetricsSnapshot::capture(m);
    for (int i = 0; i < 100; ++i)
        request(m, QStringLiteral("/a"), QStringLiteral("200"), 0.004);
    const auto after = NodeMetricsSnapshot::capture(m);
    const double v = bw::monitoring::quantileBetween(before.latency, after.latency, q);
    QVERIFY2(v >= low && v <= high, qPrintable(QString::number(v)));
    QCOMPARE(bw::monitoring::quantileBetween(after.latency, after.latency, q), 0.0); // nothing observed
}

void tst_NodeMetrics::resetCountsFromZero()
{
    bw::MetricsRegistry big, fresh;
    for (int i = 0; i < 50; ++i)
        request(big, QStringLiteral("/a"), QStringLiteral("200"), 0.01);
    request(fresh, QStringLiteral("/a"), QStringLiteral("200"), 0.01);
    auto before = NodeMetricsSnapshot::capture(big);
    auto after = NodeMetricsSnapshot::capture(fresh); // a restarted process
    after.atMs = before.atMs + 1000;
    QCOMPARE(NodeRates::between(before, after).requestRate, 1.0);
}

void tst_NodeMetrics::combiningRule_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("byMax");
    QTest::newRow("rate") << QString::fromLatin1(bw::monitoring::series::kRequestRate) << false;
    QTest::newRow("p95") << QString::fromLatin1(bw::monitoring::series::kLatencyP95) << true;
    QTest::newRow("guardrail p95") << QString::fromLatin1(bw::monitoring::series::kGuardrailP95) << true;
    QTest::newRow("connections") << QString::fromLatin1(bw::monitoring::series::kActiveConnections) << false;
    QTest::newRow("ratio") << QString::fromLatin1(bw::monitoring::series::kDbCacheHitRatio) << true;
    QTest::newRow("queue depth") << QString::fromLatin1(bw::monitoring::series::kQueueDepth) << false;
}

void tst_NodeMetrics::combiningRule()
{
    QFETCH(QString, name);
    QFETCH(bool, byMax);
    QCOMPARE(bw::monitoring::series::combinesByMax(name), byMax);
}

QTEST_GUILESS_MAIN(tst_NodeMetrics)
#include "tst_nodemetrics.moc"
