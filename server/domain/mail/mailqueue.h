#pragma once
// Sends mail on one dedicated thread so that SMTP latency (seconds, with timeouts) never holds a
// request-pool thread: callers enqueue and return at once; each outcome is reported through
// onResult on the mail thread (which may use its own database connection; onThreadExit releases
// it). The queue is bounded and in memory: messages still queued when the process stops are
// reported as failed, and an agent can ask for a new code. (A durable queue can replace this once
// the jobs queue exists; the Mailer interface stays.)

#include "server/domain/mail/mailer.h"

#include <QString>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace bw::domain {

class MailQueue final {
public:
    using ResultHandler = std::function<void(const QString &tag, const Status &result)>;

    MailQueue(std::unique_ptr<Mailer> mailer, ResultHandler onResult, std::function<void()> onThreadExit = {},
              int capacity = 1000);
    ~MailQueue(); // stop()

    // Any thread. False when the queue is full or stopped (nothing is reported for it then).
    bool enqueue(MailMessage message, QString tag);
    // Cancels the message in flight, reports the rest as failed and joins the thread (fast).
    void stop();
    QString description() const;
    int pending() const;

private:
    struct Item {
        MailMessage message;
        QString tag;
    };
    void run();

    std::unique_ptr<Mailer> m_mailer;
    ResultHandler m_onResult;
    std::function<void()> m_onThreadExit;
    const int m_capacity;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Item> m_items;
    std::atomic_bool m_cancel{false};
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace bw::domain
