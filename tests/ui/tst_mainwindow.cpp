// MainWindow shell: navigation and View shortcuts switch panels, closing asks the app to quit,
// starting / ready / failed states are visible. Offscreen, no database.
#include "ui/mainwindow.h"
#include "ui/overview/overviewmodel.h"
#include "ui/overview/overviewpanel.h"

#include "app/desktopcontexts.h"
#include "server/core/metrics.h"
#include "server/db/database.h"
#include "ui/overview/overviewloader.h"

#include <QAction>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTest>

#include <memory>

using bw::ui::MainWindow;
using bw::ui::OverviewModel;
using bw::ui::OverviewPanel;

class tst_MainWindow final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void overviewIsTheFirstPanel();
    void navigationSwitchesPanels();
    void deferredPanelIsBuiltOnceWhenFirstShown();
    void viewShortcutsSwitchPanels();
    void closeRequestsQuitOnce();
    void quitActionRequestsQuit();
    void startingStateIsShown();
    void failedStateIsShownAndWindowStaysUsable();
    void readyStateShowsAddress();
    void aboutOpensWithoutBlocking();
    void stoppingReleasesTheDatabaseThread();

private:
    static QString statusText(const MainWindow &w) { return w.findChild<QLabel *>(QStringLiteral("serverStatus"))->text(); }
    static QString bannerText(const MainWindow &w) { return w.findChild<QLabel *>(QStringLiteral("overviewBannerText"))->text(); }
};

void tst_MainWindow::overviewIsTheFirstPanel()
{
    MainWindow w;
    auto *panels = w.findChild<QStackedWidget *>(QStringLiteral("panels"));
    QVERIFY(panels);
    QCOMPARE(panels->count(), 1);
    QVERIFY(qobject_cast<OverviewPanel *>(panels->currentWidget()));
    QCOMPARE(w.currentPanel(), 0);
}

void tst_MainWindow::navigationSwitchesPanels()
{
    MainWindow w;
    auto *second = new QWidget;
    QCOMPARE(w.addPanel(QStringLiteral("Second"), second), 1);
    auto *navigation = w.findChild<QListWidget *>(QStringLiteral("navigation"));
    auto *panels = w.findChild<QStackedWidget *>(QStringLiteral("panels"));
    QCOMPARE(navigation->count(), 2);

    navigation->setCurrentRow(1);
    QCOMPARE(panels->currentWidget(), second);
    QVERIFY(w.findChild<QAction *>(QStringLiteral("actionPanel2"))->isChecked());

    w.showPanel(0);
    QCOMPARE(navigation->currentRow(), 0);
    QVERIFY(w.findChild<QAction *>(QStringLiteral("actionPanel1"))->isChecked());
}

void tst_MainWindow::deferredPanelIsBuiltOnceWhenFirstShown()
{
    MainWindow w;
    int builds = 0;
    QWidget *built = nullptr;
    const auto factory = [&] {
        ++builds;
        built = new QLabel(QStringLiteral("built"));
        return built;
    };
    auto *third = new QWidget;
    QCOMPARE(w.addPanel(QStringLiteral("Deferred"), factory), 1);
    QCOMPARE(w.addPanel(QStringLiteral("Third"), third), 2);
    auto *navigation = w.findChild<QListWidget *>(QStringLiteral("navigation"));
    auto *panels = w.findChild<QStackedWidget *>(QStringLiteral("panels"));
    QCOMPARE(navigation->count(), 3); // listed at once
    QCOMPARE(builds, 0);              // built only when needed

    w.showPanel(2);
    QCOMPARE(builds, 0);
    navigation->setCurrentRow(1); // the navigation shows it: built now, in place
    QCOMPARE(builds, 1);
    QCOMPARE(panels->currentWidget(), built);
    QCOMPARE(panels->indexOf(built), 1);
    QCOMPARE(panels->indexOf(third), 2);
    QCOMPARE(panels->count(), 3);
    w.showPanel(0);
    w.findChild<QAction *>(QStringLiteral("actionPanel2"))->trigger();
    QCOMPARE(builds, 1); // once
    QCOMPARE(panels->currentWidget(), built);
}

void tst_MainWindow::viewShortcutsSwitchPanels()
{
    MainWindow w;
    auto *second = new QWidget;
    auto *third = new QWidget;
    w.addPanel(QStringLiteral("Second"), second);
    w.addPanel(QStringLiteral("Third"), third);
    QCOMPARE(w.findChild<QAction *>(QStringLiteral("actionPanel3"))->shortcut(), QKeySequence(QStringLiteral("Ctrl+3")));

    w.show();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QTest::keyClick(&w, Qt::Key_3, Qt::ControlModifier);
    QCOMPARE(w.currentPanel(), 2);
    QTest::keyClick(&w, Qt::Key_1, Qt::ControlModifier);
    QCOMPARE(w.currentPanel(), 0);
    QTest::keyClick(&w, Qt::Key_2, Qt::ControlModifier);
    QCOMPARE(w.findChild<QListWidget *>(QStringLiteral("navigation"))->currentRow(), 1);
}

