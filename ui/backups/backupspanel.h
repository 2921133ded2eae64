#pragma once
// The Backups page: the catalogue (status, size, age, verification, drill, off-site copy), create
// now / verify / drill / copy off-site with live progress and cancel, the guided restore
// (RestoreDialog) and the backup settings (folder, retention, S3 target; schedules shown).
// GUI thread; catalogue reads run on the DbWorker, long operations on an OperationRunner.

#include "ui/backups/offsitedialog.h" // QPointer needs the complete type
#include "ui/backups/restoredialog.h"
#include "ui/common/consolecontext.h"
#include "ui/common/operationrunner.h"

#include <QDateTime>
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace bw::ops {
struct OpsServices;
struct RestoreRequest;
struct RestoreResult;
} // namespace bw::ops

namespace bw::ui {

class BackupModel;
class DbWorker;
class SettingsForm;

class BackupsPanel final : public QWidget {
    Q_OBJECT
public:
    explicit BackupsPanel(const ConsoleContext &context, QWidget *parent = nullptr);
    ~BackupsPanel() override;

    void refresh();
    bool selectBackup(const QString &id);
    QString selectedBackupId() const;

    // Administrator actions; false when not allowed or another operation runs.
    bool createBackup();
    bool verifySelected();
    bool drillSelected();
    bool copySelectedOffsite();
    RestoreDialog *openRestoreDialog(); // non-modal; null when not allowed
    // Point-in-time restore within the archive's recoverable window; null when there is none.
    RestoreDialog *openPointInTimeDialog();
    QString recoveryWindowText() const { return m_windowText; }
    // The off-site store's backups (non-modal); null without an S3 target or when not allowed.
    OffsiteDialog *openOffsiteDialog();
    // Restore from / drill the off-site copy: download, SHA-256 check, then as for a local backup.
    RestoreDialog *openOffsiteRestore(const ops::OffsiteBackup &backup);
    bool drillOffsite(const ops::OffsiteBackup &backup);
    OffsiteDialog *offsiteDialog() const { return m_offsiteDialog; }

    BackupModel *model() const { return m_model; }
    OperationRunner *runner() const { return m_runner; }
    RestoreDialog *restoreDialog() const { return m_restoreDialog; }
    SettingsForm *settingsForm() const { return m_settings; }

Q_SIGNALS:
    void loaded();
    void operationFinished(const bw::ui::OperationRunner::Outcome &outcome);

protected:
    void showEvent(QShowEvent *event) override;

private:
    bool
    runOnSelected(const QString &name,
                  std::function<OperationRunner::Outcome(ops::OpsServices &, const QString &, const ops::OperationPtr &)> work);
    void showProgress(const ops::Progress &p);
    void updateButtons();
    QString requester() const;
    // run: how the request is carried out (default: the restore service); steps: its plan.
    using RestoreRun = std::function<Result<ops::RestoreResult>(const ops::RestoreRequest &, const ops::OperationPtr &)>;
    RestoreDialog *openRestore(const QString &description, std::function<void(ops::RestoreRequest &)> target, RestoreRun run = {},
                               const QStringList &steps = {});
    bool offsiteConfigured() const;
    ops::OffsiteRecovery offsiteRecovery(ops::OpsServices &services) const;

    ConsoleContext m_context;
    QPointer<DbWorker> m_worker;
    std::shared_ptr<ops::OpsServices> m_services; // shared with running tasks
    BackupModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_table;
    OperationRunner *m_runner;
    QPointer<RestoreDialog> m_restoreDialog;
    QPointer<OffsiteDialog> m_offsiteDialog;
    SettingsForm *m_settings = nullptr;
    QLabel *m_info;
    QLabel *m_step;
    QProgressBar *m_bar;
    QPushButton *m_cancel;
    QPushButton *m_create;
    QPushButton *m_verify;
    QPushButton *m_drill;
    QPushButton *m_offsite;
    QPushButton *m_restore;
    QPushButton *m_pitr;
    QPushButton *m_offsiteList;
    QLabel *m_status;
    QString m_infoText;                 // folder, database, off-site
    QString m_windowText;               // the WAL archive's window ("PITR possible from …" / "not yet: …")
    QDateTime m_windowFrom, m_windowTo; // valid when a point-in-time restore is possible
    QTimer m_poll;
    bool m_loading = false;
    bool m_reloadPending = false;
};

} // namespace bw::ui
