#include "server/monitoring/alertnotifier.h"

#include "server/core/threadrole.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/domain/mail/mailer.h"
#include "server/guardrails/httpsclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcNotify, "bw.ops.alerts.notify")

namespace bw::monitoring {

AlertNotifier::AlertNotifier(db::Database *database, Options options, std::unique_ptr<domain::Mailer> mailer)
    : m_database(database), m_options(std::move(options)), m_mailer(std::move(mailer))
{
    m_thread = std::thread([this] {
        setCurrentThreadName("bw-alert-notify");
        run();
    });
}

AlertNotifier::~AlertNotifier()
{
    stop();
}

bool AlertNotifier::enabled() const
{
    return !m_options.webhookUrl.isEmpty() || (m_mailer && !m_options.emailTo.isEmpty());
}

void AlertNotifier::notify(const AlertTransition &transition)
{
    if (!enabled())
        return;
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping)
            return;
        if (int(m_queue.size()) >= m_options.capacity) {
            qCWarning(lcNotify) << "alert notification queue full: dropping the oldest";
            m_queue.pop_front();
        }
        m_queue.push_back(transition);
    }
    m_wake.notify_one();
}

void AlertNotifier::stop()
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping && !m_thread.joinable())
            return;
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void AlertNotifier::run()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
        if (m_queue.empty())
            break; // stopping and drained
        const AlertTransition next = m_queue.front();
        m_queue.pop_front();
        lock.unlock();
        deliver(next);
        lock.lock();
    }
    lock.unlock();
    if (m_database)
        m_database->releaseThisThread();
}

QString AlertNotifier::messageText(const AlertTransition &t, const QString &instanceName)
{
    const bool firing = t.kind == AlertTransition::Firing;
    return QStringLiteral("[%1] %2 %3 — %4 (value %5, threshold %6) on %7")
        .arg(firing ? QStringLiteral("FIRING") : QStringLiteral("RESOLVED"), t.event.severity, t.event.rule, t.event.summary)
        .arg(t.event.value, 0, 'g', 4)
        .arg(t.event.threshold, 0, 'g', 4)
        .arg(instanceName);
}

QByteArray AlertNotifier::webhookPayload(const AlertTransition &t, const QString &instanceName)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("text"), messageText(t, instanceName)}}).toJson(QJsonDocument::Compact);
}

void AlertNotifier::deliver(const AlertTransition &t)
{
    const QString event = t.kind == AlertTransition::Firing ? QStringLiteral("firing") : QStringLiteral("resolved");
    if (!m_options.webhookUrl.isEmpty()) {
        guardrails::HttpPost post;
        post.url = m_options.webhookUrl;
        post.body = webhookPayload(t, m_options.instanceName);
        post.timeoutMs = m_options.timeoutMs;
        post.maxResponseBytes = 64 * 1024;
        const guardrails::HttpAnswer answer = guardrails::postJson(post);
        const bool ok = answer.answered() && answer.status >= 200 && answer.status < 300;
        const QString detail = answer.answered() ? QStringLiteral("HTTP %1").arg(answer.status) : answer.error;
        if (!ok)
            qCWarning(lcNotify).noquote() << "alert webhook failed:" << detail;
        record(t.event.id, QStringLiteral("webhook"), event, ok, detail);
    }
    if (m_mailer && !m_options.emailTo.isEmpty()) {
        for (const QString &to : m_options.emailTo) {
            domain::MailMessage message;
            message.to = to;
            message.subject = QStringLiteral("[%1] %2 %3").arg(event.toUpper(), t.event.severity, t.event.rule);
            message.body = messageText(t, m_options.instanceName)
                           + QStringLiteral("\n\nPending since %1\n").arg(t.event.pendingSince.toString(Qt::ISODate));
            const Status sent = m_mailer->send(message, m_cancel);
            if (!sent)
                qCWarning(lcNotify).noquote() << "alert e-mail to" << to << "failed:" << sent.error().message;
            record(t.event.id, QStringLiteral("email"), event, bool(sent), sent ? to : sent.error().message);
        }
    }
}

void AlertNotifier::record(qint64 eventId, const QString &channel, const QString &event, bool ok, const QString &detail)
{
    // Counted after the row is written, so whoever sees the count also sees the outcome.
    struct Count {
        std::atomic_int &n;
        ~Count() { n.fetch_add(1); }
    } count{ok ? m_delivered : m_failed};
    if (!m_database || eventId <= 0)
        return;
    const QJsonObject entry{{QStringLiteral("channel"), channel},
                            {QStringLiteral("event"), event},
                            {QStringLiteral("ok"), ok},
                            {QStringLiteral("detail"), detail},
                            {QStringLiteral("at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)}};
    auto q = db::exec(m_database->connection(),
                      QStringLiteral("UPDATE alert_events SET notifications = notifications || ?::jsonb WHERE id = ?"),
                      {QString::fromUtf8(QJsonDocument(QJsonArray{entry}).toJson(QJsonDocument::Compact)), eventId});
    if (!q)
        qCWarning(lcNotify).noquote() << "cannot record the notification:" << q.error().message;
}

} // namespace bw::monitoring
