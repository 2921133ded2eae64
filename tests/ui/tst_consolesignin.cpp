// The signed-in console end to end, on the real Runtime (ApiServer): an empty database offers to
// create the first administrator; a wrong password is explained; signing in adds the panels of the
// role; the review queue decides an item through the keyboard (the content is published, the
// audit log has it); sign-out removes the panels and returns to the sign-in page.
#include "app/desktopcontexts.h"
#include "app/runtime.h"
#include "ui/alerts/alertspanel.h"
#include "ui/common/consolecontext.h"
#include "ui/mainwindow.h"
#include "ui/review/reviewmodel.h"
#include "ui/review/reviewpanel.h"
#include "ui/settings/settingspanel.h"
#include "ui/signin/signinpage.h"

#include "server/db/database.h"
#include "tests/moderation/moderationtestdb.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"
#include "tests/ui/guistallwatchdog.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScopeGuard>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTest>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

using namespace bw;

class tst_ConsoleSignIn final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void firstAdministratorThenReviewThenSignOut();
    void reviewQueueStaysResponsiveWhileTheApiIsUnderLoad();

private:
    void openConsole();
    template <typename T>
    T *child(const char *name)
    {
        return m_window->findChild<T *>(QLatin1String(name));
    }
    QStringList panelTitles() const
    {
        QStringList titles;
        auto *nav = m_window->findChild<QListWidget *>(QStringLiteral("navigation"));
        for (int i = 0; i < nav->count(); ++i)
            titles << nav->item(i)->text();
        return titles;
    }

    test::PgFixture m_pg;
    std::unique_ptr<test::ApiServer> m_server;
    std::unique_ptr<ui::MainWindow> m_window;
};

void tst_ConsoleSignIn::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    m_server = std::make_unique<test::ApiServer>(m_pg);
    // No rate limits: the load test's clients must reach the handlers, not the 429 fast path.
    QVERIFY2(m_server->start([](Config &c) { c.rateLimits.enabled = false; }), qPrintable(m_server->lastError()));
}

void tst_ConsoleSignIn::cleanupTestCase()
{
    if (m_window)
        m_window->setServerStopping({}); // joins the panels' database thread first
    m_window.reset();
    if (m_server)
        QVERIFY(m_server->stop());
}

void tst_ConsoleSignIn::openConsole()
{
    m_window = std::make_unique<ui::MainWindow>();
    m_window->resize(1300, 800);
    m_window->show();
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    m_window->setServerReady(app::overviewContext(m_server->runtime())); // what app/desktop.cpp hands over
    m_window->setConsoleContext(app::consoleContext(m_server->runtime()));
}

