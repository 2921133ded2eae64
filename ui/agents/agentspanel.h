#pragma once
// The Agents page: directory with search, detail of the selected agent (heartbeat age, submissions
// by guardrail status, rate-limit state) and administrator actions through AdminOpsService
// (verify, rate-limit override, deactivate/activate; all audited), plus the verification codes the
// sink holds when no SMTP is configured. GUI thread; AgentAdminService reads and the actions run
// on the DbWorker.

#include "server/moderation/agentadminservice.h"
#include "ui/common/consolecontext.h"

#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <optional>

class QCheckBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;

namespace bw::ui {

class AgentListModel;
class DbWorker;
class HeldCodeModel;

// The selected agent as loaded (AgentAdminService::detail), or why it could not be.
struct AgentDetail : moderation::AgentAdminDetail {
    QString error;
};

class AgentsPanel final : public QWidget {
    Q_OBJECT
public:
    AgentsPanel(const ConsoleContext &context, QWidget *parent = nullptr);

    void setSearchText(const QString &text); // searches at once (typing waits 300 ms)
    void refresh();                          // list, selected detail and held codes
    bool selectAgent(const QString &agentId);
    QString selectedAgentId() const { return m_selectedId; }

    // Actions on the selected agent (administrators only; audited by AdminOpsService).
    void verifySelected();
    void setRateLimitOverride(std::optional<int> limit);
    void setSelectedActive(bool active);

    AgentListModel *model() const { return m_model; }
    HeldCodeModel *heldCodes() const { return m_codes; }
    const AgentDetail &detail() const { return m_detail; }

Q_SIGNALS:
    void listLoaded();
    void detailLoaded();
    void heldCodesLoaded();
    void actionFinished(const QString &error); // "" = success

protected:
    void showEvent(QShowEvent *event) override;

private:
    QWidget *buildDetail();
    void loadDetail();
    void loadHeldCodes();
    void showDetail();
    void updateActions();
    void runAction(const QString &description, std::function<QString(const ConsoleContext &)> action);

    ConsoleContext m_context;
    QPointer<DbWorker> m_worker;
    AgentListModel *m_model;
    QSortFilterProxyModel *m_proxy;
    HeldCodeModel *m_codes;
    QLineEdit *m_search;
    QCheckBox *m_includeInactive;
    QTableView *m_table;
    QLabel *m_status;
    // detail
    QLabel *m_detailTitle;
    QLabel *m_claim;
    QLabel *m_heartbeat;
    QLabel *m_submissions;
    QLabel *m_rateLimit;
    QPushButton *m_verify;
    QSpinBox *m_limit;
    QPushButton *m_setLimit;
    QPushButton *m_clearLimit;
    QPushButton *m_toggleActive;
    QGroupBox *m_codesBox;
    QTimer m_searchDelay;
    QString m_selectedId;
    AgentDetail m_detail;
    int m_listGeneration = 0; // newer searches win over late answers
    bool m_actionRunning = false;
    bool m_loaded = false;
};

} // namespace bw::ui
