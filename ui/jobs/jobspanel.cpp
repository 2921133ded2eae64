#include "ui/jobs/jobspanel.h"

#include "server/jobs/jobqueuequery.h"
#include "server/jobs/jobsystem.h"
#include "server/moderation/adminopsservice.h"
#include "ui/common/dbworker.h"
#include "ui/jobs/jobcountsmodel.h"
#include "ui/jobs/joblistmodel.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace bw::ui {

namespace {

constexpr int kListLimit = 500;

JobsPanel::Snapshot loadJobs(const jobs::JobQueueQuery &queue)
{
    JobsPanel::Snapshot s;
    auto counts = queue.counts();
    if (!counts) {
        s.error = counts.error().message;
        return s;
    }
    s.counts = *counts;
    auto running = queue.list({}, QString::fromLatin1(jobs::state::kRunning), kListLimit);
    auto dead = queue.list({}, QString::fromLatin1(jobs::state::kDiscarded), kListLimit);
    if (!running || !dead) {
        s.error = (!running ? running.error() : dead.error()).message;
        return s;
    }
    s.running = *running;
    s.dead = *dead;
    return s;
}

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
    view->setWordWrap(false);
    return view;
}

// Keeps the selected job selected across a model reset (polls replace the rows).
void reselect(QTableView *view, JobListModel *model, const QString &id)
{
    const int row = id.isEmpty() ? -1 : model->rowOf(id);
    if (row >= 0)
        view->selectionModel()->select(model->index(row, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

QString selectedId(QTableView *view)
{
    const QModelIndexList rows = view->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(JobListModel::JobIdRole).toString();
}

} // namespace

JobsPanel::JobsPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context), m_worker(context.worker), m_counts(new JobCountsModel(this)),
      m_running(new JobListModel(this)), m_dead(new JobListModel(this)), m_errorText(new QPlainTextEdit),
      m_redrive(new QPushButton(tr("&Redrive"))), m_status(new QLabel)
{
    setObjectName(QStringLiteral("jobsPanel"));
    auto *title = new QLabel(tr("Jobs"));
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_countsView = makeTable(m_counts, QStringLiteral("jobCountsTable"));
    m_countsView->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    m_runningView = makeTable(m_running, QStringLiteral("runningJobsTable"));
    m_deadView = makeTable(m_dead, QStringLiteral("deadLetterTable"));

    m_errorText->setObjectName(QStringLiteral("jobErrorText"));
    m_errorText->setReadOnly(true);
    m_errorText->setPlaceholderText(tr("Select a job to see its last error."));
    m_redrive->setObjectName(QStringLiteral("redriveButton"));
    m_redrive->setToolTip(context.isAdmin() ? tr("Put the selected job back in its queue with its attempts reset (audited)")
                                            : tr("Only administrators can redrive jobs"));
    m_status->setObjectName(QStringLiteral("jobsStatus"));
    m_status->setWordWrap(true);

    auto *deadPage = new QWidget;
    auto *deadSplit = new QSplitter(Qt::Vertical);
    deadSplit->addWidget(m_deadView);
    deadSplit->addWidget(m_errorText);
    deadSplit->setStretchFactor(0, 3);
    deadSplit->setStretchFactor(1, 1);
    auto *deadButtons = new QHBoxLayout;
    deadButtons->addStretch(1);
    deadButtons->addWidget(m_redrive);
    auto *deadLayout = new QVBoxLayout(deadPage);
    deadLayout->addWidget(deadSplit, 1);
    deadLayout->addLayout(deadButtons);

    auto *tabs = new QTabWidget;
    tabs->setObjectName(QStringLiteral("jobsTabs"));
    tabs->addTab(m_runningView, tr("Running"));
    tabs->addTab(deadPage, tr("Dead letter"));

    auto *countsBox = new QGroupBox(tr("Jobs per queue"));
    auto *countsLayout = new QVBoxLayout(countsBox);
    countsLayout->addWidget(m_countsView);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(countsBox);
    layout->addWidget(tabs, 1);
    layout->addWidget(m_status);

    connect(m_deadView->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateButtons();
        showSelectedError();
    });
    connect(m_redrive, &QPushButton::clicked, this, [this] { redrive(selectedId(m_deadView)); });
    m_timer.setInterval(std::chrono::seconds(2));
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (isVisible())
            refresh();
    });
    m_timer.start();
    updateButtons();
}

void JobsPanel::setPollInterval(std::chrono::milliseconds interval)
{
    m_timer.setInterval(interval);
}

void JobsPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void JobsPanel::refresh()
{
    if (!m_worker || !m_context.jobQueue || m_inFlight)
        return;
    m_inFlight = true;
    m_worker->submit(
        this, [queue = m_context.jobQueue] { return loadJobs(*queue); },
        [this](const Snapshot &s) {
            m_inFlight = false;
            apply(s);
        });
}

void JobsPanel::apply(const Snapshot &s)
{
    if (!s.error.isEmpty()) {
        m_status->setText(tr("Could not load the jobs: %1").arg(s.error));
        Q_EMIT loaded();
        return;
    }
    const QString runningId = selectedId(m_runningView);
    const QString deadId = selectedId(m_deadView);
    m_counts->setCounts(s.counts);
    m_running->setJobs(s.running);
    m_dead->setJobs(s.dead);
    reselect(m_runningView, m_running, runningId);
    reselect(m_deadView, m_dead, deadId);
    if (!m_actionRunning)
        m_status->setText(tr("%n job(s) running, %1 in the dead letter.", nullptr, int(s.running.size())).arg(s.dead.size()));
    updateButtons();
    showSelectedError();
    Q_EMIT loaded();
}

void JobsPanel::updateButtons()
{
    m_redrive->setEnabled(m_context.isAdmin() && m_context.adminOps && !m_actionRunning && !selectedId(m_deadView).isEmpty());
}

void JobsPanel::showSelectedError()
{
    const QModelIndexList rows = m_deadView->selectionModel()->selectedRows();
    m_errorText->setPlainText(
        rows.isEmpty() ? QString() : m_dead->index(rows.first().row(), JobListModel::LastError).data(Qt::ToolTipRole).toString());
}

void JobsPanel::redrive(const QString &jobId)
{
    if (jobId.isEmpty() || !m_worker || m_actionRunning)
        return;
    if (!m_context.isAdmin() || !m_context.adminOps) {
        Q_EMIT actionFinished(tr("Only administrators can redrive jobs."));
        return;
    }
    m_actionRunning = true;
    updateButtons();
    m_status->setText(tr("Redriving job %1…").arg(jobId.left(8)));
    auto *ops = m_context.adminOps;
    const moderation::AdminCaller admin = m_context.admin;
    m_worker->submit(
        this,
        [ops, admin, jobId]() -> QString {
            auto r = ops->retryJob(admin, jobId); // audited in the same transaction
            return r ? QString() : r.error().message;
        },
        [this, jobId](const QString &error) {
            m_actionRunning = false;
            m_status->setText(error.isEmpty() ? tr("Job %1 is back in its queue.").arg(jobId.left(8))
                                              : tr("Could not redrive job %1: %2").arg(jobId.left(8), error));
            updateButtons();
            Q_EMIT actionFinished(error);
            m_inFlight = false; // a poll queued behind the action would show the old state: load again
            refresh();
        });
}

} // namespace bw::ui
