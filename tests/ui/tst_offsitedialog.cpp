// The off-site backups dialog: its model (QAbstractItemModelTester), the listing runs off the GUI
// thread, errors are shown, and Restore/Drill hand the chosen backup to the panel.
#include "ui/backups/offsitebackupmodel.h"
#include "ui/backups/offsitedialog.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace bw;
using namespace bw::ui;

namespace {

QList<ops::OffsiteBackup> sample()
{
    ops::OffsiteBackup old;
    old.key = QStringLiteral("pilot/app-daily-20250101T030000Z-11111111.dump");
    old.sizeBytes = 1024;
    old.lastModified = QDateTime(QDate(2025, 1, 1), QTime(3, 0, 5), Qt::UTC);
    ops::OffsiteBackup recent;
    recent.key = QStringLiteral("pilot/app-manual-20250102T120000Z-22222222.dump");
    recent.sizeBytes = 5 * 1024 * 1024;
    recent.lastModified = QDateTime(QDate(2025, 1, 2), QTime(12, 0, 9), Qt::UTC);
    recent.sha256 = QString(64, u'a');
    recent.hasManifest = true;
    return {recent, old};
}

} // namespace

class tst_OffsiteDialog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void modelShowsWhatTheStoreHolds()
    {
        OffsiteBackupModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setBackups(sample());
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(0, OffsiteBackupModel::File).data().toString(),
                 QStringLiteral("app-manual-20250102T120000Z-22222222.dump"));
        QCOMPARE(model.index(0, OffsiteBackupModel::Checksum).data().toString(), QString(12, u'a'));
        QCOMPARE(model.index(1, OffsiteBackupModel::Checksum).data().toString(), QStringLiteral("none recorded"));
        QVERIFY(model.index(1, OffsiteBackupModel::Checksum).data(Qt::ToolTipRole).toString().contains(u"pg_restore"));
        QCOMPARE(model.index(1, 0).data(OffsiteBackupModel::KeyRole).toString(), sample().at(1).key);
        QCOMPARE(model.index(0, OffsiteBackupModel::Size).data(OffsiteBackupModel::SortRole).toLongLong(), 5 * 1024 * 1024);
        QCOMPARE(model.rowOf(sample().at(1).key), 1);
        model.setBackups({});
        QCOMPARE(model.rowCount(), 0);
    }

    void listsOffTheGuiThreadAndHandsTheChoiceOver()
    {
        qRegisterMetaType<ops::OffsiteBackup>();
        std::atomic<QThread *> listedOn{nullptr};
        OffsiteDialog dialog(QStringLiteral("http://s3/bucket"), [&]() -> Result<QList<ops::OffsiteBackup>> {
            listedOn = QThread::currentThread();
            return sample();
        });
        QSignalSpy loaded(&dialog, &OffsiteDialog::loaded);
        QSignalSpy restore(&dialog, &OffsiteDialog::restoreRequested);
        QSignalSpy drill(&dialog, &OffsiteDialog::drillRequested);
        dialog.show();
        dialog.reload();
        QVERIFY(dialog.isLoading());
        QTRY_COMPARE(loaded.size(), 1);
        QVERIFY(listedOn.load() != nullptr && listedOn.load() != QThread::currentThread());
        QCOMPARE(dialog.model()->rowCount(), 2);
        auto *restoreButton = dialog.findChild<QPushButton *>(QStringLiteral("offsiteRestoreButton"));
        auto *drillButton = dialog.findChild<QPushButton *>(QStringLiteral("offsiteDrillButton"));
        QVERIFY(!restoreButton->isEnabled()); // nothing chosen yet
        QVERIFY(dialog.selectKey(sample().at(1).key));
        QVERIFY(restoreButton->isEnabled());
        restoreButton->click();
        QCOMPARE(restore.size(), 1);
        QCOMPARE(restore.at(0).at(0).value<ops::OffsiteBackup>().key, sample().at(1).key);
        drillButton->click();
        QCOMPARE(drill.size(), 1);
        dialog.setActionsEnabled(false); // a restore or drill runs
        QVERIFY(!restoreButton->isEnabled() && !drillButton->isEnabled());
    }

    void listingErrorsAreShown()
    {
        OffsiteDialog dialog(QStringLiteral("http://s3/bucket"), []() -> Result<QList<ops::OffsiteBackup>> {
            return ApiError::unavailable(QStringLiteral("HTTP 403 SignatureDoesNotMatch"));
        });
        QSignalSpy loaded(&dialog, &OffsiteDialog::loaded);
        dialog.reload();
        QTRY_COMPARE(loaded.size(), 1);
        auto *status = dialog.findChild<QLabel *>(QStringLiteral("offsiteStatus"));
        QVERIFY(status->text().contains(QStringLiteral("SignatureDoesNotMatch")));
        QCOMPARE(dialog.model()->rowCount(), 0);
    }
};

QTEST_MAIN(tst_OffsiteDialog)
#include "tst_offsitedialog.moc"
