// OverviewPanel against a real PostgreSQL: counts appear and follow inserts, the request rate is
// computed from the metrics registry, and the GUI thread never stalls while the panel loads.
#include "app/desktopcontexts.h"
#include "ui/charts/timeserieschart.h"
#include "ui/common/dbworker.h"
#include "ui/overview/overviewloader.h"
#include "ui/overview/overviewmodel.h"
#include "ui/overview/overviewpanel.h"

#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"
#include "tests/ui/guistallwatchdog.h"

#include <QTest>
#include <QTimer>

#include <memory>

using bw::ui::OverviewModel;

class tst_OverviewPanel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void showsCountsAndFollowsInserts();
    void computesRequestRate();
    void guiThreadNeverStalls();
    void unreachableDatabaseIsReported();

private:
    void insertAgent(const QString &username);
    void insertProblem(const QString &title);
    QVariant value(int row) const { return m_panel->model()->index(row, OverviewModel::Value).data(OverviewModel::RawValueRole); }
    bw::ui::OverviewContext context() const
    {
        bw::ui::OverviewContext c;
        bw::app::addDatabaseServices(c, *m_database);
        c.metrics = &m_metrics;
        c.listenAddress = QStringLiteral("127.0.0.1:0");
        c.databaseDescription = QStringLiteral("test cluster");
        c.startedAt = QDateTime::currentDateTime();
        return c;
    }

    bw::test::PgFixture m_pg;
    bw::MetricsRegistry m_metrics;
    std::unique_ptr<bw::db::Database> m_database; // destroyed after the worker
    std::unique_ptr<bw::ui::DbWorker> m_worker;
    std::unique_ptr<bw::ui::OverviewPanel> m_panel;
    QString m_firstAgentId;
};

void tst_OverviewPanel::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
}

void tst_OverviewPanel::init()
{
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<bw::db::Database>(m_pg.settings(name));
    m_worker = std::make_unique<bw::ui::DbWorker>([db = m_database.get()] { db->releaseThisThread(); });
    m_panel = std::make_unique<bw::ui::OverviewPanel>();
    m_panel->loader()->setSampleInterval(std::chrono::milliseconds(100));
    m_panel->loader()->setCountInterval(std::chrono::milliseconds(100));
    m_firstAgentId.clear();
}

void tst_OverviewPanel::cleanup()
{
    m_panel.reset();
    m_worker.reset(); // joins its thread, which releases its connection
    if (m_database)
        m_database->releaseThisThread();
    m_database.reset();
}

void tst_OverviewPanel::insertAgent(const QString &username)
{
    // The test itself may run SQL on the main thread; the panel never does.
    auto q = bw::db::exec(m_database->connection(),
                          QStringLiteral("INSERT INTO agents (username, framework, api_key_hash, api_key_prefix)"
                                         " VALUES (?, 'openclaw', 'hash', 'prefix') RETURNING id"),
                          {username});
    QVERIFY2(q.ok(), q.ok() ? "" : qPrintable(q.error().message));
    QVERIFY(q->next());
    if (m_firstAgentId.isEmpty())
        m_firstAgentId = q->value(0).toString();
}

void tst_OverviewPanel::insertProblem(const QString &title)
{
    auto q = bw::db::exec(m_database->connection(),
                          QStringLiteral("INSERT INTO problems (reported_by_agent_id, title, description, domain, severity)"
                                         " VALUES (?::uuid, ?, 'described', 'clean_water_sanitation', 'high')"),
                          {m_firstAgentId, title});
    QVERIFY2(q.ok(), q.ok() ? "" : qPrintable(q.error().message));
}

void tst_OverviewPanel::showsCountsAndFollowsInserts()
{
    insertAgent(QStringLiteral("agent_one"));
    insertAgent(QStringLiteral("agent_two"));
    insertProblem(QStringLiteral("Well contaminated"));

    m_panel->setReady(context(), m_worker.get());
    QTRY_COMPARE(value(OverviewModel::Agents).toLongLong(), 2);
    QTRY_COMPARE(value(OverviewModel::Problems).toLongLong(), 1);
    QVERIFY(value(OverviewModel::DatabaseVersion).toString().startsWith(QStringLiteral("15")));
    QVERIFY(value(OverviewModel::DatabaseSize).toLongLong() > 1'000'000);
    QVERIFY(value(OverviewModel::Database).toBool()); // embedded

    insertAgent(QStringLiteral("agent_three"));
    insertProblem(QStringLiteral("School roof leaking"));
    QTRY_COMPARE(value(OverviewModel::Agents).toLongLong(), 3);
    QTRY_COMPARE(value(OverviewModel::Problems).toLongLong(), 2);
}

void tst_OverviewPanel::computesRequestRate()
{
    bw::Counter &requests = m_metrics.counter(QStringLiteral("http_requests_total"), QStringLiteral("requests"),
                                              {{QStringLiteral("route"), QStringLiteral("/x")}});
    m_metrics.gauge(QStringLiteral("http_active_connections"), QStringLiteral("connections")).set(2);
    m_panel->setReady(context(), m_worker.get());
    QCOMPARE(value(OverviewModel::ActiveConnections).toDouble(), 2.0);

    // Keep traffic flowing until a sample sees it.
    QTimer traffic;
    connect(&traffic, &QTimer::timeout, this, [&requests] { requests.inc(10); });
    traffic.start(20);
    QTRY_VERIFY(value(OverviewModel::RequestRate).toDouble() > 0);
    QTRY_VERIFY(m_panel->rateChart()->pointCount() >= 2);
}

void tst_OverviewPanel::guiThreadNeverStalls()
{
    for (int i = 0; i < 20; ++i)
        insertAgent(QStringLiteral("agent_%1").arg(i, 3, 10, QLatin1Char('0')));

    // Painting the window for the first time is GUI work by nature; measure the loading after it.
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));

    bw::test::GuiStallWatchdog watchdog;
    watchdog.start();

    // The first load opens the worker thread's connection (tens of ms) and runs the counts.
    m_panel->setReady(context(), m_worker.get());
    QVERIFY(bw::test::waitUntil([&] { return value(OverviewModel::Agents).toLongLong() == 20; }, 5000)); // not QTRY: it sleeps
    (void)bw::test::waitUntil([] { return false; }, 600);                                                // several more polls
    watchdog.stop();
    qInfo("loading: %s", qPrintable(watchdog.summary()));
    QVERIFY2(watchdog.worstBlockedMs() < 50, qPrintable(watchdog.summary()));
}

void tst_OverviewPanel::unreachableDatabaseIsReported()
{
    // A database that does not exist: connection fails on the worker thread, the panel says so.
    bw::db::ConnectionSettings settings = m_pg.settings(QStringLiteral("no_such_database"));
    bw::db::Database missing(settings);
    {
        bw::ui::DbWorker worker([&missing] { missing.releaseThisThread(); });
        auto c = context();
        bw::app::addDatabaseServices(c, missing);
        m_panel->setReady(c, &worker);
        QTRY_VERIFY(!m_panel->loader()->snapshot().databaseError.isEmpty());
        QCOMPARE(m_panel->model()->index(OverviewModel::Database, OverviewModel::Value).data().toString(),
                 QStringLiteral("Embedded (unreachable)"));
        QVERIFY(!value(OverviewModel::Agents).isValid());
    }
}

QTEST_MAIN(tst_OverviewPanel)
#include "tst_overviewpanel.moc"