void tst_ConsoleSignIn::firstAdministratorThenReviewThenSignOut()
{
    openConsole();
    QVERIFY(m_window->isShowingSignIn());
    QVERIFY(!m_window->isSignedIn());

    // No admin account yet: the page offers to create the first administrator.
    ui::SignInPage *page = m_window->signInPage();
    QTRY_COMPARE(page->mode(), ui::SignInPage::Mode::FirstAdmin);
    child<QLineEdit>("signInEmail")->setText(QStringLiteral("chief@example.org"));
    child<QLineEdit>("signInDisplayName")->setText(QStringLiteral("Chief"));
    child<QLineEdit>("signInPassword")->setText(test::testPassword());
    child<QLineEdit>("signInRepeat")->setText(QStringLiteral("something else entirely"));
    child<QPushButton>("signInSubmit")->click();
    QVERIFY(page->errorText().contains(QStringLiteral("do not match")));
    child<QLineEdit>("signInRepeat")->setText(test::testPassword());
    child<QPushButton>("signInSubmit")->click();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSignedIn(), 15000);
    QCOMPARE(m_window->consoleContext().admin.email, QStringLiteral("chief@example.org"));
    QVERIFY(m_window->consoleContext().isAdmin());
    QVERIFY(!m_window->isShowingSignIn());
    QVERIFY(panelTitles().contains(QStringLiteral("Review Queue")));
    // Panels are built when first opened — except Alerts, which raises the tray notifications.
    QVERIFY(m_window->findChild<ui::AlertsPanel *>());
    QVERIFY(!m_window->findChild<ui::SettingsPanel *>());
    m_window->showPanel(int(panelTitles().indexOf(QStringLiteral("Settings"))));
    QVERIFY(m_window->findChild<ui::SettingsPanel *>());

    // Sign out: back to the sign-in page (accounts exist now), only the Overview is left.
    const int withPanels = int(panelTitles().size());
    m_window->findChild<QAction *>(QStringLiteral("actionSignOut"))->trigger();
    QVERIFY(m_window->isShowingSignIn());
    QCOMPARE(panelTitles().size(), 1);
    QTRY_COMPARE(page->mode(), ui::SignInPage::Mode::SignIn);

    // A moderator account; a wrong password first.
    QSqlDatabase db = m_server->runtime().database()->connection();
    moderation::AdminAuthService auth(*m_server->runtime().database());
    QVERIFY(auth.createUser(
                    {QStringLiteral("mod@example.org"), QStringLiteral("moderator"), QStringLiteral("Mo"), test::testPassword()})
                .ok());
    const QString agent = test::insertAgent(db, QStringLiteral("reporter"));
    const auto item = test::seedFlaggedProblem(db, agent, QStringLiteral("Broken streetlights on Elm Street"), 26 * 3600);
    QVERIFY(!item.flaggedId.isEmpty());

    child<QLineEdit>("signInEmail")->setText(QStringLiteral("mod@example.org"));
    child<QLineEdit>("signInPassword")->setText(QStringLiteral("not the password"));
    QTest::keyClick(child<QLineEdit>("signInPassword"), Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(page->errorText().contains(QStringLiteral("Wrong email or password")), 15000);
    QVERIFY(!m_window->isSignedIn());
    child<QLineEdit>("signInPassword")->setText(test::testPassword());
    QTest::keyClick(child<QLineEdit>("signInPassword"), Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSignedIn(), 15000);
    QVERIFY(!m_window->consoleContext().isAdmin());
    QVERIFY(int(panelTitles().size()) <= withPanels); // a moderator sees no more than an administrator

    // The review queue is the first console panel: decide the item with the keyboard.
    auto *panel = m_window->findChild<ui::ReviewPanel *>();
    QVERIFY(panel);
    QTRY_COMPARE(panel->model()->rowCount(), 1);
    QTRY_COMPARE(panel->currentItemId(), item.flaggedId);
    m_window->activateWindow(); // offscreen: hiding the focused sign-in form deactivates the window
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    panel->table()->setFocus();
    QTRY_VERIFY(panel->table()->hasFocus());
    QTest::keyClick(panel->table(), Qt::Key_C);
    QTRY_VERIFY2(panel->model()->index(0, 0).data(ui::ReviewModel::ClaimedByMeRole).toBool(), qPrintable(panel->errorText()));
    QTest::keyClick(panel->table(), Qt::Key_N);
    auto *notes = panel->findChild<QPlainTextEdit *>(QStringLiteral("reviewNotes"));
    QTRY_VERIFY(notes->hasFocus());
    QTest::keyClicks(notes, QStringLiteral("Real infrastructure problem, publish it."));
    QTest::keyClick(notes, Qt::Key_Escape);
    QTRY_VERIFY(panel->table()->hasFocus());
    QTest::keyClick(panel->table(), Qt::Key_A);
    QTRY_COMPARE(panel->model()->rowCount(), 0);
    QCOMPARE(
        test::scalar(db, QStringLiteral("SELECT guardrail_status FROM problems WHERE id = ?::uuid"), {item.problemId}).toString(),
        QStringLiteral("approved"));
    QCOMPARE(test::scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'flagged.review' AND target_id = ?"),
                          {item.flaggedId})
                 .toInt(),
             1);

    // Sign-out ends the session row (audited) and returns to the sign-in page.
    m_window->signOut();
    QVERIFY(m_window->isShowingSignIn());
    QVERIFY(!m_window->findChild<ui::ReviewPanel *>());
    QTRY_COMPARE(test::scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'admin.logout'")).toInt(), 2);
}

