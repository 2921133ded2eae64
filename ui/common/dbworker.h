#pragma once
// Runs database closures on ONE dedicated thread (with that thread's own connection) and hands
// the results back as values on the GUI thread. The DbWorker object lives on the GUI thread;
// its executor lives on the worker thread. Results for a context object that is gone are dropped.

#include <QObject>
#include <QPointer>
#include <QSqlDatabase>

#include <atomic>
#include <functional>
#include <type_traits>
#include <utility>

namespace bw::db {
class Database;
}

namespace bw::ui {

class DbWorker final : public QObject {
    Q_OBJECT
public:
    // database must outlive this object; the worker thread starts immediately.
    explicit DbWorker(bw::db::Database *database, QObject *parent = nullptr);
    // Skips queued closures, lets the running one finish, releases the thread's connection and
    // joins the thread. Closures are short (counts, sizes), so the join is bounded by one query.
    ~DbWorker() override;

    // work(QSqlDatabase) runs on the worker thread and returns a value; done(value) runs on the
    // GUI thread, only if context still exists. Never blocks the caller.
    template <typename Work, typename Done>
    void submit(QObject *context, Work work, Done done)
    {
        using R = std::invoke_result_t<Work &, QSqlDatabase>;
        post([this, ctx = QPointer<QObject>(context), work = std::move(work),
              done = std::move(done)](QSqlDatabase connection) mutable {
            R result = work(connection);
            deliver([ctx, done, result = std::move(result)]() mutable {
                if (ctx)
                    done(std::move(result));
            });
        });
    }

    // Closures queued or running right now (GUI thread view; for "skip if busy" polling).
    int pending() const { return m_pending; }

private:
    void post(std::function<void(QSqlDatabase)> task);   // GUI → worker thread
    void deliver(std::function<void()> task);            // worker → GUI thread

    class Thread;
    bw::db::Database *m_database;
    Thread *m_thread;
    QObject *m_executor; // lives on m_thread; receives queued closures
    std::atomic_bool m_stopping{false};
    int m_pending = 0; // touched on the GUI thread only
};

} // namespace bw::ui
