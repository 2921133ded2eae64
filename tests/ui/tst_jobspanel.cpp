// JobsPanel against a real PostgreSQL: per-queue counts, the dead letter, and an audited redrive
// that moves a discarded job back to 'available'; moderators get a read-only view.
#include "ui/jobs/jobcountsmodel.h"
#include "ui/jobs/joblistmodel.h"
#include "ui/jobs/jobspanel.h"

#include "server/moderation/adminopsservice.h"
#include "tests/ui/consoletestdb.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>

using bw::ui::JobCountsModel;
using bw::ui::JobListModel;

class tst_JobsPanel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError())); }
    void init()
    {
        QVERIFY(m_db.open(m_pg));
        m_ops = std::make_unique<bw::moderation::AdminOpsService>(*m_db.database);
    }
    void cleanup()
    {
        m_ops.reset();
        m_db.close();
    }
    void modelsPassTheTester();
    void showsCountsAndDeadLetter();
    void redriveMovesDiscardedJobToAvailable();
    void moderatorCannotRedrive();

private:
    QString insertJob(const QString &queue, const QString &state, const QString &error = {});
    bw::ui::ConsoleContext context(const QString &role)
    {
        bw::ui::ConsoleContext c;
        c.adminOps = m_ops.get();
        c.admin = bw::test::consoleCaller(role);
        m_db.addTo(c); // after config, secrets, heartbeat: the services read them
        return c;
    }

    bw::test::PgFixture m_pg;
    bw::test::ConsoleDb m_db;
    std::unique_ptr<bw::moderation::AdminOpsService> m_ops;
};

QString tst_JobsPanel::insertJob(const QString &queue, const QString &state, const QString &error)
{
    return bw::test::scalar(*m_db.database,
                            QStringLiteral("INSERT INTO jobs (queue, kind, state, attempts, max_attempts, last_error)"
                                           " VALUES (?, 'test-kind', ?, 3, 3, nullif(?, '')) RETURNING id::text"),
                            {queue, state, error});
}

void tst_JobsPanel::modelsPassTheTester()
{
    JobCountsModel counts;
    QAbstractItemModelTester countsTester(&counts, QAbstractItemModelTester::FailureReportingMode::QtTest);
    counts.setCounts(QJsonObject{{"a", QJsonObject{{"available", 2}, {"discarded", 1}}}, {"b", QJsonObject{{"running", 4}}}});
    QCOMPARE(counts.rowCount(), 2);
    QCOMPARE(counts.count(QStringLiteral("a"), JobCountsModel::Available), 2);
    counts.setCounts(QJsonObject{{"a", QJsonObject{{"available", 5}}}, {"b", QJsonObject{}}}); // in place
    QCOMPARE(counts.count(QStringLiteral("a"), JobCountsModel::Available), 5);
    counts.setCounts({});
    QCOMPARE(counts.rowCount(), 0);

    JobListModel list;
    QAbstractItemModelTester listTester(&list, QAbstractItemModelTester::FailureReportingMode::QtTest);
    list.setJobs(QJsonArray{QJsonObject{{"id", "11111111-2222-3333-4444-555555555555"},
                                        {"queue", "q"},
                                        {"kind", "k"},
                                        {"attempts", 3},
                                        {"maxAttempts", 3},
                                        {"lastError", "boom\nstack"}}});
    QCOMPARE(list.rowCount(), 1);
    QCOMPARE(list.index(0, JobListModel::LastError).data().toString(), QStringLiteral("boom"));
    QCOMPARE(list.index(0, JobListModel::LastError).data(Qt::ToolTipRole).toString(), QStringLiteral("boom\nstack"));
    QCOMPARE(list.rowOf(QStringLiteral("11111111-2222-3333-4444-555555555555")), 0);
    list.setJobs({});
    QCOMPARE(list.rowCount(), 0);
}

void tst_JobsPanel::showsCountsAndDeadLetter()
{
    insertJob(QStringLiteral("mail"), QStringLiteral("available"));
    insertJob(QStringLiteral("mail"), QStringLiteral("discarded"), QStringLiteral("smtp refused"));
    insertJob(QStringLiteral("ops"), QStringLiteral("running"));
    bw::ui::JobsPanel panel(context(QStringLiteral("admin")));
    QAbstractItemModelTester tester(panel.countsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    panel.refresh();
    QTRY_COMPARE(panel.countsModel()->rowCount(), 2);
    QCOMPARE(panel.countsModel()->count(QStringLiteral("mail"), JobCountsModel::Discarded), 1);
    QCOMPARE(panel.countsModel()->count(QStringLiteral("ops"), JobCountsModel::Running), 1);
    QCOMPARE(panel.runningModel()->rowCount(), 1);
    QCOMPARE(panel.deadLetterModel()->rowCount(), 1);
    QCOMPARE(panel.deadLetterModel()->index(0, JobListModel::LastError).data().toString(), QStringLiteral("smtp refused"));
}

void tst_JobsPanel::redriveMovesDiscardedJobToAvailable()
{
    const QString id = insertJob(QStringLiteral("mail"), QStringLiteral("discarded"), QStringLiteral("boom"));
    QVERIFY(!id.isEmpty());
    bw::ui::JobsPanel panel(context(QStringLiteral("admin")));
    panel.show();
    QTRY_COMPARE(panel.deadLetterModel()->rowCount(), 1);

    auto *view = panel.findChild<QTableView *>(QStringLiteral("deadLetterTable"));
    auto *button = panel.findChild<QPushButton *>(QStringLiteral("redriveButton"));
    QVERIFY(view && button);
    QVERIFY(!button->isEnabled()); // nothing selected
    view->selectRow(0);
    QVERIFY(button->isEnabled());

    QSignalSpy finished(&panel, &bw::ui::JobsPanel::actionFinished);
    button->click();
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.first().first().toString(), QString());
    QCOMPARE(
        bw::test::scalar(*m_db.database, QStringLiteral("SELECT state || '/' || attempts FROM jobs WHERE id = ?::uuid"), {id}),
        QStringLiteral("available/0"));
    QCOMPARE(bw::test::scalar(*m_db.database,
                              QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'job.retry' AND target_id = ?"),
                              {id}),
             QStringLiteral("1"));
    QTRY_COMPARE(panel.deadLetterModel()->rowCount(), 0);
}

void tst_JobsPanel::moderatorCannotRedrive()
{
    const QString id = insertJob(QStringLiteral("mail"), QStringLiteral("discarded"));
    bw::ui::JobsPanel panel(context(QStringLiteral("moderator")));
    panel.show();
    QTRY_COMPARE(panel.deadLetterModel()->rowCount(), 1); // read-only view
    auto *view = panel.findChild<QTableView *>(QStringLiteral("deadLetterTable"));
    view->selectRow(0);
    QVERIFY(!panel.findChild<QPushButton *>(QStringLiteral("redriveButton"))->isEnabled());
    QSignalSpy finished(&panel, &bw::ui::JobsPanel::actionFinished);
    panel.redrive(id);
    QCOMPARE(finished.size(), 1);
    QVERIFY(!finished.first().first().toString().isEmpty());
    QCOMPARE(bw::test::scalar(*m_db.database, QStringLiteral("SELECT state FROM jobs WHERE id = ?::uuid"), {id}),
             QStringLiteral("discarded"));
}

QTEST_MAIN(tst_JobsPanel)
#include "tst_jobspanel.moc"
