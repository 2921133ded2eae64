// DashboardsPanel against a real PostgreSQL: live charts and the per-route table follow the
// in-process registry; switching the window loads the 1-minute history (combined over nodes) on
// the DbWorker without stalling the GUI thread; models pass QAbstractItemModelTester.
#include "ui/charts/timeserieschart.h"
#include "ui/common/dbworker.h"
#include "ui/dashboards/dashboardmodels.h"
#include "ui/dashboards/dashboardspanel.h"

#include "app/desktopcontexts.h"
#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"
#include "tests/ui/guistallwatchdog.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>
#include <QTimer>

#include <memory>

using bw::ui::DashboardsPanel;

class tst_DashboardsPanel final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void routeModel();
    void slowQueryModel();
    void liveDataFromTheRegistry();
    void historyPerWindow_data();
    void historyPerWindow();
    void windowSwitchNeverStallsTheGui();
    void liveAtOneHertzCpu();

private:
    void seedHistory(int days);
    std::unique_ptr<DashboardsPanel> makePanel(bool live = true)
    {
        bw::ui::ConsoleContext c;
        bw::app::addDatabaseServices(c, *m_database);
        c.metrics = live ? &m_metrics : nullptr; // a remote console has no in-process metrics
        c.worker = m_worker.get();
        auto panel = std::make_unique<DashboardsPanel>(c);
        panel->setLiveInterval(std::chrono::milliseconds(100));
        return panel;
    }

    bw::test::PgFixture m_pg;
    bw::MetricsRegistry m_metrics;
    std::unique_ptr<bw::db::Database> m_database;
    std::unique_ptr<bw::ui::DbWorker> m_worker;
};

void tst_DashboardsPanel::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
}

void tst_DashboardsPanel::init()
{
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<bw::db::Database>(m_pg.settings(name));
    m_worker = std::make_unique<bw::ui::DbWorker>([db = m_database.get()] { db->releaseThisThread(); });
}

void tst_DashboardsPanel::cleanup()
{
    m_worker.reset();
    m_database->releaseThisThread();
    m_database.reset();
}

void tst_DashboardsPanel::seedHistory(int days)
{
    // Two nodes (rates add up, latencies take the worse) and cluster series, every 4th minute
    // (aligned to 240 s; the 7 d and 30 d buckets — 42 and 180 min — are multiples of 6 min, so
    // they find a sample every other bucket at worst).
    QVERIFY(bw::db::exec(m_database->connection(), QStringLiteral("SET statement_timeout = 0")).ok());
    auto q = bw::db::exec(
        m_database->connection(),
        QStringLiteral(
            "INSERT INTO metric_samples (at, name, label, node, value)"
            " SELECT to_timestamp(floor(extract(epoch FROM now()) / 240) * 240) - make_interval(mins => m), n.name, n.label, n.node, n.v"
            " FROM generate_series(0, ? * 1440, 4) m,"
            " (VALUES ('http_request_rate', '', 'a', 4.0), ('http_request_rate', '', 'b', 6.0),"
            "         ('http_latency_p95', '', 'a', 0.05), ('http_latency_p95', '', 'b', 0.12),"
            "         ('job_queue_depth', 'guardrail-evaluation', '', 42.0), ('job_queue_depth', 'ops', '', 1.0),"
            "         ('db_size_bytes', '', '', 25e6), ('db_cache_hit_ratio', '', '', 0.99),"
            "         ('agents_active_24h', '', '', 17.0)) n(name, label, node, v)"),
        {days});
    QVERIFY2(q.ok(), q.ok() ? "" : qPrintable(q.error().message));
}

void tst_DashboardsPanel::routeModel()
{
    bw::ui::RouteModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRoutes(
        {{QStringLiteral("GET"), QStringLiteral("/a"), 10, 2, 0}, {QStringLiteral("POST"), QStringLiteral("/b"), 5, 1, 1}});
    QCOMPARE(model.rowCount(), 2);
    model.setRoutes(
        {{QStringLiteral("GET"), QStringLiteral("/a"), 11, 3, 0}, {QStringLiteral("POST"), QStringLiteral("/b"), 6, 1, 2}});
    QCOMPARE(model.index(1, bw::ui::RouteModel::Errors5xx).data(bw::ui::RouteModel::RawValueRole).toDouble(), 2.0);
    model.setRoutes({});
    QCOMPARE(model.rowCount(), 0);
}

