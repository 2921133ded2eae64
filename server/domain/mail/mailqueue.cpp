#include "server/domain/mail/mailqueue.h"

#include "server/core/threadrole.h"
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcMailQueue, "bw.mail")

namespace bw::domain {

MailQueue::MailQueue(std::unique_ptr<Mailer> mailer, ResultHandler onResult, std::function<void()> onThreadExit, int capacity)
    : m_mailer(std::move(mailer)), m_onResult(std::move(onResult)), m_onThreadExit(std::move(onThreadExit)), m_capacity(capacity)
{
    m_thread = std::thread([this] {
        setCurrentThreadName("bw-mail");
        run();
    });
}

MailQueue::~MailQueue()
{
    stop();
}

bool MailQueue::enqueue(MailMessage message, QString tag)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping || int(m_items.size()) >= m_capacity)
            return false;
        m_items.push_back(Item{std::move(message), std::move(tag)});
    }
    m_wake.notify_one();
    return true;
}

void MailQueue::stop()
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping && !m_thread.joinable())
            return;
        m_stopping = true;
    }
    m_cancel = true;
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

QString MailQueue::description() const
{
    return m_mailer->description();
}

int MailQueue::pending() const
{
    std::lock_guard lock(m_mutex);
    return int(m_items.size());
}

void MailQueue::run()
{
    for (;;) {
        Item item;
        bool stopping = false;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_items.empty(); });
            if (m_items.empty())
                break;
            item = std::move(m_items.front());
            m_items.pop_front();
            stopping = m_stopping;
        }
        const Status result = stopping ? Status(ApiError::unavailable(QStringLiteral("not sent: the server was shutting down")))
                                       : m_mailer->send(item.message, m_cancel);
        if (!result)
            qCWarning(lcMailQueue).noquote() << "mail to" << item.message.to << "failed:" << result.error().message;
        if (m_onResult)
            m_onResult(item.tag, result);
    }
    if (m_onThreadExit)
        m_onThreadExit();
}

} // namespace bw::domain
