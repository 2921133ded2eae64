// AlertsPanel against a real PostgreSQL: current and history tables from alert_events, a newly
// firing alert is announced once (tray/alertRaised), Acknowledge records the signed-in user;
// the model passes QAbstractItemModelTester.
#include "ui/alerts/alertmodel.h"
#include "ui/alerts/alertspanel.h"
#include "ui/common/dbworker.h"

#include "app/desktopcontexts.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/monitoring/alertengine.h"
#include "tests/support/pgfixture.h"

#include <QAbstractItemModelTester>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include <memory>

using bw::ui::AlertModel;
using bw::ui::AlertsPanel;

class tst_AlertsPanel final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void model();
    void showsCurrentAndHistoryAndAcknowledges();

private:
    bw::test::PgFixture m_pg;
    std::unique_ptr<bw::db::Database> m_database;
    std::unique_ptr<bw::ui::DbWorker> m_worker;
};

void tst_AlertsPanel::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
}

void tst_AlertsPanel::init()
{
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<bw::db::Database>(m_pg.settings(name));
    m_worker = std::make_unique<bw::ui::DbWorker>([db = m_database.get()] { db->releaseThisThread(); });
}

void tst_AlertsPanel::cleanup()
{
    m_worker.reset();
    m_database->releaseThisThread();
    m_database.reset();
}

void tst_AlertsPanel::model()
{
    AlertModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    bw::monitoring::AlertEvent firing;
    firing.id = 7;
    firing.rule = QStringLiteral("HighErrorRate");
    firing.state = QStringLiteral("firing");
    firing.severity = QStringLiteral("P1");
    firing.pendingSince = firing.firedAt = QDateTime::currentDateTimeUtc();
    bw::monitoring::AlertEvent resolved = firing;
    resolved.id = 6;
    resolved.state = QStringLiteral("resolved");
    resolved.acknowledgedBy = QStringLiteral("Ana");
    resolved.acknowledgedAt = QDateTime::currentDateTimeUtc();
    model.setEvents({firing, resolved});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, AlertModel::State).data().toString(), QStringLiteral("Firing"));
    QCOMPARE(model.index(0, AlertModel::Rule).data(AlertModel::IdRole).toLongLong(), 7);
    QCOMPARE(model.index(1, AlertModel::Acknowledged).data().toString(), QStringLiteral("Ana"));
    QVERIFY(model.index(1, 0).data(AlertModel::AcknowledgedRole).toBool());
    model.setEvents({});
    QCOMPARE(model.rowCount(), 0);
}

void tst_AlertsPanel::showsCurrentAndHistoryAndAcknowledges()
{
    bw::monitoring::AlertEngine engine({});
    const QDateTime t0 = QDateTime::currentDateTimeUtc().addSecs(-600);
    auto db = m_database->connection();
    using namespace bw::monitoring::alertinput;
    // An old resolved episode, one firing (drill), one pending (error ratio, waiting 3 minutes).
    QVERIFY(engine.apply(db, {{QString::fromLatin1(kBackupAgeHours), 40.0}}, t0));
    QVERIFY(engine.apply(db, {}, t0.addSecs(60)));
    QVERIFY(engine.apply(db, {{QString::fromLatin1(kRestoreDrillFailed), 1.0}, {QString::fromLatin1(kErrorRatio5m), 0.5}},
                         t0.addSecs(120)));

    bw::ui::ConsoleContext context;
    bw::app::addDatabaseServices(context, *m_database);
    context.worker = m_worker.get();
    context.admin.displayName = QStringLiteral("Ana Moderator");
    AlertsPanel panel(context);
    QSignalSpy raised(&panel, &AlertsPanel::alertRaised);
    panel.setPollInterval(std::chrono::milliseconds(100));
    QTRY_VERIFY(panel.loads() >= 1);
    QCOMPARE(panel.currentModel()->rowCount(), 3);
    QCOMPARE(panel.currentModel()->eventAt(0).state, QStringLiteral("firing")); // firing first
    QCOMPARE(panel.currentModel()->eventAt(0).rule, QStringLiteral("RestoreDrillFailed"));
    QCOMPARE(panel.currentModel()->eventAt(1).state, QStringLiteral("pending"));
    QCOMPARE(panel.historyModel()->rowCount(), 3);
    QTRY_COMPARE(raised.count(), 1); // only the firing one, once however often we poll
    QTest::qWait(300);
    QCOMPARE(raised.count(), 1);
    QCOMPARE(raised.at(0).at(0).value<bw::monitoring::AlertEvent>().rule, QStringLiteral("RestoreDrillFailed"));

    QVERIFY(!panel.acknowledgeButton()->isEnabled()); // nothing selected
    panel.currentView()->selectRow(0);
    QVERIFY(panel.acknowledgeButton()->isEnabled());
    panel.acknowledgeButton()->click();
    QTRY_COMPARE(panel.currentModel()->eventAt(0).acknowledgedBy, QStringLiteral("Ana Moderator"));
    QTRY_VERIFY(!panel.acknowledgeButton()->isEnabled()); // already acknowledged
    QCOMPARE(bw::db::exec(db, QStringLiteral("SELECT acknowledged_by FROM alert_events WHERE rule = 'RestoreDrillFailed'"))
                 .value()
                 .next(),
             true);

    // A second firing alert is announced too.
    QVERIFY(engine.apply(db, {{QString::fromLatin1(kRestoreDrillFailed), 1.0}, {QString::fromLatin1(kErrorRatio5m), 0.5}},
                         t0.addSecs(400)));
    QTRY_COMPARE(raised.count(), 2);
    QCOMPARE(raised.at(1).at(0).value<bw::monitoring::AlertEvent>().rule, QStringLiteral("HighErrorRate"));
}

QTEST_MAIN(tst_AlertsPanel)
#include "tst_alertspanel.moc"
