#include "ui/deployments/deploymentspanel.h"

#include "server/ops/opsservices.h"
#include "ui/common/dbworker.h"
#include "ui/deployments/deploymentmodels.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <utility>

namespace bw::ui {

namespace {

using Outcome = OperationRunner::Outcome;

struct Loaded {
    QString error;
    QList<ops::Environment> environments;
    QList<ops::DeploymentRecord> history;
};

QTableView *makeTable(QAbstractItemModel *model, const QString &name)
{
    auto *view = new QTableView;
    view->setObjectName(name);
    view->setModel(model);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAlternatingRowColors(true);
    return view;
}

bool needsTypedName(const ops::Environment &e)
{
    return e.requireTypedConfirmation || e.name == u"production";
}

} // namespace

DeploymentsPanel::DeploymentsPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context), m_worker(context.worker), m_environments(new EnvironmentModel(this)),
      m_history(new DeploymentModel(this)), m_runner(new OperationRunner(context.releaseThreadConnection, this)),
      m_envName(new QLineEdit), m_envUrl(new QLineEdit), m_envNodes(new QLineEdit),
      m_envTyped(new QCheckBox(tr("Require typing the name to deploy"))), m_envTimeout(new QSpinBox),
      m_saveEnv(new QPushButton(tr("&Save environment"))), m_confirm(new QLineEdit), m_confirmHint(new QLabel),
      m_deploy(new QPushButton(tr("&Deploy"))), m_rollback(new QPushButton(tr("&Roll back"))), m_step(new QLabel),
      m_bar(new QProgressBar), m_cancel(new QPushButton(tr("Cancel"))), m_log(new QPlainTextEdit), m_status(new QLabel)
{
    setObjectName(QStringLiteral("deploymentsPanel"));
    if (context.config && context.makeOpsServices)
        m_services = context.makeOpsServices();
    auto *title = new QLabel(tr("Deployments"));
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_envView = makeTable(m_environments, QStringLiteral("environmentsTable"));
    m_historyView = makeTable(m_history, QStringLiteral("deploymentHistoryTable"));

    // Environment editor (administrators).
    m_envName->setObjectName(QStringLiteral("envName"));
    m_envName->setPlaceholderText(tr("staging"));
    m_envUrl->setObjectName(QStringLiteral("envDatabaseUrl"));
    m_envUrl->setPlaceholderText(tr("postgresql://user:password@host:5432/betterworld (the password goes to the keychain)"));
    m_envNodes->setObjectName(QStringLiteral("envNodes"));
    m_envNodes->setPlaceholderText(tr("https://api1.example.org, https://api2.example.org"));
    m_envTimeout->setRange(5, 3600);
    m_envTimeout->setValue(120);
    m_envTimeout->setSuffix(tr(" s"));
    auto *editor = new QGroupBox(tr("Add or change an environment"));
    auto *form = new QFormLayout(editor);
    form->addRow(tr("Name:"), m_envName);
    form->addRow(tr("Database URL:"), m_envUrl);
    form->addRow(tr("API nodes:"), m_envNodes);
    form->addRow(tr("Ready timeout:"), m_envTimeout);
    form->addRow(QString(), m_envTyped);
    form->addRow(QString(), m_saveEnv);
    editor->setVisible(context.isAdmin());

    // Deploy / rollback with confirmation.
    m_confirm->setObjectName(QStringLiteral("deployConfirmation"));
    m_confirmHint->setObjectName(QStringLiteral("deployConfirmationHint"));
    m_deploy->setObjectName(QStringLiteral("deployButton"));
    m_rollback->setObjectName(QStringLiteral("rollbackButton"));
    m_cancel->setObjectName(QStringLiteral("cancelDeployButton"));
    auto *actions = new QHBoxLayout;
    actions->addWidget(m_confirmHint);
    actions->addWidget(m_confirm, 1);
    actions->addWidget(m_deploy);
    actions->addWidget(m_rollback);

    auto *progress = new QHBoxLayout;
    progress->addWidget(m_step, 1);
    progress->addWidget(m_bar, 1);
    progress->addWidget(m_cancel);
    m_log->setObjectName(QStringLiteral("deploymentLog"));
    m_log->setReadOnly(true);
    m_log->setPlaceholderText(tr("Select a deployment to see its log; a running deployment's log appears here live."));

    auto *top = new QWidget;
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(m_envView, 1);
    topLayout->addWidget(editor);
    topLayout->addLayout(actions);
    topLayout->addLayout(progress);
    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(top);
    split->addWidget(m_historyView);
    split->addWidget(m_log);

    m_status->setObjectName(QStringLiteral("deploymentsStatus"));
    m_status->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(split, 1);
    layout->addWidget(m_status);
    m_step->hide();
    m_bar->hide();
    m_cancel->hide();

    connect(m_saveEnv, &QPushButton::clicked, this, [this] {
        saveEnvironment(m_envName->text().trimmed(), m_envUrl->text().trimmed(),
                        m_envNodes->text().split(u',', Qt::SkipEmptyParts), m_envTyped->isChecked(), m_envTimeout->value());
    });
    connect(m_envView->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        m_confirm->clear();
        if (const ops::Environment *e = m_environments->environment(m_environments->rowOf(selectedEnvironment()))) {
            m_envName->setText(e->name); // edit in place
            m_envUrl->setText(e->databaseUrl);
            m_envNodes->setText(e->nodeUrls.join(QStringLiteral(", ")));
            m_envTyped->setChecked(e->requireTypedConfirmation);
            m_envTimeout->setValue(e->readyTimeoutSeconds);
        }
        updateButtons();
    });
    connect(m_historyView->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        showSelectedLog();
        updateButtons();
    });
    connect(m_confirm, &QLineEdit::textChanged, this, &DeploymentsPanel::updateButtons);
    connect(m_deploy, &QPushButton::clicked, this, &DeploymentsPanel::deploySelected);
    connect(m_rollback, &QPushButton::clicked, this, &DeploymentsPanel::rollbackSelected);
    connect(m_cancel, &QPushButton::clicked, m_runner, &OperationRunner::cancel);
    connect(m_runner, &OperationRunner::progressChanged, this, &DeploymentsPanel::showProgress);
    connect(m_runner, &OperationRunner::finished, this, [this](const Outcome &o) {
        m_status->setText(o.cancelled ? tr("Cancelled.") : o.error.isEmpty() ? o.summary : tr("Failed: %1").arg(o.error));
        m_log->setPlainText(m_runner->log().join(u'\n'));
        m_step->hide();
        m_bar->hide();
        m_cancel->hide();
        m_confirm->clear();
        updateButtons();
        refresh();
        Q_EMIT operationFinished(o);
    });
    updateButtons();
}

