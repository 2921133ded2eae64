// ReviewPanel against a real PostgreSQL and the real ReviewService: claim → approve through the
// keyboard publishes the content and writes the audit log, 409s show in the panel, bulk decisions,
// filters and the shortcuts. (100 000 items paging in under API load: tst_consolesignin.)
#include "ui/common/dbworker.h"
#include "ui/review/reviewfilterbar.h"
#include "ui/review/reviewloader.h"
#include "ui/review/reviewmodel.h"
#include "ui/review/reviewpanel.h"

#include "app/desktopcontexts.h"
#include "server/db/database.h"
#include "server/moderation/reviewservice.h"
#include "tests/moderation/moderationtestdb.h"
#include "tests/support/pgfixture.h"

#include <QAction>
#include <QComboBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTest>

#include <memory>

using namespace bw;
using bw::ui::ReviewModel;

class tst_ReviewPanel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();
    void claimApprovePublishesThroughKeyboard();
    void alreadyClaimedIsShown();
    void shortcutsMoveFocusAndRelease();
    void bulkRejectWithTemplate();
    void filters();

private:
    ui::ReviewPanel *openPanel(const moderation::AdminCaller &caller);
    QSqlDatabase db() { return m_database->connection(); }
    template <typename T>
    T *child(const char *name)
    {
        return m_panel->findChild<T *>(QLatin1String(name));
    }
    void press(int key, Qt::KeyboardModifiers modifiers = Qt::NoModifier)
    {
        QTest::keyClick(QApplication::focusWidget() ? QApplication::focusWidget() : m_panel.get(), Qt::Key(key), modifiers);
    }

    test::PgFixture m_pg;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<moderation::AdminAuthService> m_auth;
    std::unique_ptr<moderation::ReviewService> m_reviews;
    std::unique_ptr<ui::DbWorker> m_worker;
    std::unique_ptr<ui::ReviewPanel> m_panel;
    moderation::AdminCaller m_moderator;
    moderation::AdminCaller m_other;
    QString m_agent;
};

void tst_ReviewPanel::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<db::Database>(m_pg.settings(name));
    m_auth = std::make_unique<moderation::AdminAuthService>(*m_database);
    m_reviews = std::make_unique<moderation::ReviewService>(*m_database);
    auto mod = test::makeAdmin(*m_auth, QStringLiteral("mod@example.org"), QStringLiteral("moderator"));
    auto other = test::makeAdmin(*m_auth, QStringLiteral("other@example.org"), QStringLiteral("moderator"));
    QVERIFY(mod && other);
    m_moderator = *mod;
    m_other = *other;
    m_agent = test::insertAgent(db(), QStringLiteral("scout"));
    QVERIFY(!m_agent.isEmpty());
}

void tst_ReviewPanel::init()
{
    QVERIFY(db::exec(db(), QStringLiteral("DELETE FROM flagged_content")).ok());
    m_worker = std::make_unique<ui::DbWorker>([db = m_database.get()] { db->releaseThisThread(); });
}

void tst_ReviewPanel::cleanup()
{
    m_panel.reset();
    m_worker.reset(); // joins; releases the worker thread's connection
}

void tst_ReviewPanel::cleanupTestCase()
{
    m_reviews.reset();
    m_auth.reset();
    m_database.reset();
}

ui::ReviewPanel *tst_ReviewPanel::openPanel(const moderation::AdminCaller &caller)
{
    ui::ConsoleContext context;
    app::addDatabaseServices(context, *m_database);
    context.adminAuth = m_auth.get();
    context.reviews = m_reviews.get();
    context.worker = m_worker.get();
    context.admin = caller;
    m_panel = std::make_unique<ui::ReviewPanel>(context);
    m_panel->resize(1200, 700);
    m_panel->show();
    m_panel->activateWindow();
    if (!QTest::qWaitForWindowActive(m_panel.get()))
        qWarning("panel window not active");
    return m_panel.get();
}

