#pragma once
// The backups in the off-site store, for a machine that may have nothing else: listed on a pool
// thread when shown (never on the GUI thread: it is network I/O), with "Restore…" and "Restore
// drill" for the chosen one. The dialog only lists and asks; BackupsPanel runs the restore (through
// RestoreDialog's typed confirmation) and the drill. Non-modal, GUI thread.

#include "server/core/result.h"
#include "server/ops/offsiterecovery.h"

#include <QDialog>

#include <functional>

class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace bw::ui {

class OffsiteBackupModel;

class OffsiteDialog final : public QDialog {
    Q_OBJECT
public:
    // Runs on a pool thread: the store's listing (OffsiteRecovery::list).
    using Lister = std::function<Result<QList<ops::OffsiteBackup>>()>;

    OffsiteDialog(const QString &storeDescription, Lister lister, QWidget *parent = nullptr);

    void reload(); // no-op while a listing is in flight
    bool isLoading() const { return m_loading; }
    QString selectedKey() const;
    bool selectKey(const QString &key);
    void setActionsEnabled(bool enabled); // off while a restore or drill runs
    OffsiteBackupModel *model() const { return m_model; }

Q_SIGNALS:
    void loaded();
    void restoreRequested(const bw::ops::OffsiteBackup &backup);
    void drillRequested(const bw::ops::OffsiteBackup &backup);

private:
    void updateButtons();
    const ops::OffsiteBackup *selected() const;

    Lister m_lister;
    OffsiteBackupModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_table;
    QLabel *m_status;
    QPushButton *m_reload;
    QPushButton *m_restore;
    QPushButton *m_drill;
    bool m_loading = false;
    bool m_actionsEnabled = true;
};

} // namespace bw::ui