DeploymentsPanel::~DeploymentsPanel() = default;

void DeploymentsPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

QString DeploymentsPanel::requester() const
{
    return QStringLiteral("desktop:%1")
        .arg(m_context.admin.email.isEmpty() ? m_context.admin.moderatorId : m_context.admin.email);
}

void DeploymentsPanel::refresh()
{
    if (!m_worker || !m_services)
        return;
    if (m_loading) {
        m_reloadPending = true; // the answer in flight may predate what the caller wants to see
        return;
    }
    m_loading = true;
    std::shared_ptr<ops::OpsServices> services = m_services;
    m_worker->submit(
        this,
        [services]() {
            Loaded l;
            auto envs = services->deployments->environments();
            auto history = services->deployments->history({}, 100);
            if (!envs || !history) {
                l.error = (!envs ? envs.error() : history.error()).message;
                return l;
            }
            l.environments = *envs;
            l.history = *history;
            return l;
        },
        [this](const Loaded &l) {
            m_loading = false;
            if (std::exchange(m_reloadPending, false))
                QTimer::singleShot(0, this, &DeploymentsPanel::refresh);
            if (!l.error.isEmpty()) {
                m_status->setText(tr("Could not load the deployments: %1").arg(l.error));
            } else {
                const QString env = selectedEnvironment();
                const QString dep = selectedDeployment();
                m_environments->setEnvironments(l.environments);
                m_history->setDeployments(l.history);
                selectEnvironment(env);
                selectDeployment(dep);
            }
            updateButtons();
            Q_EMIT loaded();
        });
}

