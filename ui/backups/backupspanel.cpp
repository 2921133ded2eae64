#include "ui/backups/backupspanel.h"

#include "server/core/config.h"
#include "server/ops/offsiterecovery.h"
#include "server/ops/opsjobs.h"
#include "server/ops/opsservices.h"
#include "server/ops/s3client.h"
#include "ui/backups/backupmodel.h"
#include "ui/backups/restoredialog.h"
#include "ui/common/dbworker.h"
#include "ui/settings/settingsform.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QJsonObject>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <utility>

namespace bw::ui {

namespace {

struct Catalogue {
    QString error;
    QList<ops::BackupRecord> records;
    QJsonObject window; // the WAL archive's recoverable window (ArchiveKeeper::report), {} when unknown
};

using Outcome = OperationRunner::Outcome;

Outcome failure(const ApiError &e)
{
    return Outcome{e.message, {}, ops::Operation::isCancelled(e)};
}

} // namespace

BackupsPanel::BackupsPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context), m_worker(context.worker), m_model(new BackupModel(this)),
      m_proxy(new QSortFilterProxyModel(this)), m_table(new QTableView),
      m_runner(new OperationRunner(context.releaseThreadConnection, this)), m_info(new QLabel), m_step(new QLabel),
      m_bar(new QProgressBar), m_cancel(new QPushButton(tr("Cancel"))), m_create(new QPushButton(tr("&Create backup now"))),
      m_verify(new QPushButton(tr("&Verify"))), m_drill(new QPushButton(tr("Restore &drill"))),
      m_offsite(new QPushButton(tr("Copy &off-site"))), m_restore(new QPushButton(tr("&Restore…"))),
      m_pitr(new QPushButton(tr("Restore to a point in &time…"))), m_offsiteList(new QPushButton(tr("Off-&site backups…"))),
      m_status(new QLabel)
{
    setObjectName(QStringLiteral("backupsPanel"));
    if (context.config && context.makeOpsServices)
        m_services = context.makeOpsServices();

    auto *title = new QLabel(tr("Backups"));
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_info->setObjectName(QStringLiteral("backupsInfo"));
    m_info->setWordWrap(true);
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    if (m_services) {
        const Config &c = *context.config;
        m_infoText =
            tr("Folder: %1 · Database: %2 · Point-in-time recovery: %3 · Off-site: %4")
                .arg(m_services->backups->backupDir(), m_services->databaseName,
                     m_services->pointInTimeRecovery ? tr("WAL archive (RPO ≤ %1 s)").arg(c.ops.archiveTimeoutSeconds)
                     : c.embeddedDatabase()          ? tr("off")
                                                     : tr("the provider's job (external database)"),
                     c.ops.s3Endpoint.isEmpty() ? tr("not configured") : tr("%1/%2").arg(c.ops.s3Endpoint, c.ops.s3Bucket));
        m_info->setText(m_infoText);
    }

    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(BackupModel::SortRole);
    m_table->setObjectName(QStringLiteral("backupsTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(BackupModel::Age, Qt::DescendingOrder);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);

    m_create->setObjectName(QStringLiteral("createBackupButton"));
    m_verify->setObjectName(QStringLiteral("verifyBackupButton"));
    m_drill->setObjectName(QStringLiteral("drillBackupButton"));
    m_offsite->setObjectName(QStringLiteral("offsiteBackupButton"));
    m_restore->setObjectName(QStringLiteral("restoreBackupButton"));
    m_pitr->setObjectName(QStringLiteral("pointInTimeRestoreButton"));
    m_offsiteList->setObjectName(QStringLiteral("offsiteListButton"));
    m_offsiteList->setToolTip(tr("The backups in the off-site store: restore or drill one even when no local copy exists"));
    m_cancel->setObjectName(QStringLiteral("cancelOperationButton"));
    m_verify->setToolTip(tr("Checksum and pg_restore --list of the selected backup"));
    m_drill->setToolTip(tr("Restore the selected backup into a scratch database and compare row counts"));
    auto *buttons = new QHBoxLayout;
    for (QPushButton *b : {m_create, m_verify, m_drill, m_offsite, m_restore, m_pitr, m_offsiteList})
        buttons->addWidget(b);
    buttons->addStretch(1);

    m_step->setObjectName(QStringLiteral("backupStep"));
    m_bar->setObjectName(QStringLiteral("backupProgress"));
    auto *progressRow = new QHBoxLayout;
    progressRow->addWidget(m_step, 1);
    progressRow->addWidget(m_bar, 1);
    progressRow->addWidget(m_cancel);
    m_step->hide();
    m_bar->hide();
    m_cancel->hide();

    m_status->setObjectName(QStringLiteral("backupsStatus"));
    m_status->setWordWrap(true);
    // Settings: the schedules (fixed by the job system, shown) and folder/retention/S3 (edited).
    m_settings = new SettingsForm(context, {QStringLiteral("backups"), QStringLiteral("s3")});
    m_settings->setObjectName(QStringLiteral("backupSettings"));
    auto *schedules = new QLabel;
    schedules->setObjectName(QStringLiteral("backupSchedules"));
    schedules->setWordWrap(true);
    if (context.config) {
        QStringList lines;
        for (const ops::OpsSchedule &sc : ops::OpsJobs::schedules(*context.config))
            lines << tr("%1: cron \"%2\" (UTC)").arg(sc.name, sc.cron);
        schedules->setText(tr("Schedules (run by the job queue's leader node):\n%1").arg(lines.join(u'\n')));
    }
    auto *settingsPage = new QWidget;
    auto *settingsLayout = new QVBoxLayout(settingsPage);
    settingsLayout->addWidget(schedules);
    settingsLayout->addWidget(m_settings);
    auto *settingsScroll = new QScrollArea;
    settingsScroll->setWidgetResizable(true);
    settingsScroll->setWidget(settingsPage);
    auto *cataloguePage = new QWidget;
    auto *catalogueLayout = new QVBoxLayout(cataloguePage);
    catalogueLayout->addLayout(buttons);
    catalogueLayout->addWidget(m_table, 1);
    catalogueLayout->addLayout(progressRow);
    auto *tabs = new QTabWidget;
    tabs->addTab(cataloguePage, tr("Catalogue"));
    tabs->addTab(settingsScroll, tr("Settings"));
    connect(tabs, &QTabWidget::currentChanged, this, [this](int index) {
        if (index == 1)
            m_settings->load();
    });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(m_info);
    layout->addWidget(tabs, 1);
    layout->addWidget(m_status);

    connect(m_create, &QPushButton::clicked, this, &BackupsPanel::createBackup);
    connect(m_verify, &QPushButton::clicked, this, &BackupsPanel::verifySelected);
    connect(m_drill, &QPushButton::clicked, this, &BackupsPanel::drillSelected);
    connect(m_offsite, &QPushButton::clicked, this, &BackupsPanel::copySelectedOffsite);
    connect(m_restore, &QPushButton::clicked, this, &BackupsPanel::openRestoreDialog);
    connect(m_pitr, &QPushButton::clicked, this, &BackupsPanel::openPointInTimeDialog);
    connect(m_offsiteList, &QPushButton::clicked, this, &BackupsPanel::openOffsiteDialog);
    connect(m_cancel, &QPushButton::clicked, m_runner, &OperationRunner::cancel);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &BackupsPanel::updateButtons);
    connect(m_runner, &OperationRunner::progressChanged, this, &BackupsPanel::showProgress);
    connect(m_runner, &OperationRunner::finished, this, [this](const Outcome &o) {
        m_status->setText(o.cancelled ? tr("Cancelled.") : o.error.isEmpty() ? o.summary : tr("Failed: %1").arg(o.error));
        m_step->hide();
        m_bar->hide();
        m_cancel->hide();
        updateButtons();
        refresh();
        Q_EMIT operationFinished(o);
    });
    // Scheduled backups and drills also change the catalogue: poll while visible.
    m_poll.setInterval(std::chrono::seconds(10));
    connect(&m_poll, &QTimer::timeout, this, [this] {
        if (isVisible())
            refresh();
    });
    m_poll.start();
    updateButtons();
}

BackupsPanel::~BackupsPanel() = default;

void BackupsPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

QString BackupsPanel::requester() const
{
    return QStringLiteral("desktop:%1")
        .arg(m_context.admin.email.isEmpty() ? m_context.admin.moderatorId : m_context.admin.email);
}

void BackupsPanel::refresh()
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
            Catalogue c;
            auto list = services->backups->list(200);
            if (list)
                c.records = *list;
            else
                c.error = list.error().message;
            if (services->pointInTimeRecovery && services->archiveReport)
                if (auto report = services->archiveReport())
                    c.window = report->value(QStringLiteral("window")).toObject();
            return c;
        },
        [this](const Catalogue &c) {
            m_loading = false;
            if (std::exchange(m_reloadPending, false))
                QTimer::singleShot(0, this, &BackupsPanel::refresh);
            if (!c.error.isEmpty()) {
                m_status->setText(tr("Could not read the backup catalogue: %1").arg(c.error));
            } else {
                const QString keep = selectedBackupId();
                m_model->setBackups(c.records);
                if (!keep.isEmpty())
                    selectBackup(keep);
            }
            const bool available = c.window.value(QStringLiteral("available")).toBool();
            m_windowText = c.window.value(QStringLiteral("text")).toString();
            m_windowFrom =
                available ? QDateTime::fromString(c.window.value(QStringLiteral("from")).toString(), Qt::ISODate) : QDateTime();
            m_windowTo =
                available ? QDateTime::fromString(c.window.value(QStringLiteral("to")).toString(), Qt::ISODate) : QDateTime();
            m_info->setText(m_windowText.isEmpty() ? m_infoText : m_infoText + u'\n' + m_windowText);
            updateButtons();
            Q_EMIT loaded();
        });
}

