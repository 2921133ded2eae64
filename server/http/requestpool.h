#pragma once
// Bounded pool for handlers that touch the database: each thread keeps its own DB connection.
// When every thread is busy and the queue is full, trySubmit fails at once so the caller can shed
// load with a fast 503 instead of queueing without bound.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bw::http {

class RequestPool final {
public:
    // onThreadExit runs in each pool thread just before it ends (e.g. to close its DB connection).
    RequestPool(int threads, int queueLimit, std::function<void()> onThreadExit = {});
    ~RequestPool();

    bool trySubmit(std::function<void()> task);
    // Runs what is queued, then joins the threads. Idempotent.
    void stop();
    int queued() const;
    int busy() const;

private:
    void run();

    std::vector<std::thread> m_threads;
    std::deque<std::function<void()>> m_tasks;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::function<void()> m_onThreadExit;
    int m_queueLimit;
    int m_busy = 0;
    bool m_stopping = false;
};

} // namespace bw::http