void tst_ReviewPanel::claimApprovePublishesThroughKeyboard()
{
    const auto item = test::seedFlaggedProblem(db(), m_agent, QStringLiteral("Leaking pipes in the school"), 7 * 3600);
    QVERIFY(!item.flaggedId.isEmpty());
    auto *panel = openPanel(m_moderator);
    QTRY_COMPARE(panel->model()->rowCount(), 1);
    QTRY_COMPARE(panel->currentItemId(), item.flaggedId);
    QCOMPARE(panel->model()->index(0, ReviewModel::Age).data(ReviewModel::AgeBadgeRole).toString(), QStringLiteral("attention"));
    panel->table()->setFocus();

    press(Qt::Key_C); // claim
    QTRY_VERIFY(panel->model()->index(0, 0).data(ReviewModel::ClaimedByMeRole).toBool());
    press(Qt::Key_N); // focus notes
    auto *notes = child<QPlainTextEdit>("reviewNotes");
    QTRY_VERIFY(notes->hasFocus());
    QTest::keyClicks(notes, QStringLiteral("Checked: a real maintenance problem, harmless."));
    QCOMPARE(notes->toPlainText(), QStringLiteral("Checked: a real maintenance problem, harmless."));
    press(Qt::Key_A, Qt::ControlModifier | Qt::ShiftModifier); // approve from inside the notes
    QTRY_COMPARE(panel->model()->rowCount(), 0);
    QVERIFY2(panel->errorText().isEmpty(), qPrintable(panel->errorText()));

    QCOMPARE(test::scalar(db(), QStringLiteral("SELECT guardrail_status FROM problems WHERE id = ?::uuid"), {item.problemId})
                 .toString(),
             QStringLiteral("approved"));
    QCOMPARE(test::scalar(db(),
                          QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'flagged.review' AND target_id = ?"
                                         " AND actor_id = ?::uuid"),
                          {item.flaggedId, m_moderator.moderatorId})
                 .toInt(),
             1);
    QCOMPARE(test::scalar(db(), QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'flagged.claim' AND target_id = ?"),
                          {item.flaggedId})
                 .toInt(),
             1);
}

void tst_ReviewPanel::alreadyClaimedIsShown()
{
    const auto item = test::seedFlaggedProblem(db(), m_agent, QStringLiteral("Contested item"), 60);
    QVERIFY(m_reviews->claim(m_other, item.flaggedId).ok());
    auto *panel = openPanel(m_moderator);
    QTRY_COMPARE(panel->currentItemId(), item.flaggedId);
    QTRY_COMPARE(panel->model()->index(0, ReviewModel::ClaimedBy).data().toString(), QStringLiteral("Name of other@example.org"));
    panel->table()->setFocus();
    press(Qt::Key_C);
    QTRY_VERIFY2(panel->errorText().contains(QStringLiteral("409")), qPrintable(panel->errorText()));
    QVERIFY(panel->errorText().contains(QStringLiteral("ALREADY_CLAIMED")));
    QVERIFY(panel->errorText().contains(QStringLiteral("Another moderator")));
    // Deciding without the claim: 403 in the panel, nothing changes in the database.
    child<QPlainTextEdit>("reviewNotes")->setPlainText(QStringLiteral("Trying to approve without a claim."));
    panel->table()->setFocus();
    press(Qt::Key_A);
    QTRY_VERIFY2(panel->errorText().contains(QStringLiteral("403")), qPrintable(panel->errorText()));
    QCOMPARE(
        test::scalar(db(), QStringLiteral("SELECT status FROM flagged_content WHERE id = ?::uuid"), {item.flaggedId}).toString(),
        QStringLiteral("pending_review"));
}