bool BackupsPanel::selectBackup(const QString &id)
{
    const int row = m_model->rowOf(id);
    if (row < 0)
        return false;
    m_table->selectionModel()->select(m_proxy->mapFromSource(m_model->index(row, 0)),
                                      QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    return true;
}

QString BackupsPanel::selectedBackupId() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(BackupModel::BackupIdRole).toString();
}

void BackupsPanel::updateButtons()
{
    const bool admin = m_context.isAdmin() && m_services;
    const bool idle = !m_runner->isRunning() && !(m_restoreDialog && m_restoreDialog->isRunning());
    const int row = m_model->rowOf(selectedBackupId());
    const ops::BackupRecord *b = m_model->backup(row);
    const bool usable = b && b->usable();
    m_create->setEnabled(admin && idle);
    m_verify->setEnabled(admin && idle && usable);
    m_drill->setEnabled(admin && idle && usable);
    m_offsite->setEnabled(admin && idle && usable && m_context.config && !m_context.config->ops.s3Endpoint.isEmpty()
                          && m_context.secrets);
    m_restore->setEnabled(admin && idle && usable);
    m_pitr->setEnabled(admin && idle && m_windowFrom.isValid());
    m_pitr->setVisible(m_services && m_services->pointInTimeRecovery);
    m_pitr->setToolTip(m_windowText);
    m_offsiteList->setEnabled(admin && offsiteConfigured());
    if (m_offsiteDialog)
        m_offsiteDialog->setActionsEnabled(admin && idle);
    if (!m_context.isAdmin())
        for (QPushButton *w : {m_create, m_verify, m_drill, m_offsite, m_restore, m_pitr, m_offsiteList})
            w->setToolTip(tr("Only administrators can run backup operations"));
}

