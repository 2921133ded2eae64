#include "ui/agents/agentspanel.h"

#include "server/domain/accounts/verificationservice.h"
#include "server/moderation/adminopsservice.h"
#include "ui/agents/agentlistmodel.h"
#include "ui/common/dbworker.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace bw::ui {

namespace {

struct HeldCodes {
    QString error;
    QList<HeldCodeModel::Row> rows;
};

QLabel *valueLabel(const QString &name)
{
    auto *l = new QLabel;
    l->setObjectName(name);
    l->setWordWrap(true);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return l;
}

QString statusText(const QString &s)
{
    if (s == u"approved")
        return AgentsPanel::tr("approved");
    if (s == u"flagged")
        return AgentsPanel::tr("flagged");
    if (s == u"rejected")
        return AgentsPanel::tr("rejected");
    return AgentsPanel::tr("pending");
}

} // namespace

AgentsPanel::AgentsPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context), m_worker(context.worker), m_model(new AgentListModel(this)),
      m_proxy(new QSortFilterProxyModel(this)), m_codes(new HeldCodeModel(this)), m_search(new QLineEdit),
      m_includeInactive(new QCheckBox(tr("Include &deactivated"))), m_table(new QTableView), m_status(new QLabel)
{
    setObjectName(QStringLiteral("agentsPanel"));
    auto *title = new QLabel(tr("Agents"));
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_search->setObjectName(QStringLiteral("agentSearch"));
    m_search->setPlaceholderText(tr("Search by username, name or e-mail"));
    m_search->setClearButtonEnabled(true);
    m_includeInactive->setObjectName(QStringLiteral("includeInactive"));
    m_includeInactive->setChecked(true);
    auto *refreshButton = new QPushButton(tr("&Refresh"));
    auto *searchRow = new QHBoxLayout;
    searchRow->addWidget(m_search, 1);
    searchRow->addWidget(m_includeInactive);
    searchRow->addWidget(refreshButton);

    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(AgentListModel::SortRole);
    m_table->setObjectName(QStringLiteral("agentsTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(AgentListModel::Created, Qt::DescendingOrder);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_table);
    split->addWidget(buildDetail());
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    m_codesBox = new QGroupBox(tr("Verification codes waiting to be passed on (no SMTP configured)"));
    m_codesBox->setObjectName(QStringLiteral("heldCodesBox"));
    auto *codesView = new QTableView;
    codesView->setObjectName(QStringLiteral("heldCodesTable"));
    codesView->setModel(m_codes);
    codesView->verticalHeader()->hide();
    codesView->horizontalHeader()->setStretchLastSection(true);
    codesView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    codesView->setMaximumHeight(140);
    auto *codesLayout = new QVBoxLayout(m_codesBox);
    codesLayout->addWidget(codesView);
    // Codes are secrets for administrators only, and only exist without SMTP.
    m_codesBox->setVisible(m_context.isAdmin() && m_context.verification && !m_context.verification->usesSmtp());

    m_status->setObjectName(QStringLiteral("agentsStatus"));
    m_status->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addLayout(searchRow);
    layout->addWidget(split, 1);
    layout->addWidget(m_codesBox);
    layout->addWidget(m_status);

    m_searchDelay.setSingleShot(true);
    m_searchDelay.setInterval(300);
    connect(&m_searchDelay, &QTimer::timeout, this, &AgentsPanel::refresh);
    connect(m_search, &QLineEdit::textEdited, this, [this] { m_searchDelay.start(); });
    connect(m_includeInactive, &QCheckBox::toggled, this, &AgentsPanel::refresh);
    connect(refreshButton, &QPushButton::clicked, this, &AgentsPanel::refresh);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const QModelIndexList rows = m_table->selectionModel()->selectedRows();
        const QString id = rows.isEmpty() ? QString() : rows.first().data(AgentListModel::AgentIdRole).toString();
        if (id == m_selectedId)
            return;
        m_selectedId = id;
        m_detail = {};
        showDetail();
        loadDetail();
    });
    showDetail();
}

