#include "ui/backups/restoredialog.h"

#include <QCheckBox>
#include <QDateTimeEdit>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace bw::ui {

RestoreDialog::RestoreDialog(const QString &description, const QString &databaseName, const QStringList &plannedSteps,
                             std::function<void()> releaseThreadConnection, RestoreWork work, QWidget *parent)
    : QDialog(parent), m_databaseName(databaseName), m_work(std::move(work)),
      m_runner(new OperationRunner(std::move(releaseThreadConnection), this)), m_pages(new QStackedWidget),
      m_confirm(new QLineEdit), m_keepPrevious(new QCheckBox(tr("&Keep the replaced database"))),
      m_restore(new QPushButton(tr("&Restore"))), m_step(new QLabel), m_bar(new QProgressBar), m_log(new QPlainTextEdit),
      m_cancel(new QPushButton(tr("&Cancel restore"))), m_result(new QLabel), m_close(new QPushButton(tr("Close")))
{
    setObjectName(QStringLiteral("restoreDialog"));
    setWindowTitle(tr("Restore a backup"));
    setModal(false);
    setAttribute(Qt::WA_DeleteOnClose, false);

    // Page 1: what happens, and the typed confirmation.
    auto *confirmPage = new QWidget;
    auto *what = new QLabel(description);
    what->setWordWrap(true);
    auto *warning = new QLabel(tr("This replaces the database <b>%1</b>. The API answers 503 to writes while it runs, a safety "
                                  "snapshot of the current state is taken first, and a failed restore leaves the current "
                                  "database as it is.")
                                   .arg(databaseName.toHtmlEscaped()));
    warning->setWordWrap(true);
    QStringList steps;
    for (int i = 0; i < plannedSteps.size(); ++i)
        steps << tr("%1. %2").arg(i + 1).arg(plannedSteps.at(i).section(u'|', -1));
    auto *plan = new QLabel(steps.join(u'\n'));
    m_confirm->setObjectName(QStringLiteral("restoreConfirmation"));
    m_confirm->setPlaceholderText(databaseName);
    m_keepPrevious->setObjectName(QStringLiteral("keepPrevious"));
    m_restore->setObjectName(QStringLiteral("startRestoreButton"));
    m_restore->setEnabled(false);
    auto *cancelConfirm = new QPushButton(tr("Cancel"));
    auto *confirmButtons = new QHBoxLayout;
    confirmButtons->addStretch(1);
    confirmButtons->addWidget(cancelConfirm);
    confirmButtons->addWidget(m_restore);
    m_form = new QFormLayout;
    m_form->addRow(tr("Type %1 to confirm:").arg(databaseName), m_confirm);
    m_form->addRow(QString(), m_keepPrevious);
    auto *confirmLayout = new QVBoxLayout(confirmPage);
    confirmLayout->addWidget(what);
    confirmLayout->addWidget(warning);
    confirmLayout->addWidget(plan);
    confirmLayout->addLayout(m_form);
    confirmLayout->addStretch(1);
    confirmLayout->addLayout(confirmButtons);

    // Page 2: progress, then the result.
    auto *progressPage = new QWidget;
    m_step->setObjectName(QStringLiteral("restoreStep"));
    m_bar->setObjectName(QStringLiteral("restoreProgress"));
    m_log->setObjectName(QStringLiteral("restoreLog"));
    m_log->setReadOnly(true);
    m_cancel->setObjectName(QStringLiteral("cancelRestoreButton"));
    m_result->setObjectName(QStringLiteral("restoreResult"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_close->setEnabled(false);
    auto *progressButtons = new QHBoxLayout;
    progressButtons->addStretch(1);
    progressButtons->addWidget(m_cancel);
    progressButtons->addWidget(m_close);
    auto *progressLayout = new QVBoxLayout(progressPage);
    progressLayout->addWidget(m_step);
    progressLayout->addWidget(m_bar);
    progressLayout->addWidget(m_log, 1);
    progressLayout->addWidget(m_result);
    progressLayout->addLayout(progressButtons);

    m_pages->addWidget(confirmPage);
    m_pages->addWidget(progressPage);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_pages);
    resize(560, 420);

    connect(m_confirm, &QLineEdit::textChanged, this, [this] { m_restore->setEnabled(confirmationAccepted() && !m_started); });
    connect(m_restore, &QPushButton::clicked, this, &RestoreDialog::startRestore);
    connect(cancelConfirm, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_cancel, &QPushButton::clicked, this, &RestoreDialog::cancelRestore);
    connect(m_close, &QPushButton::clicked, this, &QDialog::accept);
    connect(m_runner, &OperationRunner::progressChanged, this, &RestoreDialog::showProgress);
    connect(m_runner, &OperationRunner::finished, this, &RestoreDialog::showOutcome);
}

void RestoreDialog::setTimeWindow(const QDateTime &from, const QDateTime &to)
{
    if (!m_time) {
        m_time = new QDateTimeEdit;
        m_time->setObjectName(QStringLiteral("restoreTargetTime"));
        m_time->setTimeSpec(Qt::UTC);
        m_time->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'"));
        m_time->setCalendarPopup(true);
        m_form->insertRow(0, tr("Restore to the state &at:"), m_time);
        setWindowTitle(tr("Restore to a point in time"));
    }
    m_time->setDateTimeRange(from.toUTC(), to.toUTC());
    m_time->setDateTime(to.toUTC());
    m_time->setToolTip(
        tr("Recoverable from %1 to %2 (UTC)").arg(from.toUTC().toString(Qt::ISODate), to.toUTC().toString(Qt::ISODate)));
}

bool RestoreDialog::confirmationAccepted() const
{
    return !m_databaseName.isEmpty() && m_confirm->text() == m_databaseName;
}

bool RestoreDialog::isRunning() const
{
    return m_runner->isRunning();
}

bool RestoreDialog::startRestore()
{
    if (m_started || !confirmationAccepted() || !m_work)
        return false;
    m_started = true;
    m_restore->setEnabled(false);
    m_pages->setCurrentIndex(1);
    const QString typed = m_confirm->text();
    const bool keep = m_keepPrevious->isChecked();
    const QDateTime target = m_time ? m_time->dateTime().toUTC() : QDateTime();
    auto work = m_work;
    m_runner->start(QStringLiteral("restore"), {},
                    [work, typed, keep, target](const ops::OperationPtr &op) { return work(typed, keep, target, op); });
    return true;
}

void RestoreDialog::cancelRestore()
{
    m_runner->cancel();
    m_cancel->setEnabled(false);
    m_step->setText(tr("Cancelling at the next safe point…"));
}

void RestoreDialog::reject()
{
    if (m_runner->isRunning()) {
        if (m_runner->progress().cancellable)
            cancelRestore();
        return; // stays open until the restore has stopped: its outcome must be seen
    }
    QDialog::reject();
}

void RestoreDialog::showProgress(const ops::Progress &p)
{
    if (p.stepIndex > 0)
        m_step->setText(tr("Step %1 of %2: %3").arg(p.stepIndex).arg(p.stepCount).arg(p.stepLabel));
    if (p.fraction >= 0) {
        m_bar->setRange(0, 1000);
        m_bar->setValue(int(p.fraction * 1000));
    } else if (!p.finished) {
        m_bar->setRange(0, 0); // busy
    }
    m_cancel->setEnabled(m_runner->isRunning() && p.cancellable && !p.cancelRequested);
    if (!p.cancellable && !p.finished)
        m_cancel->setToolTip(tr("Past the point of no return: the restore finishes."));
    const QStringList lines = m_runner->log();
    if (lines.size() != m_log->blockCount() || m_log->toPlainText().isEmpty())
        m_log->setPlainText(lines.join(u'\n'));
}

void RestoreDialog::showOutcome(const OperationRunner::Outcome &o)
{
    m_bar->setRange(0, 1000);
    m_bar->setValue(o.error.isEmpty() ? 1000 : m_bar->value());
    m_cancel->setEnabled(false);
    m_close->setEnabled(true);
    if (o.cancelled)
        m_result->setText(tr("The restore was cancelled. The current database was not changed."));
    else if (o.error.isEmpty())
        m_result->setText(tr("Restore complete. %1").arg(o.summary));
    else
        m_result->setText(tr("The restore failed: %1\nThe previous database is intact.").arg(o.error));
    m_log->setPlainText(m_runner->log().join(u'\n'));
    Q_EMIT restoreFinished(o);
}

} // namespace bw::ui