void BackupsPanel::showProgress(const ops::Progress &p)
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
}

bool BackupsPanel::createBackup()
{
    if (!m_context.isAdmin() || !m_services || m_runner->isRunning())
        return false;
    std::shared_ptr<ops::OpsServices> services = m_services;
    const QString by = requester();
    m_status->setText(tr("Creating a backup…"));
    updateButtons();
    const bool started = m_runner->start(QStringLiteral("backup"), {}, [services, by](const ops::OperationPtr &op) {
        auto r = services->backups->create(ops::BackupKind::Manual, op, ops::CreateOptions{.requestedBy = by});
        if (!r)
            return failure(r.error());
        return Outcome{{},
                       BackupsPanel::tr("Backup %1 completed: %2 in %3 s.")
                           .arg(r->id.left(8), QLocale().formattedDataSize(r->sizeBytes))
                           .arg(r->durationMs / 1000.0, 0, 'f', 1)};
    });
    updateButtons();
    return started;
}

bool BackupsPanel::runOnSelected(const QString &name,
                                 std::function<Outcome(ops::OpsServices &, const QString &, const ops::OperationPtr &)> work)
{
    const QString id = selectedBackupId();
    if (!m_context.isAdmin() || !m_services || m_runner->isRunning() || id.isEmpty())
        return false;
    std::shared_ptr<ops::OpsServices> services = m_services;
    const bool started =
        m_runner->start(name, {}, [services, id, work](const ops::OperationPtr &op) { return work(*services, id, op); });
    updateButtons();
    return started;
}

bool BackupsPanel::verifySelected()
{
    m_status->setText(tr("Verifying…"));
    return runOnSelected(QStringLiteral("verify"), [](ops::OpsServices &s, const QString &id, const ops::OperationPtr &op) {
        auto v = s.backups->verify(id, op);
        if (!v)
            return failure(v.error());
        if (!v->ok)
            return Outcome{BackupsPanel::tr("backup %1 is damaged: %2").arg(id.left(8), v->detail)};
        return Outcome{{}, BackupsPanel::tr("Backup %1 verified: %2.").arg(id.left(8), v->detail)};
    });
}