QWidget *AgentsPanel::buildDetail()
{
    auto *box = new QGroupBox(tr("Selected agent"));
    m_detailTitle = valueLabel(QStringLiteral("agentDetailTitle"));
    m_claim = valueLabel(QStringLiteral("agentClaim"));
    m_heartbeat = valueLabel(QStringLiteral("agentHeartbeat"));
    m_submissions = valueLabel(QStringLiteral("agentSubmissions"));
    m_rateLimit = valueLabel(QStringLiteral("agentRateLimit"));
    QFont bold = m_detailTitle->font();
    bold.setBold(true);
    m_detailTitle->setFont(bold);

    auto *form = new QFormLayout;
    form->addRow(m_detailTitle);
    form->addRow(tr("Claim status:"), m_claim);
    form->addRow(tr("Last heartbeat:"), m_heartbeat);
    form->addRow(tr("Submissions:"), m_submissions);
    form->addRow(tr("Rate limit:"), m_rateLimit);

    m_verify = new QPushButton(tr("Mark &verified"));
    m_verify->setObjectName(QStringLiteral("verifyAgentButton"));
    m_limit = new QSpinBox;
    m_limit->setObjectName(QStringLiteral("rateLimitSpin"));
    m_limit->setRange(1, 1000); // AdminOpsService::parseRateLimitBody's range
    m_limit->setSuffix(tr(" /min"));
    m_limit->setValue(60);
    m_setLimit = new QPushButton(tr("Set &override"));
    m_setLimit->setObjectName(QStringLiteral("setRateLimitButton"));
    m_clearLimit = new QPushButton(tr("&Clear override"));
    m_clearLimit->setObjectName(QStringLiteral("clearRateLimitButton"));
    m_toggleActive = new QPushButton;
    m_toggleActive->setObjectName(QStringLiteral("toggleActiveButton"));
    const QString adminOnly = tr("Only administrators can change agents");
    for (QWidget *w : {static_cast<QWidget *>(m_verify), static_cast<QWidget *>(m_setLimit), static_cast<QWidget *>(m_clearLimit),
                       static_cast<QWidget *>(m_toggleActive)})
        if (!m_context.isAdmin())
            w->setToolTip(adminOnly);

    auto *limitRow = new QHBoxLayout;
    limitRow->addWidget(m_limit);
    limitRow->addWidget(m_setLimit);
    limitRow->addWidget(m_clearLimit);
    limitRow->addStretch(1);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_verify);
    buttons->addWidget(m_toggleActive);
    buttons->addStretch(1);

    auto *layout = new QVBoxLayout(box);
    layout->addLayout(form);
    layout->addLayout(limitRow);
    layout->addLayout(buttons);
    layout->addStretch(1);

    connect(m_verify, &QPushButton::clicked, this, &AgentsPanel::verifySelected);
    connect(m_setLimit, &QPushButton::clicked, this, [this] { setRateLimitOverride(m_limit->value()); });
    connect(m_clearLimit, &QPushButton::clicked, this, [this] { setRateLimitOverride(std::nullopt); });
    connect(m_toggleActive, &QPushButton::clicked, this, [this] { setSelectedActive(!m_detail.agent.active); });
    return box;
}

void AgentsPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!m_loaded)
        refresh();
}

void AgentsPanel::setSearchText(const QString &text)
{
    m_search->setText(text);
    m_searchDelay.stop();
    refresh();
}