void tst_DashboardsPanel::slowQueryModel()
{
    bw::ui::SlowQueryModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setQueries({{QStringLiteral("SELECT\n pg_sleep($1)"), 3, 150.5, 451.5}});
    QCOMPARE(model.index(0, bw::ui::SlowQueryModel::Query).data().toString(), QStringLiteral("SELECT pg_sleep($1)"));
    QCOMPARE(model.index(0, bw::ui::SlowQueryModel::MeanMs).data(bw::ui::SlowQueryModel::RawValueRole).toDouble(), 150.5);
}

void tst_DashboardsPanel::liveDataFromTheRegistry()
{
    auto panel = makePanel();
    panel->setWindow(DashboardsPanel::Minutes15);
    panel->show(); // a hidden panel plots nothing (below)
    QVERIFY(QTest::qWaitForWindowExposed(panel.get()));
    auto &ok = m_metrics.counter(QStringLiteral("http_requests_total"), QStringLiteral("r"),
                                 {{QStringLiteral("method"), QStringLiteral("GET")},
                                  {QStringLiteral("route"), QStringLiteral("/api/v1/problems")},
                                  {QStringLiteral("status"), QStringLiteral("200")}});
    auto &latency = m_metrics.histogram(QStringLiteral("http_request_duration_seconds"), QStringLiteral("d"),
                                        bw::MetricsRegistry::defaultLatencyBuckets());
    m_metrics.gauge(QStringLiteral("http_active_connections"), QStringLiteral("c")).set(4);
    m_metrics
        .gauge(QStringLiteral("job_queue_size"), QStringLiteral("q"),
               {{QStringLiteral("queue"), QStringLiteral("guardrail-evaluation")},
                {QStringLiteral("state"), QStringLiteral("available")}})
        .set(12);
    QTimer traffic;
    connect(&traffic, &QTimer::timeout, this, [&] {
        ok.inc(5);
        latency.observe(0.03);
    });
    traffic.start(20);
    QTRY_VERIFY(panel->chart(QStringLiteral("requestRate"))->pointCount() >= 3);
    QTRY_VERIFY(panel->chart(QStringLiteral("requestRate"))->lastValue() > 0);
    QTRY_VERIFY(panel->chart(QStringLiteral("latency"))->seriesLastValue(1) > 0); // p95 in ms
    QCOMPARE(panel->chart(QStringLiteral("latency"))->seriesCount(), 3);
    QCOMPARE(panel->chart(QStringLiteral("connections"))->lastValue(), 4.0);
    QTRY_COMPARE(panel->chart(QStringLiteral("queueDepth"))->lastValue(), 12.0);
    QVERIFY(panel->valueText(QStringLiteral("connections")).startsWith(QStringLiteral("4")));
    QTRY_COMPARE(panel->routeModel()->rowCount(), 1);
    QCOMPARE(panel->routeModel()->index(0, bw::ui::RouteModel::Route).data().toString(), QStringLiteral("/api/v1/problems"));
    QVERIFY(panel->routeModel()->index(0, bw::ui::RouteModel::Rate).data(bw::ui::RouteModel::RawValueRole).toDouble() > 0);

    // Long windows show history only: live ticks no longer add points.
    panel->setWindow(DashboardsPanel::Days7);
    QTRY_VERIFY(panel->historyLoads() >= 2);
    const int before = panel->chart(QStringLiteral("requestRate"))->pointCount();
    QSignalSpy ticks(panel.get(), &DashboardsPanel::liveSampled);
    QTRY_VERIFY(ticks.count() >= 3);
    QCOMPARE(panel->chart(QStringLiteral("requestRate"))->pointCount(), before);

    // Hidden (another panel is open), a short window plots nothing either; shown again, it
    // reloads the history and plots live points again.
    panel->setWindow(DashboardsPanel::Minutes15);
    QTRY_VERIFY(panel->historyLoads() >= 3);
    panel->hide();
    const int hiddenLoads = panel->historyLoads();
    const int hiddenPoints = panel->chart(QStringLiteral("requestRate"))->pointCount();
    ticks.clear();
    QTRY_VERIFY(ticks.count() >= 3);
    QCOMPARE(panel->chart(QStringLiteral("requestRate"))->pointCount(), hiddenPoints);
    panel->show();
    QTRY_VERIFY(panel->historyLoads() > hiddenLoads);
    const int shownPoints = panel->chart(QStringLiteral("requestRate"))->pointCount();
    QTRY_VERIFY(panel->chart(QStringLiteral("requestRate"))->pointCount() > shownPoints);
}