bool BackupsPanel::drillSelected()
{
    m_status->setText(tr("Running a restore drill…"));
    return runOnSelected(QStringLiteral("drill"), [](ops::OpsServices &s, const QString &id, const ops::OperationPtr &op) {
        auto d = s.backups->drill(id, op);
        if (!d)
            return failure(d.error());
        const QString text = BackupsPanel::tr("Restore drill of %1: restore took %2 s (RTO %3 min, %4), %5 tables compared.")
                                 .arg(id.left(8))
                                 .arg(d->restoreMs / 1000.0, 0, 'f', 1)
                                 .arg(d->rtoMs / 60000)
                                 .arg(d->withinRto ? BackupsPanel::tr("within") : BackupsPanel::tr("EXCEEDED"))
                                 .arg(d->tablesCompared);
        if (!d->ok)
            return Outcome{text + u' ' + d->mismatches.join(QStringLiteral("; "))};
        return Outcome{{}, text};
    });
}

bool BackupsPanel::copySelectedOffsite()
{
    if (!m_context.config || !m_context.secrets)
        return false;
    const OpsConfig opsConfig = m_context.config->ops;
    SecretStore *secrets = m_context.secrets;
    m_status->setText(tr("Copying off-site…"));
    return runOnSelected(QStringLiteral("offsite"),
                         [opsConfig, secrets](ops::OpsServices &s, const QString &id, const ops::OperationPtr &op) {
                             auto config = ops::s3ConfigFrom(opsConfig, *secrets);
                             if (!config)
                                 return failure(config.error());
                             ops::S3Client s3(*config);
                             auto url = s.backups->copyOffsite(id, s3, opsConfig.s3Prefix, op);
                             if (!url)
                                 return failure(url.error());
                             return Outcome{{}, BackupsPanel::tr("Backup %1 copied to %2 and verified.").arg(id.left(8), *url)};
                         });
}

RestoreDialog *BackupsPanel::openRestoreDialog()
{
    const ops::BackupRecord *b = m_model->backup(m_model->rowOf(selectedBackupId()));
    if (!b || !b->usable())
        return nullptr;
    const QString id = b->id;
    return openRestore(tr("Backup %1: %2, taken %3, %4.")
                           .arg(id.left(8), BackupModel::kindText(b->kind),
                                QLocale().toString(b->startedAt.toLocalTime(), QLocale::LongFormat),
                                QLocale().formattedDataSize(b->sizeBytes)),
                       [id](ops::RestoreRequest &request) { request.backupId = id; });
}

RestoreDialog *BackupsPanel::openPointInTimeDialog()
{
    if (!m_windowFrom.isValid())
        return nullptr;
    RestoreDialog *dialog =
        openRestore(tr("The database as it was at the chosen time, rebuilt from the WAL archive. %1").arg(m_windowText), {});
    if (dialog)
        dialog->setTimeWindow(m_windowFrom, m_windowTo);
    return dialog;
}

// target: fills in what to restore (a backup); without it the dialog's chosen time is the target.
RestoreDialog *BackupsPanel::openRestore(const QString &description, std::function<void(ops::RestoreRequest &)> target,
                                         RestoreRun run, const QStringList &steps)
{
    if (!m_context.isAdmin() || !m_services || m_runner->isRunning() || (m_restoreDialog && m_restoreDialog->isRunning()))
        return nullptr;
    if (m_restoreDialog)
        m_restoreDialog->deleteLater();
    std::shared_ptr<ops::OpsServices> services = m_services;
    const QString by = requester();
    auto work = [services, target, by, run](const QString &confirmation, bool keepPrevious, const QDateTime &time,
                                            const ops::OperationPtr &op) {
        ops::RestoreRequest request;
        if (target)
            target(request);
        else if (!run)
            request.targetTime = time;
        request.confirmation = confirmation;
        request.requestedBy = by;
        request.keepPrevious = keepPrevious;
        auto r = run ? run(request, op) : services->restore->restore(request, op);
        if (!r)
            return failure(r.error());
        return Outcome{{},
                       BackupsPanel::tr("Restore %1 took %2 s; safety snapshot %3.")
                           .arg(r->restoreId.left(8))
                           .arg(r->ms / 1000.0, 0, 'f', 1)
                           .arg(r->safetyBackupId.isEmpty() ? BackupsPanel::tr("none") : r->safetyBackupId.left(8))};
    };
    m_restoreDialog =
        new RestoreDialog(description, services->databaseName, steps.isEmpty() ? ops::RestoreService::plannedSteps() : steps,
                          m_context.releaseThreadConnection, work, this);
    m_restoreDialog->setWindowFlag(Qt::Window);
    connect(m_restoreDialog, &RestoreDialog::restoreFinished, this, [this](const Outcome &o) {
        m_status->setText(o.error.isEmpty() ? o.summary : tr("Restore failed: %1").arg(o.error));
        updateButtons();
        refresh();
    });
    connect(m_restoreDialog->runner(), &OperationRunner::progressChanged, this, &BackupsPanel::updateButtons);
    m_restoreDialog->show();
    return m_restoreDialog;
}