void tst_MainWindow::closeRequestsQuitOnce()
{
    MainWindow w;
    w.show();
    QSignalSpy quit(&w, &MainWindow::quitRequested);
    QVERIFY(!w.close()); // ignored: the app quits after draining the server
    QVERIFY(w.isVisible());
    QVERIFY(!w.close());
    QCOMPARE(quit.count(), 1);
    QVERIFY(statusText(w).contains(QStringLiteral("Stopping")));
}

void tst_MainWindow::quitActionRequestsQuit()
{
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    auto *quitAction = w.findChild<QAction *>(QStringLiteral("actionQuit"));
    QCOMPARE(quitAction->shortcut(), QKeySequence(QStringLiteral("Ctrl+Q")));
    QSignalSpy quit(&w, &MainWindow::quitRequested);
    QTest::keyClick(&w, Qt::Key_Q, Qt::ControlModifier);
    QCOMPARE(quit.count(), 1);
}

void tst_MainWindow::startingStateIsShown()
{
    MainWindow w;
    w.setServerStarting(QStringLiteral("initialising the database"));
    QVERIFY(statusText(w).contains(QStringLiteral("initialising the database")));
    QVERIFY(bannerText(w).contains(QStringLiteral("initialising the database")));
    QVERIFY(!w.findChild<QWidget *>(QStringLiteral("overviewBanner"))->isHidden());
    auto *model = w.findChild<OverviewPanel *>()->model();
    QCOMPARE(model->index(OverviewModel::Server, OverviewModel::Value).data().toString(),
             QStringLiteral("Starting: initialising the database"));
}

void tst_MainWindow::failedStateIsShownAndWindowStaysUsable()
{
    MainWindow w;
    w.addPanel(QStringLiteral("Second"), new QWidget);
    w.show();
    w.setServerFailed(QStringLiteral("port 4000 is already in use"));
    QVERIFY(statusText(w).contains(QStringLiteral("port 4000 is already in use")));
    QVERIFY(bannerText(w).contains(QStringLiteral("port 4000 is already in use")));
    QVERIFY(w.isEnabled());
    w.showPanel(1);
    QCOMPARE(w.currentPanel(), 1);
}

void tst_MainWindow::readyStateShowsAddress()
{
    bw::MetricsRegistry metrics;
    metrics.gauge(QStringLiteral("http_active_connections"), QStringLiteral("open connections")).set(3);
    MainWindow w;
    w.setServerStarting(QStringLiteral("starting"));
    bw::ui::OverviewContext context;
    context.metrics = &metrics;
    context.listenAddress = QStringLiteral("127.0.0.1:4000");
    context.databaseDescription = QStringLiteral("embedded (/tmp/x)");
    context.startedAt = QDateTime::currentDateTime().addSecs(-65);
    w.setServerReady(context);

    QVERIFY(statusText(w).contains(QStringLiteral("127.0.0.1:4000")));
    QVERIFY(w.findChild<QWidget *>(QStringLiteral("overviewBanner"))->isHidden());
    QVERIFY(!w.dbWorker()); // no database yet
    auto *model = w.findChild<OverviewPanel *>()->model();
    auto value = [model](int row) { return model->index(row, OverviewModel::Value).data(OverviewModel::RawValueRole); };
    QCOMPARE(value(OverviewModel::Listening).toString(), QStringLiteral("127.0.0.1:4000"));
    QCOMPARE(value(OverviewModel::ActiveConnections).toDouble(), 3.0);
    QVERIFY(value(OverviewModel::Uptime).toLongLong() >= 65);
    QVERIFY(!value(OverviewModel::Agents).isValid());
}

void tst_MainWindow::aboutOpensWithoutBlocking()
{
    MainWindow w;
    w.show();
    w.findChild<QAction *>(QStringLiteral("actionAbout"))->trigger(); // returns: open(), not exec()
    auto *box = w.findChild<QMessageBox *>(QStringLiteral("aboutBox"));
    QVERIFY(box);
    QTRY_VERIFY(box->isVisible());
    QVERIFY(box->text().contains(QStringLiteral(BW_VERSION)));
    box->close();
}

void tst_MainWindow::stoppingReleasesTheDatabaseThread()
{
    // No server behind it: the worker thread's connection attempt fails fast, which is enough to
    // know the thread used the Database.
    bw::db::ConnectionSettings settings;
    settings.host = QStringLiteral("/nonexistent/socket/dir");
    settings.database = settings.user = QStringLiteral("nobody");
    auto database = std::make_unique<bw::db::Database>(settings);

    MainWindow w;
    bw::ui::OverviewContext context;
    bw::app::addDatabaseServices(context, *database);
    context.listenAddress = QStringLiteral("127.0.0.1:4000");
    w.setServerReady(context);
    QVERIFY(w.dbWorker());
    auto *panel = w.findChild<OverviewPanel *>();
    QTRY_VERIFY(!panel->loader()->snapshot().databaseError.isEmpty());

    w.setServerStopping(QStringLiteral("draining connections"));
    QVERIFY(!w.dbWorker());
    database.reset(); // the app may now destroy the Database
    QVERIFY(statusText(w).contains(QStringLiteral("draining connections")));
    QCOMPARE(panel->model()->index(OverviewModel::Server, OverviewModel::Value).data().toString(),
             QStringLiteral("Stopping: draining connections"));
    QTest::qWait(50); // no late delivery or timer may touch the released worker
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