void tst_DashboardsPanel::historyPerWindow_data()
{
    QTest::addColumn<int>("window");
    QTest::addColumn<int>("minPoints");
    QTest::addColumn<int>("maxPoints");
    QTest::newRow("15 min") << int(DashboardsPanel::Minutes15) << 3 << 5; // 1-minute buckets, a sample every 4
    QTest::newRow("1 h") << int(DashboardsPanel::Hour1) << 14 << 16;
    QTest::newRow("24 h") << int(DashboardsPanel::Hours24) << 230 << 242; // 6-minute buckets (averages)
    QTest::newRow("7 d") << int(DashboardsPanel::Days7) << 110 << 242;    // 42-minute buckets (index probes)
    QTest::newRow("30 d") << int(DashboardsPanel::Days30) << 200 << 242;  // 3-hour buckets
}

void tst_DashboardsPanel::historyPerWindow()
{
    QFETCH(int, window);
    QFETCH(int, minPoints);
    QFETCH(int, maxPoints);
    seedHistory(31);
    auto panel = makePanel(false); // history only
    QSignalSpy loaded(panel.get(), &DashboardsPanel::historyLoaded);
    panel->setWindow(DashboardsPanel::Window(window));
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() >= 1, 15000);
    const int points = panel->chart(QStringLiteral("requestRate"))->pointCount();
    QVERIFY2(points >= minPoints && points <= maxPoints, qPrintable(QString::number(points)));
    QCOMPARE(panel->chart(QStringLiteral("requestRate"))->lastValue(), 10.0);     // 4 + 6 req/s
    QCOMPARE(panel->chart(QStringLiteral("latency"))->seriesLastValue(1), 120.0); // worse node, in ms
    QCOMPARE(panel->chart(QStringLiteral("queueDepth"))->seriesCount(), 2);       // one series per queue
    QCOMPARE(panel->chart(QStringLiteral("dbSize"))->lastValue(), 25.0);          // MB
    QCOMPARE(panel->chart(QStringLiteral("cacheHit"))->lastValue(), 99.0);        // %
    QCOMPARE(panel->chart(QStringLiteral("activeAgents"))->lastValue(), 17.0);
    QVERIFY(panel->valueText(QStringLiteral("queueDepth")).contains(QStringLiteral("43")));
}

void tst_DashboardsPanel::windowSwitchNeverStallsTheGui()
{
    seedHistory(31);
    auto panel = makePanel();
    panel->setLiveInterval(std::chrono::seconds(1)); // the production rate, while the history loads
    panel->resize(1200, 900);
    panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(panel.get()));
    QTRY_VERIFY_WITH_TIMEOUT(panel->historyLoads() >= 1, 15000); // first load: opens the worker's connection

    bw::test::GuiStallWatchdog watchdog([panel = panel.get()] { return QStringLiteral("window %1").arg(int(panel->window())); });
    watchdog.start();
    const DashboardsPanel::Window windows[] = {DashboardsPanel::Days30,    DashboardsPanel::Hours24, DashboardsPanel::Days7,
                                               DashboardsPanel::Minutes15, DashboardsPanel::Hour1,   DashboardsPanel::Days30};
    for (const auto w : windows) { // waitUntil, not QTRY: that sleeps the GUI thread
        const int loads = panel->historyLoads();
        panel->setWindow(w);
        QVERIFY(bw::test::waitUntil([&] { return panel->historyLoads() > loads; }, 15000));
        (void)bw::test::waitUntil([] { return false; }, 100); // the visible dashboard repaints with the new data
    }
    watchdog.stop();
    qInfo("switching windows: %s", qPrintable(watchdog.summary()));
    QVERIFY2(watchdog.worstBlockedMs() < 50, qPrintable(watchdog.summary()));
}