void AgentsPanel::refresh()
{
    if (!m_worker || !m_context.agentAdmin)
        return;
    m_loaded = true;
    const int generation = ++m_listGeneration;
    const QString text = m_search->text();
    const bool inactive = m_includeInactive->isChecked();
    m_worker->submit(
        this, [agents = m_context.agentAdmin, text, inactive] { return agents->search(text, inactive); },
        [this, generation](const Result<moderation::AgentAdminList> &result) {
            if (generation != m_listGeneration)
                return; // a newer search is on its way
            if (!result) {
                m_status->setText(tr("Could not load the agents: %1").arg(result.error().message));
                Q_EMIT listLoaded();
                return;
            }
            const moderation::AgentAdminList &list = *result;
            const QString keep = m_selectedId;
            m_model->setAgents(list.rows, list.checkedAt);
            m_status->setText(list.truncated ? tr("Showing the newest %n agent(s); refine the search to see others.", nullptr,
                                                  int(list.rows.size()))
                                             : tr("%n agent(s).", nullptr, int(list.rows.size())));
            if (!keep.isEmpty() && !selectAgent(keep)) {
                m_selectedId.clear();
                m_detail = {};
                showDetail();
            }
            Q_EMIT listLoaded();
        });
    if (!m_selectedId.isEmpty())
        loadDetail();
    loadHeldCodes();
}

bool AgentsPanel::selectAgent(const QString &agentId)
{
    const int row = m_model->rowOf(agentId);
    if (row < 0)
        return false;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    m_table->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_table->scrollTo(index);
    return true;
}

void AgentsPanel::loadDetail()
{
    if (!m_worker || !m_context.agentAdmin || m_selectedId.isEmpty())
        return;
    const QString id = m_selectedId;
    m_worker->submit(
        this,
        [agents = m_context.agentAdmin, id] {
            AgentDetail d;
            if (auto loaded = agents->detail(id))
                static_cast<moderation::AgentAdminDetail &>(d) = *loaded;
            else
                d.error = loaded.error().message;
            return d;
        },
        [this, id](const AgentDetail &d) {
            if (id != m_selectedId)
                return;
            m_detail = d;
            if (d.error.isEmpty())
                m_model->updateAgent(d.agent);
            showDetail();
            Q_EMIT detailLoaded();
        });
}

void AgentsPanel::loadHeldCodes()
{
    if (!m_worker || !m_codesBox->isVisibleTo(this) || !m_context.verification)
        return;
    auto *verification = m_context.verification;
    m_worker->submit(
        this,
        [verification]() {
            HeldCodes out;
            auto codes = verification->heldCodes(100);
            if (!codes) {
                out.error = codes.error().message;
                return out;
            }
            for (const auto &c : *codes)
                out.rows.append(HeldCodeModel::Row{c.agentId, c.username, c.email, c.code, c.expiresAt});
            return out;
        },
        [this](const HeldCodes &codes) {
            if (codes.error.isEmpty())
                m_codes->setCodes(codes.rows);
            else
                m_status->setText(tr("Could not load the held verification codes: %1").arg(codes.error));
            Q_EMIT heldCodesLoaded();
        });
}

void AgentsPanel::showDetail()
{
    const AgentRow &a = m_detail.agent;
    const bool have = !m_selectedId.isEmpty() && m_detail.error.isEmpty() && !a.id.isEmpty();
    if (m_selectedId.isEmpty()) {
        m_detailTitle->setText(tr("Select an agent to see its details."));
    } else if (!m_detail.error.isEmpty()) {
        m_detailTitle->setText(tr("Could not load the agent: %1").arg(m_detail.error));
    } else if (!have) {
        m_detailTitle->setText(tr("Loading…"));
    } else {
        m_detailTitle->setText(a.displayName.isEmpty() ? a.username : tr("%1 (%2)").arg(a.displayName, a.username));
    }
    if (!have) {
        for (QLabel *l : {m_claim, m_heartbeat, m_submissions, m_rateLimit})
            l->clear();
        updateActions();
        return;
    }
    m_claim->setText(
        tr("%1, %2").arg(AgentListModel::claimStatusText(a.claimStatus), a.active ? tr("active") : tr("deactivated")));
    m_heartbeat->setText(a.lastHeartbeatAt.isValid()
                             ? tr("%1 ago").arg(AgentListModel::age(a.lastHeartbeatAt.secsTo(m_detail.checkedAt)))
                             : tr("never checked in"));
    QStringList lines;
    static const char *const kTypes[] = {QT_TR_NOOP("Problems"), QT_TR_NOOP("Solutions"), QT_TR_NOOP("Debates"),
                                         QT_TR_NOOP("Missions")};
    static const char *const kKeys[] = {"problems", "solutions", "debates", "missions"};
    for (int i = 0; i < 4; ++i) {
        const auto counts = m_detail.submissions.value(QString::fromLatin1(kKeys[i]));
        if (counts.isEmpty())
            continue;
        QStringList parts;
        for (auto it = counts.cbegin(); it != counts.cend(); ++it)
            parts << tr("%1 %2").arg(it.value()).arg(statusText(it.key()));
        lines << tr("%1: %2").arg(tr(kTypes[i]), parts.join(QStringLiteral(", ")));
    }
    m_submissions->setText(lines.isEmpty() ? tr("none yet") : lines.join(u'\n'));
    QString rate =
        a.rateLimitOverride
            ? tr("%1 requests per %2 s (administrator override)").arg(m_detail.effectiveLimit).arg(m_detail.windowSeconds)
            : tr("%1 requests per %2 s (%3 tier)")
                  .arg(m_detail.effectiveLimit)
                  .arg(m_detail.windowSeconds)
                  .arg(AgentListModel::claimStatusText(a.claimStatus));
    if (m_detail.windowCount)
        rate += u'\n' + tr("%1 used in the current window").arg(*m_detail.windowCount);
    m_rateLimit->setText(rate);
    if (a.rateLimitOverride)
        m_limit->setValue(*a.rateLimitOverride);
    updateActions();
}

