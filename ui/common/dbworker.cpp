#include "ui/common/dbworker.h"

#include "server/db/database.h"

#include <QThread>

namespace bw::ui {

// The worker thread: runs its event loop, then gives its connection back before it ends
// (a QSqlDatabase must be removed in the thread that created it).
class DbWorker::Thread final : public QThread {
public:
    explicit Thread(bw::db::Database *database) : m_database(database) {}

protected:
    void run() override
    {
        exec();
        m_database->releaseThisThread();
    }

private:
    bw::db::Database *m_database;
};

DbWorker::DbWorker(bw::db::Database *database, QObject *parent)
    : QObject(parent), m_database(database), m_thread(new Thread(database)), m_executor(new QObject)
{
    Q_ASSERT(database);
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

void DbWorker::post(std::function<void(QSqlDatabase)> task)
{
    ++m_pending;
    QMetaObject::invokeMethod(
        m_executor,
        [this, task = std::move(task)] {
            if (m_stopping.load())
                return;
            task(m_database->connection());
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
