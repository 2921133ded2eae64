#include "ui/common/operationrunner.h"

#include <QFuture>
#include <QMutex>
#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

namespace bw::ui {

// The worker thread's way back to the runner: a pointer that the runner clears under the mutex
// when it goes, so a listener call never posts to a deleted object.
struct OperationRunner::Relay {
    QMutex mutex;
    OperationRunner *runner = nullptr;

    void post(const ops::Progress &p)
    {
        QMutexLocker lock(&mutex);
        if (runner)
            QMetaObject::invokeMethod(
                runner, [r = runner, p] { Q_EMIT r->progressChanged(p); }, Qt::QueuedConnection);
    }
};

OperationRunner::OperationRunner(std::function<void()> releaseThreadConnection, QObject *parent)
    : QObject(parent), m_releaseThreadConnection(std::move(releaseThreadConnection)), m_relay(std::make_shared<Relay>())
{
    m_relay->runner = this;
}

OperationRunner::~OperationRunner()
{
    {
        QMutexLocker lock(&m_relay->mutex);
        m_relay->runner = nullptr;
    }
    if (m_op && m_running)
        m_op->cancel();
}

bool OperationRunner::start(const QString &name, const QStringList &steps, Work work)
{
    if (m_running)
        return false;
    m_running = true;
    auto relay = m_relay;
    m_op = ops::Operation::create(name, steps, [relay](const ops::Progress &p) { relay->post(p); });
    Q_EMIT progressChanged(m_op->progress());
    ops::OperationPtr op = m_op;
    QtConcurrent::run([release = m_releaseThreadConnection, op, work = std::move(work)]() -> Outcome {
        Outcome o = work(op);
        op->finish();
        if (release)
            release();
        return o;
    }).then(this, [this](Outcome outcome) {
        m_running = false;
        Q_EMIT progressChanged(m_op->progress());
        Q_EMIT finished(outcome);
    });
    return true;
}

void OperationRunner::cancel()
{
    if (m_op && m_running)
        m_op->cancel();
}

ops::Progress OperationRunner::progress() const
{
    return m_op ? m_op->progress() : ops::Progress{};
}

QStringList OperationRunner::log() const
{
    return m_op ? m_op->log() : QStringList{};
}

} // namespace bw::ui