bool BackupsPanel::offsiteConfigured() const
{
    return m_services && m_context.config && m_context.secrets && !m_context.config->ops.s3Endpoint.isEmpty();
}

ops::OffsiteRecovery BackupsPanel::offsiteRecovery(ops::OpsServices &services) const
{
    return ops::OffsiteRecovery(*services.backups, m_context.config->ops, m_context.secrets,
                                ops::OffsiteRecovery::defaultWorkDir(m_context.config->dataDir));
}

OffsiteDialog *BackupsPanel::openOffsiteDialog()
{
    if (!m_context.isAdmin() || !offsiteConfigured())
        return nullptr;
    if (!m_offsiteDialog) {
        std::shared_ptr<ops::OpsServices> services = m_services;
        // Built here, used on a pool thread: only values and the long-lived services/secret store.
        auto recovery = std::make_shared<ops::OffsiteRecovery>(offsiteRecovery(*services));
        const OpsConfig &c = m_context.config->ops;
        m_offsiteDialog = new OffsiteDialog(
            tr("%1/%2 (prefix %3)").arg(c.s3Endpoint, c.s3Bucket, c.s3Prefix), [services, recovery] { return recovery->list(); },
            this);
        m_offsiteDialog->setWindowFlag(Qt::Window);
        connect(m_offsiteDialog, &OffsiteDialog::restoreRequested, this, &BackupsPanel::openOffsiteRestore);
        connect(m_offsiteDialog, &OffsiteDialog::drillRequested, this, &BackupsPanel::drillOffsite);
    }
    m_offsiteDialog->show();
    m_offsiteDialog->raise();
    m_offsiteDialog->reload();
    updateButtons();
    return m_offsiteDialog;
}

RestoreDialog *BackupsPanel::openOffsiteRestore(const ops::OffsiteBackup &backup)
{
    if (!offsiteConfigured())
        return nullptr;
    const QString key = backup.key;
    auto recovery = std::make_shared<ops::OffsiteRecovery>(offsiteRecovery(*m_services));
    std::shared_ptr<ops::OpsServices> services = m_services;
    RestoreRun run = [services, recovery, key](const ops::RestoreRequest &request, const ops::OperationPtr &op) {
        return recovery->restore(key, *services->restore, request, op);
    };
    return openRestore(tr("Off-site backup %1: %2, uploaded %3. It is downloaded into the data directory and its checksum "
                          "is checked before anything changes.")
                           .arg(backup.fileName(), QLocale().formattedDataSize(backup.sizeBytes),
                                QLocale().toString(backup.lastModified.toLocalTime(), QLocale::LongFormat)),
                       {}, run, ops::OffsiteRecovery::restoreSteps());
}

bool BackupsPanel::drillOffsite(const ops::OffsiteBackup &backup)
{
    if (!m_context.isAdmin() || !offsiteConfigured() || m_runner->isRunning()
        || (m_restoreDialog && m_restoreDialog->isRunning()))
        return false;
    const QString key = backup.key;
    auto recovery = std::make_shared<ops::OffsiteRecovery>(offsiteRecovery(*m_services));
    std::shared_ptr<ops::OpsServices> services = m_services;
    m_status->setText(tr("Running a restore drill of the off-site copy %1…").arg(backup.fileName()));
    const bool started = m_runner->start(
        QStringLiteral("drill"), ops::OffsiteRecovery::drillSteps(), [services, recovery, key](const ops::OperationPtr &op) {
            auto d = recovery->drill(key, op);
            if (!d)
                return failure(d.error());
            const QString text = BackupsPanel::tr("Off-site restore drill of %1: download %2 s, restore %3 s, "
                                                  "%4 tables compared.")
                                     .arg(key.section(u'/', -1))
                                     .arg(d->downloadMs / 1000.0, 0, 'f', 1)
                                     .arg(d->restoreMs / 1000.0, 0, 'f', 1)
                                     .arg(d->tablesCompared);
            if (!d->ok)
                return Outcome{text + u' ' + d->mismatches.join(QStringLiteral("; "))};
            return Outcome{{}, text};
        });
    updateButtons();
    return started;
}

} // namespace bw::ui