bool DeploymentsPanel::selectEnvironment(const QString &name)
{
    const int row = name.isEmpty() ? -1 : m_environments->rowOf(name);
    if (row < 0)
        return false;
    m_envView->selectRow(row);
    return true;
}

bool DeploymentsPanel::selectDeployment(const QString &id)
{
    const int row = id.isEmpty() ? -1 : m_history->rowOf(id);
    if (row < 0)
        return false;
    m_historyView->selectRow(row);
    return true;
}

QString DeploymentsPanel::selectedEnvironment() const
{
    const QModelIndexList rows = m_envView->selectionModel()->selectedRows();
    const ops::Environment *e = rows.isEmpty() ? nullptr : m_environments->environment(rows.first().row());
    return e ? e->name : QString();
}

QString DeploymentsPanel::selectedDeployment() const
{
    const QModelIndexList rows = m_historyView->selectionModel()->selectedRows();
    const ops::DeploymentRecord *d = rows.isEmpty() ? nullptr : m_history->deployment(rows.first().row());
    return d ? d->id : QString();
}

void DeploymentsPanel::setConfirmationText(const QString &text)
{
    m_confirm->setText(text);
}

bool DeploymentsPanel::confirmationSatisfied() const
{
    const ops::Environment *e = m_environments->environment(m_environments->rowOf(selectedEnvironment()));
    return e && (!needsTypedName(*e) || m_confirm->text() == e->name);
}

void DeploymentsPanel::updateButtons()
{
    const bool can = m_context.isAdmin() && m_services && !m_runner->isRunning();
    const ops::Environment *e = m_environments->environment(m_environments->rowOf(selectedEnvironment()));
    const ops::DeploymentRecord *d = m_history->deployment(m_history->rowOf(selectedDeployment()));
    m_confirmHint->setText(e && needsTypedName(*e) ? tr("Type %1 to confirm:").arg(e->name) : tr("Confirmation:"));
    m_confirm->setEnabled(can);
    m_deploy->setEnabled(can && confirmationSatisfied());
    // Rollback restores a snapshot into the environment's database: always the typed name.
    m_rollback->setEnabled(can && d && d->rollbackAvailable() && m_confirm->text() == d->environment);
    m_rollback->setToolTip(d && d->rollbackAvailable()
                               ? tr("Type %1 above, then restore the snapshot taken before this deployment").arg(d->environment)
                               : tr("Select a failed deployment that has a snapshot"));
    m_saveEnv->setEnabled(can);
}

bool DeploymentsPanel::saveEnvironment(const QString &name, const QString &databaseUrl, const QStringList &nodes,
                                       bool typedConfirmation, int readyTimeoutSeconds)
{
    if (!m_context.isAdmin() || !m_services || !m_worker)
        return false;
    ops::Environment env;
    env.name = name;
    for (const QString &n : nodes)
        env.nodeUrls << n.trimmed();
    env.requireTypedConfirmation = typedConfirmation;
    env.readyTimeoutSeconds = readyTimeoutSeconds;
    std::shared_ptr<ops::OpsServices> services = m_services;
    m_worker->submit(
        this,
        [services, env, databaseUrl]() {
            Status s = services->deployments->saveEnvironment(env, databaseUrl);
            return s ? QString() : s.error().message;
        },
        [this, name](const QString &error) {
            m_status->setText(error.isEmpty() ? tr("Environment %1 saved.").arg(name)
                                              : tr("Could not save %1: %2").arg(name, error));
            if (error.isEmpty())
                m_envUrl->clear(); // it may have held a password
            refresh();
            Q_EMIT environmentSaved(error);
        });
    return true;
}