// performance.md: "dashboards (live, 1 Hz) ≤ 5 % of one core". The share is printed for
// BENCHMARKS.md, not asserted (speed is a benchmark's business); the test asserts the 1 Hz.
void tst_DashboardsPanel::liveAtOneHertzCpu()
{
    auto panel = makePanel();
    panel->setLiveInterval(std::chrono::seconds(1)); // the production rate
    panel->setWindow(DashboardsPanel::Minutes15);
    panel->resize(1200, 900);
    panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(panel.get()));
    QTRY_VERIFY_WITH_TIMEOUT(panel->historyLoads() >= 1, 15000);
    // A busy node's metrics: six routes with requests and latencies, queues, connections.
    std::vector<std::pair<bw::Counter *, bw::Histogram *>> routes;
    for (const char *route : {"/api/v1/problems", "/api/v1/solutions", "/api/v1/missions", "/api/v1/missions/nearby",
                              "/api/v1/heartbeat/checkin", "/api/v1/agents/me"})
        routes.emplace_back(&m_metrics.counter(QStringLiteral("http_requests_total"), QStringLiteral("r"),
                                               {{QStringLiteral("method"), QStringLiteral("GET")},
                                                {QStringLiteral("route"), QString::fromLatin1(route)},
                                                {QStringLiteral("status"), QStringLiteral("200")}}),
                            &m_metrics.histogram(QStringLiteral("http_request_duration_seconds"), QStringLiteral("d"),
                                                 bw::MetricsRegistry::defaultLatencyBuckets()));
    m_metrics.gauge(QStringLiteral("http_active_connections"), QStringLiteral("c")).set(12);
    QTimer traffic;
    connect(&traffic, &QTimer::timeout, this, [&] {
        for (auto &[count, latency] : routes) {
            count->inc(20);
            latency->observe(0.012);
        }
    });
    traffic.start(100);
    QTest::qWait(1500);                       // the first rates need two samples
    const auto cpuMs = bw::test::threadCpuMs; // the GUI thread: where the panel works
    const int pointsBefore = panel->chart(QStringLiteral("requestRate"))->pointCount();
    const double cpuBefore = cpuMs();
    QElapsedTimer wall;
    wall.start();
    QTest::qWait(10000);
    const double cpu = cpuMs() - cpuBefore;
    const int points = panel->chart(QStringLiteral("requestRate"))->pointCount() - pointsBefore;
    qInfo(
        "dashboards live at 1 Hz, visible, 15 min window, 19 charts: GUI thread %.1f ms CPU in %lld ms = %.2f %% of one core; %d live points",
        cpu, wall.elapsed(), 100.0 * cpu / double(wall.elapsed()), points);
    QVERIFY2(points >= 8 && points <= 12, qPrintable(QString::number(points))); // one a second

    // Hidden behind another panel it keeps sampling (rates, route table) but plots nothing.
    panel->hide();
    const double hiddenBefore = cpuMs();
    wall.restart();
    QTest::qWait(5000);
    const double hidden = cpuMs() - hiddenBefore;
    qInfo("dashboards hidden: GUI thread %.1f ms CPU in %lld ms = %.2f %% of one core", hidden, wall.elapsed(),
          100.0 * hidden / double(wall.elapsed()));
}

QTEST_MAIN(tst_DashboardsPanel)
#include "tst_dashboardspanel.moc"
