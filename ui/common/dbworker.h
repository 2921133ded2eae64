#pragma once
// Runs service calls (which do SQL on the calling thread's connection) on ONE dedicated thread and
// hands the results back as values on the GUI thread. The DbWorker object lives on the GUI thread;
// its executor lives on the worker thread. Results for a context object that is gone are dropped.

#include <QObject>
#include <QPointer>

#include <atomic>
#include <functional>
#include <type_traits>
#include <utility>

namespace bw::ui {

class DbWorker final : public QObject {
    Q_OBJECT
public:
    // threadFinished runs on the worker thread as it ends: it releases that thread's database
    // connection (ConsoleContext::releaseThreadConnection). The worker thread starts immediately.
    explicit DbWorker(std::function<void()> threadFinished, QObject *parent = nullptr);
    // Skips queued closures, lets the running one finish, releases the thread's connection and
    // joins the thread. Closures are short (counts, sizes), so the join is bounded by one query.
    ~DbWorker() override;

    // work() runs on the worker thread (it calls services) and returns a value; done(value) runs
    // on the GUI thread, only if context still exists. Never blocks the caller.
    template <typename Work, typename Done>
    void submit(QObject *context, Work work, Done done)
    {
        using R = std::invoke_result_t<Work &>;
        post([this, ctx = QPointer<QObject>(context), work = std::move(work), done = std::move(done)]() mutable {
            R result = work();
            deliver([ctx, done, result = std::move(result)]() mutable {
                if (ctx)
                    done(std::move(result));
            });
        });
    }

    // Closures queued or running right now (GUI thread view; for "skip if busy" polling).
    int pending() const { return m_pending; }

private:
    void post(std::function<void()> task);    // GUI → worker thread
    void deliver(std::function<void()> task); // worker → GUI thread

    class Thread;
    Thread *m_thread;
    QObject *m_executor; // lives on m_thread; receives queued closures
    std::atomic_bool m_stopping{false};
    int m_pending = 0; // touched on the GUI thread only
};

} // namespace bw::ui
