#include "server/ops/operation.h"

#include <QJsonObject>
#include <QLoggingCategory>

namespace bw::ops {

namespace {
Q_LOGGING_CATEGORY(lcOps, "bw.ops", QtInfoMsg)
}

std::shared_ptr<Operation> Operation::create(const QString &name, const QStringList &stepLabels, Listener listener)
{
    return std::shared_ptr<Operation>(new Operation(name, stepLabels, std::move(listener)));
}

Operation::Operation(const QString &name, const QStringList &plan, Listener listener) : m_listener(std::move(listener))
{
    m_progress.operation = name;
    for (const QString &entry : plan) {
        const qsizetype bar = entry.indexOf(u'|');
        m_ids << (bar > 0 ? entry.left(bar) : entry);
        m_labels << (bar > 0 ? entry.mid(bar + 1) : entry);
    }
    m_progress.stepCount = int(m_ids.size());
    m_timer.start();
}

void Operation::cancel()
{
    if (m_cancel.exchange(true))
        return; // already asked (a listener may call cancel() from its own notification)
    {
        QMutexLocker lock(&m_mutex);
        m_progress.cancelRequested = true;
    }
    notify(true);
}

Progress Operation::progress() const
{
    QMutexLocker lock(&m_mutex);
    Progress p = m_progress;
    p.elapsedMs = m_timer.elapsed();
    return p;
}

QStringList Operation::log() const
{
    QMutexLocker lock(&m_mutex);
    return m_log;
}

QStringList Operation::plannedSteps() const
{
    QMutexLocker lock(&m_mutex);
    return m_labels;
}

void Operation::setPlanIfEmpty(const QStringList &plan)
{
    QMutexLocker lock(&m_mutex);
    if (!m_ids.isEmpty())
        return;
    for (const QString &entry : plan) {
        const qsizetype bar = entry.indexOf(u'|');
        m_ids << (bar > 0 ? entry.left(bar) : entry);
        m_labels << (bar > 0 ? entry.mid(bar + 1) : entry);
    }
    m_progress.stepCount = int(m_ids.size());
}

void Operation::beginStep(const QString &id)
{
    {
        QMutexLocker lock(&m_mutex);
        qsizetype index = m_ids.indexOf(id);
        if (index < 0) {
            m_ids << id;
            m_labels << id;
            index = m_ids.size() - 1;
            m_progress.stepCount = int(m_ids.size());
        }
        m_progress.step = id;
        m_progress.stepLabel = m_labels.at(index);
        m_progress.stepIndex = int(index) + 1;
        m_progress.fraction = -1;
        m_progress.message.clear();
        m_log << QStringLiteral("+%1s %2").arg(m_timer.elapsed() / 1000.0, 0, 'f', 1).arg(m_progress.stepLabel);
    }
    qCInfo(lcOps).noquote() << m_progress.operation << "step" << id;
    notify(true);
}

void Operation::setFraction(double fraction)
{
    {
        QMutexLocker lock(&m_mutex);
        m_progress.fraction = qBound(0.0, fraction, 1.0);
    }
    notify(fraction >= 1.0); // the throttle must never swallow "done"
}

void Operation::message(const QString &text)
{
    {
        QMutexLocker lock(&m_mutex);
        m_progress.message = text;
        m_log << QStringLiteral("+%1s %2: %3").arg(m_timer.elapsed() / 1000.0, 0, 'f', 1).arg(m_progress.step, text);
    }
    qCInfo(lcOps).noquote() << m_progress.operation << m_progress.step << text;
    notify(true);
}

void Operation::setCancellable(bool cancellable)
{
    {
        QMutexLocker lock(&m_mutex);
        m_progress.cancellable = cancellable;
    }
    notify(true);
}

Status Operation::checkpoint() const
{
    QMutexLocker lock(&m_mutex);
    if (m_cancel && m_progress.cancellable)
        return cancelledError();
    return success();
}

void Operation::finish()
{
    {
        QMutexLocker lock(&m_mutex);
        m_progress.finished = true;
        m_progress.cancellable = false;
    }
    notify(true);
}

qint64 Operation::elapsedMs() const
{
    return m_timer.elapsed();
}

bool Operation::isCancelled(const ApiError &error)
{
    return error.details.value(QStringLiteral("cancelled")).toBool();
}

ApiError Operation::cancelledError()
{
    return ApiError::make(ErrorKind::Conflict, QStringLiteral("cancelled"), QJsonObject{{QStringLiteral("cancelled"), true}});
}

void Operation::notify(bool force)
{
    if (!m_listener)
        return;
    Progress snapshot;
    {
        QMutexLocker lock(&m_mutex);
        const qint64 now = m_timer.elapsed();
        if (!force && now - m_lastNotifyMs < 100)
            return;
        m_lastNotifyMs = now;
        snapshot = m_progress;
        snapshot.elapsedMs = now;
    }
    m_listener(snapshot);
}

} // namespace bw::ops
