// BackupsPanel against a real PostgreSQL and the real pg_dump/pg_restore: "create now" adds a
// completed row, verify records its result, and the guided restore refuses to start until the
// database's name is typed, then restores (a row written after the backup is gone).
#include "ui/backups/backupmodel.h"
#include "ui/backups/backupspanel.h"
#include "ui/backups/restoredialog.h"

#include "server/core/config.h"
#include "tests/ui/consoletestdb.h"

#include <QAbstractItemModelTester>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>

using bw::ui::BackupModel;
using Outcome = bw::ui::OperationRunner::Outcome;

class tst_BackupsPanel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init() { QVERIFY(m_db.open(m_pg)); }
    void cleanup() { m_db.close(); }
    void modelPassesTheTester();
    void createNowAddsARowAndVerifyRecordsIt();
    void restoreRequiresTypedConfirmation();
    void moderatorCannotStartOperations();

private:
    bw::ui::ConsoleContext context(const QString &role)
    {
        bw::ui::ConsoleContext c;
        c.config = &m_config;
        c.setMaintenance = [this](bool on) { m_maintenance << on; };
        c.admin = bw::test::consoleCaller(role);
        m_db.addTo(c); // after config, secrets, heartbeat: the services read them
        return c;
    }
    QString createBackup(bw::ui::BackupsPanel &panel);

    bw::test::PgFixture m_pg;
    bw::test::ConsoleDb m_db;
    QTemporaryDir m_dir;
    bw::Config m_config;
    QList<bool> m_maintenance;
};

void tst_BackupsPanel::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    QVERIFY(m_dir.isValid());
    m_config.ops.backupDir = m_dir.path();
    m_config.ops.minFreeMb = 1;
    m_config.ops.compressLevel = 1;
}

QString tst_BackupsPanel::createBackup(bw::ui::BackupsPanel &panel)
{
    QSignalSpy finished(&panel, &bw::ui::BackupsPanel::operationFinished);
    if (!panel.createBackup())
        return {};
    if (!finished.wait(60000) && finished.isEmpty())
        return {};
    const auto outcome = finished.first().first().value<Outcome>();
    if (!outcome.error.isEmpty()) {
        qWarning("backup failed: %s", qPrintable(outcome.error));
        return {};
    }
    return bw::test::scalar(*m_db.database, QStringLiteral("SELECT id::text FROM backups ORDER BY started_at DESC LIMIT 1"));
}

void tst_BackupsPanel::modelPassesTheTester()
{
    BackupModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    bw::ops::BackupRecord a;
    a.id = QStringLiteral("aaaaaaaa-0000");
    a.kind = QStringLiteral("daily");
    a.status = QStringLiteral("completed");
    a.sizeBytes = 2048;
    a.startedAt = QDateTime::currentDateTimeUtc().addSecs(-3600);
    bw::ops::BackupRecord b = a;
    b.id = QStringLiteral("bbbbbbbb-0000");
    b.status = QStringLiteral("failed");
    b.error = QStringLiteral("disk full");
    model.setBackups({a, b});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, BackupModel::Kind).data().toString(), BackupModel::tr("Daily"));
    QCOMPARE(model.index(1, BackupModel::Status).data(Qt::ToolTipRole).toString(), QStringLiteral("disk full"));
    QCOMPARE(model.index(0, BackupModel::Offsite).data().toString(), BackupModel::tr("local only"));
    model.setBackups({});
    QCOMPARE(model.rowCount(), 0);
}

void tst_BackupsPanel::createNowAddsARowAndVerifyRecordsIt()
{
    bw::ui::BackupsPanel panel(context(QStringLiteral("admin")));
    QAbstractItemModelTester tester(panel.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    panel.show();
    QTRY_VERIFY(!panel.findChild<QPushButton *>(QStringLiteral("createBackupButton"))->isHidden());
    const QString id = createBackup(panel);
    QVERIFY(!id.isEmpty());
    QTRY_COMPARE(panel.model()->rowCount(), 1);
    QTRY_COMPARE(panel.model()->index(0, BackupModel::Status).data().toString(),
                 BackupModel::tr("Completed")); // the refresh after the operation
    QCOMPARE(panel.model()->index(0, BackupModel::Kind).data().toString(), BackupModel::tr("Manual"));

    QVERIFY(panel.selectBackup(id));
    QSignalSpy finished(&panel, &bw::ui::BackupsPanel::operationFinished);
    QVERIFY(panel.verifySelected());
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.first().first().value<Outcome>().error, QString());
    QTRY_VERIFY(panel.model()->index(0, BackupModel::Verified).data().toString().startsWith(BackupModel::tr("OK, %1").left(3)));
    QCOMPARE(bw::test::scalar(*m_db.database, QStringLiteral("SELECT verify_status FROM backups WHERE id = ?::uuid"), {id}),
             QStringLiteral("ok"));
}

void tst_BackupsPanel::restoreRequiresTypedConfirmation()
{
    bw::ui::BackupsPanel panel(context(QStringLiteral("admin")));
    const QString id = createBackup(panel);
    QVERIFY(!id.isEmpty());
    QVERIFY(!bw::test::scalar(*m_db.database, QStringLiteral("INSERT INTO settings (key, value) VALUES ('after_backup', 'true')"
                                                             " RETURNING key"))
                 .isEmpty());
    QTRY_VERIFY(panel.selectBackup(id));

    bw::ui::RestoreDialog *dialog = panel.openRestoreDialog();
    QVERIFY(dialog);
    auto *confirm = dialog->findChild<QLineEdit *>(QStringLiteral("restoreConfirmation"));
    auto *start = dialog->findChild<QPushButton *>(QStringLiteral("startRestoreButton"));
    QVERIFY(confirm && start);
    QVERIFY(!start->isEnabled());
    QVERIFY(!dialog->startRestore()); // nothing typed
    QTest::keyClicks(confirm, QStringLiteral("wrong_name"));
    QVERIFY(!start->isEnabled());
    QVERIFY(!dialog->startRestore());
    QVERIFY(!dialog->isRunning());

    confirm->clear();
    QTest::keyClicks(confirm, m_db.database->settings().database);
    QVERIFY(start->isEnabled());
    QSignalSpy finished(dialog, &bw::ui::RestoreDialog::restoreFinished);
    start->click();
    QVERIFY(dialog->isRunning());
    QVERIFY(finished.wait(120000));
    const auto outcome = finished.first().first().value<Outcome>();
    QVERIFY2(outcome.error.isEmpty(), qPrintable(outcome.error));
    QVERIFY(m_maintenance.contains(true));
    QCOMPARE(m_maintenance.last(), false);
    // The restored database is the backup's state: the row written afterwards is gone.
    m_db.database->releaseThisThread(); // the swap ended this thread's session
    QCOMPARE(bw::test::scalar(*m_db.database, QStringLiteral("SELECT count(*) FROM settings WHERE key = 'after_backup'")),
             QStringLiteral("0"));
}

void tst_BackupsPanel::moderatorCannotStartOperations()
{
    bw::ui::BackupsPanel panel(context(QStringLiteral("moderator")));
    panel.show();
    QVERIFY(!panel.findChild<QPushButton *>(QStringLiteral("createBackupButton"))->isEnabled());
    QVERIFY(!panel.createBackup());
    QVERIFY(!panel.openRestoreDialog());
}

QTEST_MAIN(tst_BackupsPanel)
#include "tst_backupspanel.moc"