bool DeploymentsPanel::deploySelected()
{
    const QString env = selectedEnvironment();
    if (!m_context.isAdmin() || !m_services || env.isEmpty() || m_runner->isRunning() || !confirmationSatisfied())
        return false;
    ops::DeployRequest request;
    request.environment = env;
    request.confirmation = m_confirm->text();
    request.requestedBy = requester();
    std::shared_ptr<ops::OpsServices> services = m_services;
    m_log->clear();
    m_status->setText(tr("Deploying to %1…").arg(env));
    const bool started = m_runner->start(
        QStringLiteral("deploy"), ops::DeploymentService::plannedSteps(), [services, request](const ops::OperationPtr &op) {
            auto r = services->deployments->deploy(request, op);
            if (!r)
                return Outcome{r.error().message, {}, ops::Operation::isCancelled(r.error())};
            if (r->outcome != u"succeeded")
                return Outcome{
                    DeploymentsPanel::tr("deployment %1 %2%3%4")
                        .arg(r->id.left(8), DeploymentModel::outcomeText(r->outcome).toLower(),
                             r->failedStep.isEmpty() ? QString() : DeploymentsPanel::tr(" at step %1").arg(r->failedStep),
                             r->rollbackAvailable() ? DeploymentsPanel::tr("; rollback to its snapshot is available")
                                                    : QString()),
                    {},
                    r->outcome == u"cancelled"};
            return Outcome{{},
                           DeploymentsPanel::tr("Deployment %1 to %2 succeeded in %3 s (%n migration(s)).", nullptr,
                                                int(r->migrationsApplied.size()))
                               .arg(r->id.left(8), r->environment)
                               .arg(r->durationMs / 1000.0, 0, 'f', 1)};
        });
    updateButtons();
    return started;
}

bool DeploymentsPanel::rollbackSelected()
{
    const ops::DeploymentRecord *d = m_history->deployment(m_history->rowOf(selectedDeployment()));
    if (!m_context.isAdmin() || !m_services || !d || !d->rollbackAvailable() || m_runner->isRunning()
        || m_confirm->text() != d->environment)
        return false;
    const QString id = d->id;
    const QString confirmation = m_confirm->text();
    const QString by = requester();
    std::shared_ptr<ops::OpsServices> services = m_services;
    m_log->clear();
    m_status->setText(tr("Rolling back deployment %1…").arg(id.left(8)));
    const bool started = m_runner->start(QStringLiteral("rollback"), ops::RestoreService::plannedSteps(),
                                         [services, id, confirmation, by](const ops::OperationPtr &op) {
                                             auto r = services->deployments->rollback(id, confirmation, by, op);
                                             if (!r)
                                                 return Outcome{r.error().message, {}, ops::Operation::isCancelled(r.error())};
                                             return Outcome{{},
                                                            DeploymentsPanel::tr("Rolled back: restore %1 in %2 s.")
                                                                .arg(r->restoreId.left(8))
                                                                .arg(r->ms / 1000.0, 0, 'f', 1)};
                                         });
    updateButtons();
    return started;
}

void DeploymentsPanel::showProgress(const ops::Progress &p)
{
    if (p.finished)
        return;
    m_step->show();
    m_bar->show();
    m_cancel->show();
    m_step->setText(p.stepIndex > 0 ? tr("Step %1 of %2: %3").arg(p.stepIndex).arg(p.stepCount).arg(p.stepLabel)
                                    : tr("Starting…"));
    if (p.fraction >= 0) {
        m_bar->setRange(0, 1000);
        m_bar->setValue(int(p.fraction * 1000));
    } else {
        m_bar->setRange(0, 0);
    }
    m_cancel->setEnabled(p.cancellable && !p.cancelRequested);
    m_log->setPlainText(m_runner->log().join(u'\n')); // live log
}

void DeploymentsPanel::showSelectedLog()
{
    if (m_runner->isRunning())
        return; // the live log wins
    const ops::DeploymentRecord *d = m_history->deployment(m_history->rowOf(selectedDeployment()));
    m_log->setPlainText(d ? d->log : QString());
}

} // namespace bw::ui
