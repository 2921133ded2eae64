#include "requestpool.h"

#include "server/core/threadrole.h"

namespace bw::http {

RequestPool::RequestPool(int threads, int queueLimit, std::function<void()> onThreadExit)
    : m_onThreadExit(std::move(onThreadExit)), m_queueLimit(queueLimit)
{
    for (int i = 0; i < threads; ++i) {
        m_threads.emplace_back([this] {
            setCurrentThreadName("bw-request");
            run();
        });
    }
}

RequestPool::~RequestPool()
{
    stop();
}

bool RequestPool::trySubmit(std::function<void()> task)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping || int(m_tasks.size()) >= m_queueLimit)
            return false;
        m_tasks.push_back(std::move(task));
    }
    m_wake.notify_one();
    return true;
}

void RequestPool::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    for (auto &t : m_threads)
        if (t.joinable())
            t.join();
    m_threads.clear();
}

int RequestPool::queued() const
{
    std::lock_guard lock(m_mutex);
    return int(m_tasks.size());
}

int RequestPool::busy() const
{
    std::lock_guard lock(m_mutex);
    return m_busy;
}

void RequestPool::run()
{
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_tasks.empty(); });
            if (m_tasks.empty())
                break; // stopping and drained
            task = std::move(m_tasks.front());
            m_tasks.pop_front();
            ++m_busy;
        }
        task();
        std::lock_guard lock(m_mutex);
        --m_busy;
    }
    if (m_onThreadExit)
        m_onThreadExit();
}

} // namespace bw::http
