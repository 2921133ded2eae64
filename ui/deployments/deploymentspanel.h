#pragma once
// The Deployments page: environments (add/edit), deploy with confirmation (typing the name where
// required, always for production), live step/log while it runs, history with each deployment's
// log, and rollback to a failed deployment's pre-deployment snapshot (typed confirmation).
// GUI thread; reads run on the DbWorker, deployments and rollbacks on an OperationRunner.

#include "ui/common/consolecontext.h"
#include "ui/common/operationrunner.h"

#include <QPointer>
#include <QWidget>

#include <memory>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;

namespace bw::ops {
struct OpsServices;
}

namespace bw::ui {

class DbWorker;
class DeploymentModel;
class EnvironmentModel;

class DeploymentsPanel final : public QWidget {
    Q_OBJECT
public:
    explicit DeploymentsPanel(const ConsoleContext &context, QWidget *parent = nullptr);
    ~DeploymentsPanel() override;

    void refresh();
    bool selectEnvironment(const QString &name);
    bool selectDeployment(const QString &id);
    // Administrator actions; false when not allowed, not confirmed or busy.
    bool saveEnvironment(const QString &name, const QString &databaseUrl, const QStringList &nodes, bool typedConfirmation,
                         int readyTimeoutSeconds);
    void setConfirmationText(const QString &text);
    bool deploySelected();
    bool rollbackSelected();
    bool confirmationSatisfied() const; // for the selected environment

    EnvironmentModel *environments() const { return m_environments; }
    DeploymentModel *history() const { return m_history; }
    OperationRunner *runner() const { return m_runner; }

Q_SIGNALS:
    void loaded();
    void environmentSaved(const QString &error);
    void operationFinished(const bw::ui::OperationRunner::Outcome &outcome);

protected:
    void showEvent(QShowEvent *event) override;

private:
    QString selectedEnvironment() const;
    QString selectedDeployment() const;
    void showProgress(const ops::Progress &p);
    void showSelectedLog();
    void updateButtons();
    QString requester() const;

    ConsoleContext m_context;
    QPointer<DbWorker> m_worker;
    std::shared_ptr<ops::OpsServices> m_services;
    EnvironmentModel *m_environments;
    DeploymentModel *m_history;
    OperationRunner *m_runner;
    QTableView *m_envView;
    QTableView *m_historyView;
    QLineEdit *m_envName;
    QLineEdit *m_envUrl;
    QLineEdit *m_envNodes;
    QCheckBox *m_envTyped;
    QSpinBox *m_envTimeout;
    QPushButton *m_saveEnv;
    QLineEdit *m_confirm;
    QLabel *m_confirmHint;
    QPushButton *m_deploy;
    QPushButton *m_rollback;
    QLabel *m_step;
    QProgressBar *m_bar;
    QPushButton *m_cancel;
    QPlainTextEdit *m_log;
    QLabel *m_status;
    bool m_loading = false;
    bool m_reloadPending = false;
};

} // namespace bw::ui
