#include "ui/common/dbworker.h"

#include <QThread>

namespace bw::ui {

// The worker thread: runs its event loop, then gives its connection back before it ends
// (a database connection must be removed in the thread that created it).
class DbWorker::Thread final : public QThread {
public:
    explicit Thread(std::function<void()> finished) : m_finished(std::move(finished)) {}

protected:
    void run() override
    {
        exec();
        if (m_finished)
            m_finished();
    }

private:
    std::function<void()> m_finished;
};

DbWorker::DbWorker(std::function<void()> threadFinished, QObject *parent)
    : QObject(parent), m_thread(new Thread(std::move(threadFinished))), m_executor(new QObject)
{
    m_thread->setObjectName(QStringLiteral("bw-ui-db"));
    m_executor->moveToThread(m_thread);
    m_thread->start();
}

DbWorker::~DbWorker()
{
    m_stopping.store(true);
    m_thread->quit();
    m_thread->wait();
    delete m_executor; // its thread has ended: queued closures are destroyed without running
    delete m_thread;
}

void DbWorker::post(std::function<void()> task)
{
    ++m_pending;
    QMetaObject::invokeMethod(
        m_executor,
        [this, task = std::move(task)] {
            if (m_stopping.load())
                return;
            task();
        },
        Qt::QueuedConnection);
}

void DbWorker::deliver(std::function<void()> task)
{
    // `this` outlives every delivery: the destructor joins the worker thread before QObject
    // teardown, and QObject teardown discards deliveries still queued for us.
    QMetaObject::invokeMethod(
        this,
        [this, task = std::move(task)] {
            --m_pending;
            task();
        },
        Qt::QueuedConnection);
}

} // namespace bw::ui