// Issue 5's quality bar: the GUI thread is never blocked > 50 ms while HTTP clients keep the same
// process's API busy (DB-backed list requests on the request pool) and the review panel pages in
// 100 000 flagged items, the moderator scrolling to the bottom again and again.
void tst_ConsoleSignIn::reviewQueueStaysResponsiveWhileTheApiIsUnderLoad()
{
    constexpr int kItems = 100000;
    QSqlDatabase db = m_server->runtime().database()->connection();
    const QString agent = test::insertAgent(db, QStringLiteral("bulk_reporter"));
    QVERIFY(db::exec(db, QStringLiteral("SET statement_timeout = 0")).ok());
    auto seeded = db::exec(
        db,
        QStringLiteral(
            "WITH ev AS (INSERT INTO guardrail_evaluations (id, content_id, content_type, agent_id, submitted_content,"
            "  layer_a_result, final_decision, alignment_score, alignment_domain, trust_tier, created_at, completed_at)"
            "  SELECT gen_random_uuid(), gen_random_uuid(), 'problem', ?::uuid, jsonb_build_object('title', 'Load item ' || g),"
            "  '{\"matches\": []}', 'flagged', 0.5, 'education_access', 'new', now() - make_interval(secs => g), now()"
            "  FROM generate_series(1, ?) g RETURNING id, content_id, created_at)"
            " INSERT INTO flagged_content (evaluation_id, content_id, content_type, agent_id, created_at)"
            " SELECT id, content_id, 'problem', ?::uuid, created_at FROM ev"),
        {agent, kItems, agent});
    QVERIFY2(seeded.ok(), seeded.ok() ? "" : qPrintable(seeded.error().message));
    QVERIFY(db::exec(db, QStringLiteral("RESET statement_timeout")).ok());

    moderation::AdminAuthService auth(*m_server->runtime().database());
    if (!m_window)
        openConsole(); // run alone
    if (QTest::currentTestFailed())
        return;
    const QString email = QStringLiteral("load@example.org"); // its own moderator: runs alone too
    QVERIFY(auth.createUser({email, QStringLiteral("moderator"), QStringLiteral("Lo"), test::testPassword()}).ok());
    auto session = auth.login(email, test::testPassword(), QStringLiteral("127.0.0.1"));
    QVERIFY2(session.ok(), session.ok() ? "" : qPrintable(session.error().message));

    // Two clients, each with its own keep-alive connection, a request every ~4 ms. (Unpaced they
    // saturate both cores — 3,000 req/s — and the test would measure the OS scheduler instead.)
    const quint16 port = m_server->port();
    std::atomic_bool stop{false};
    std::atomic_int answered{0};
    std::atomic_int failed{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 2; ++c)
        clients.emplace_back([&] {
            auto conn = std::make_unique<test::HttpConnection>(port);
            while (!stop) {
                const auto r = conn->request("GET", "/api/v1/problems?limit=20");
                if (r && r->status == 200) {
                    ++answered;
                    std::this_thread::sleep_for(std::chrono::milliseconds(4)); // ≈ 2 × 200 req/s: 8× the seed's budget
                } else {
                    ++failed;
                    conn = std::make_unique<test::HttpConnection>(port);
                }
            }
        });
    const auto joinClients = qScopeGuard([&] {
        stop = true;
        for (std::thread &t : clients)
            t.join();
    });
    QTRY_VERIFY_WITH_TIMEOUT(answered > 50, 15000); // the load is on before we measure

    // The moderator signs in and opens the queue while the API is busy: the watchdog runs from here.
    ui::ReviewPanel *panel = nullptr;
    test::GuiStallWatchdog watchdog([&panel] { return QStringLiteral("%1 rows").arg(panel ? panel->model()->rowCount() : 0); });
    watchdog.start();
    QElapsedTimer opening;
    opening.start();
    m_window->signIn(session->caller);
    QVERIFY(m_window->isSignedIn());
    panel = m_window->findChild<ui::ReviewPanel *>();
    QVERIFY(panel);
    m_window->showPanel(1);
    QVERIFY(test::waitUntil([panel] { return panel->model()->rowCount() > 0; }, 30000)); // no QTRY: it sleeps the GUI thread
    const qint64 openedMs = opening.elapsed(); // performance.md: "opens ≤ 1 s" (a number, not an assertion)

    QTimer scroller;
    connect(&scroller, &QTimer::timeout, this, [panel] {
        panel->table()->scrollToBottom();
        if (panel->proxy()->canFetchMore({}))
            panel->proxy()->fetchMore({});
    });
    const int before = answered;
    QElapsedTimer total;
    total.start();
    scroller.start(10);
    QVERIFY(test::waitUntil([panel] { return panel->model()->rowCount() == kItems; }, 240000));
    scroller.stop();
    // The age column moves on every 30 s: with every row loaded, that refresh is under watch too.
    QMetaObject::invokeMethod(panel->model(), &ui::ReviewModel::refreshAges, Qt::QueuedConnection);
    (void)test::waitUntil([] { return false; }, 100);
    watchdog.stop();
    const int during = answered - before;
    qInfo(
        "API answered %d requests (%d failed) while the panel opened (first rows after %lld ms) and paged in %d rows in %lld ms; %s",
        during, int(failed), openedMs, panel->model()->rowCount(), total.elapsed(), qPrintable(watchdog.summary()));
    QVERIFY(during > 1000);
    QCOMPARE(int(failed), 0);
    QVERIFY(!panel->model()->canFetchMore({}));
    QCOMPARE(panel->model()->index(0, ui::ReviewModel::Title).data().toString(),
             QStringLiteral("Load item 100000")); // oldest first
    QVERIFY2(watchdog.worstBlockedMs() < 50, qPrintable(watchdog.summary()));
    // The blocked time does not count waiting for a CPU — but here the competitors are mostly our
    // own threads (API pool, loader, database). A loose wall bound catches them starving the GUI.
    QVERIFY2(watchdog.worstGapMs() < 250, qPrintable(watchdog.summary()));
}

QTEST_MAIN(tst_ConsoleSignIn)
#include "tst_consolesignin.moc"