void AgentsPanel::updateActions()
{
    const bool have = !m_selectedId.isEmpty() && m_detail.error.isEmpty() && !m_detail.agent.id.isEmpty();
    const bool can = have && m_context.isAdmin() && m_context.adminOps && !m_actionRunning;
    m_verify->setEnabled(can && m_detail.agent.claimStatus != u"verified");
    m_limit->setEnabled(can);
    m_setLimit->setEnabled(can);
    m_clearLimit->setEnabled(can && m_detail.agent.rateLimitOverride.has_value());
    m_toggleActive->setEnabled(can);
    m_toggleActive->setText(have && !m_detail.agent.active ? tr("&Activate") : tr("&Deactivate"));
}

void AgentsPanel::runAction(const QString &description, std::function<QString(const ConsoleContext &)> action)
{
    if (m_selectedId.isEmpty() || !m_worker || m_actionRunning)
        return;
    if (!m_context.isAdmin() || !m_context.adminOps) {
        Q_EMIT actionFinished(tr("Only administrators can change agents."));
        return;
    }
    m_actionRunning = true;
    updateActions();
    m_status->setText(description);
    const ConsoleContext context = m_context;
    m_worker->submit(
        this, [context, action]() { return action(context); },
        [this](const QString &error) {
            m_actionRunning = false;
            m_status->setText(error.isEmpty() ? tr("Saved.") : tr("The change failed: %1").arg(error));
            loadDetail(); // shows the new state (and updates the list row)
            updateActions();
            Q_EMIT actionFinished(error);
        });
}

void AgentsPanel::verifySelected()
{
    const QString id = m_selectedId;
    runAction(tr("Marking the agent as verified…"), [id](const ConsoleContext &c) {
        auto r = c.adminOps->setClaimStatus(c.admin, id, QStringLiteral("verified"));
        return r ? QString() : r.error().message;
    });
}

void AgentsPanel::setRateLimitOverride(std::optional<int> limit)
{
    const QString id = m_selectedId;
    runAction(limit ? tr("Setting the rate-limit override…") : tr("Clearing the rate-limit override…"),
              [id, limit](const ConsoleContext &c) {
                  auto r = c.adminOps->setRateLimitOverride(c.admin, id, limit);
                  return r ? QString() : r.error().message;
              });
}

void AgentsPanel::setSelectedActive(bool active)
{
    const QString id = m_selectedId;
    runAction(active ? tr("Activating the agent…") : tr("Deactivating the agent…"), [id, active](const ConsoleContext &c) {
        auto r = c.adminOps->setActive(c.admin, id, active);
        return r ? QString() : r.error().message;
    });
}

} // namespace bw::ui