void tst_ReviewPanel::shortcutsMoveFocusAndRelease()
{
    for (int i = 0; i < 3; ++i)
        QVERIFY(!test::seedFlaggedProblem(db(), m_agent, QStringLiteral("Item %1").arg(i), 3600 * (3 - i)).flaggedId.isEmpty());
    auto *panel = openPanel(m_moderator);
    QTRY_COMPARE(panel->model()->rowCount(), 3);
    QTRY_COMPARE(panel->table()->currentIndex().row(), 0);
    panel->table()->setFocus();

    press(Qt::Key_J);
    QCOMPARE(panel->table()->currentIndex().row(), 1);
    press(Qt::Key_J);
    press(Qt::Key_J); // stays on the last row
    QCOMPARE(panel->table()->currentIndex().row(), 2);
    press(Qt::Key_K);
    QCOMPARE(panel->table()->currentIndex().row(), 1);

    // Shortcuts are shown in tooltips and menus.
    auto *approve = child<QAction>("actionReviewApprove");
    QVERIFY(approve->toolTip().contains(QStringLiteral("(A)")));
    QCOMPARE(approve->shortcut(), QKeySequence(Qt::Key_A));
    QCOMPARE(child<QAction>("actionReviewClaim")->shortcut(), QKeySequence(Qt::Key_C));

    // R without notes: explained, and the notes get the focus.
    press(Qt::Key_R);
    QVERIFY(panel->errorText().contains(QStringLiteral("10 characters")));
    auto *notes = child<QPlainTextEdit>("reviewNotes");
    QTRY_VERIFY(notes->hasFocus());
    press(Qt::Key_Escape); // from the notes: back to the queue, nothing released
    QTRY_VERIFY(panel->table()->hasFocus());

    press(Qt::Key_C);
    QTRY_VERIFY(panel->model()->index(1, 0).data(ReviewModel::ClaimedByMeRole).toBool());
    press(Qt::Key_Escape); // release
    QTRY_VERIFY(!panel->model()->index(1, 0).data(ReviewModel::ClaimActiveRole).toBool());
    QCOMPARE(test::scalar(db(), QStringLiteral("SELECT count(*) FROM flagged_content WHERE assigned_to IS NOT NULL")).toInt(), 0);

    press(Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(panel->findChild<QComboBox *>(QStringLiteral("filterStatus"))->hasFocus());
}

void tst_ReviewPanel::bulkRejectWithTemplate()
{
    QStringList problems;
    for (int i = 0; i < 3; ++i)
        problems << test::seedFlaggedProblem(db(), m_agent, QStringLiteral("Spam %1").arg(i), 100 + i).problemId;
    auto *panel = openPanel(m_moderator);
    QTRY_COMPARE(panel->model()->rowCount(), 3);
    panel->table()->setFocus();
    panel->table()->selectAll();
    press(Qt::Key_C);
    QTRY_COMPARE(test::scalar(db(), QStringLiteral("SELECT count(*) FROM flagged_content WHERE assigned_to = ?::uuid"),
                              {m_moderator.moderatorId})
                     .toInt(),
                 3);
    auto *templates = child<QComboBox>("reviewTemplates");
    templates->setCurrentIndex(6);
    Q_EMIT templates->activated(6); // what choosing it with the mouse or keyboard does
    QCOMPARE(child<QPlainTextEdit>("reviewNotes")->toPlainText(), ui::ReviewPanel::reasonTemplates().at(5));
    panel->table()->setFocus();
    panel->table()->selectAll();
    press(Qt::Key_R);
    QTRY_COMPARE(panel->model()->rowCount(), 0);
    QCOMPARE(
        test::scalar(db(),
                     QStringLiteral("SELECT count(*) FROM problems WHERE id = ANY(?::uuid[]) AND guardrail_status = 'rejected'"),
                     {QStringLiteral("{%1}").arg(problems.join(u','))})
            .toInt(),
        3);
    QCOMPARE(test::scalar(db(), QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'flagged.review'"
                                               " AND after->>'decision' = 'reject'"))
                 .toInt(),
             3);
}

void tst_ReviewPanel::filters()
{
    QVERIFY(
        !test::seedFlaggedProblem(db(), m_agent, QStringLiteral("Fresh"), 60, QStringLiteral("verified")).flaggedId.isEmpty());
    QVERIFY(!test::seedFlaggedProblem(db(), m_agent, QStringLiteral("Old"), 30 * 3600).flaggedId.isEmpty());
    auto *panel = openPanel(m_moderator);
    QTRY_COMPARE(panel->model()->rowCount(), 2);
    QCOMPARE(panel->model()->index(0, ReviewModel::Title).data().toString(), QStringLiteral("Old")); // oldest first
    QCOMPARE(panel->model()->index(0, ReviewModel::Age).data(ReviewModel::AgeBadgeRole).toString(), QStringLiteral("overdue"));

    auto *tier = child<QComboBox>("filterTier");
    tier->setCurrentIndex(tier->findData(QStringLiteral("verified")));
    QTRY_COMPARE(panel->loader()->query().trustTier, QStringLiteral("verified"));
    QTRY_COMPARE(panel->model()->rowCount(), 1);
    QCOMPARE(panel->model()->index(0, ReviewModel::Title).data().toString(), QStringLiteral("Fresh"));

    tier->setCurrentIndex(0);
    auto *age = child<QComboBox>("filterAge");
    age->setCurrentIndex(age->findData(QStringLiteral("overdue")));
    QTRY_COMPARE(panel->loader()->query().age, QStringLiteral("overdue"));
    QTRY_COMPARE(panel->model()->rowCount(), 1);
    QCOMPARE(panel->model()->index(0, ReviewModel::Title).data().toString(), QStringLiteral("Old"));

    // An agent name is matched client-side; an id goes to the service.
    age->setCurrentIndex(0);
    auto *agent = child<QLineEdit>("filterAgent");
    agent->setText(QStringLiteral("nobody"));
    QTRY_COMPARE(panel->proxy()->rowCount(), 0);
    agent->setText(QStringLiteral("SCO"));
    QTRY_COMPARE(panel->proxy()->rowCount(), 2);
    agent->setText(m_agent);
    QTRY_COMPARE(panel->loader()->query().agentId, m_agent);
    QTRY_COMPARE(panel->proxy()->rowCount(), 2);
}

QTEST_MAIN(tst_ReviewPanel)
#include "tst_reviewpanel.moc"
