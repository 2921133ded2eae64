#pragma once
// Delivers alert transitions (firing / resolved) to a Slack-compatible webhook (POST JSON
// {"text": …}) and/or by e-mail through a domain::Mailer, on one dedicated thread so that slow
// endpoints never hold the evaluator. Each delivery's outcome is appended to the episode's
// alert_events.notifications (that thread's own DB connection, released when it ends).
// notify() is non-blocking and thread-safe; the queue is bounded (oldest dropped with a warning).

#include "server/domain/mail/mailer.h"
#include "server/monitoring/alertengine.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace bw::db {
class Database;
}

namespace bw::monitoring {

class AlertNotifier final {
public:
    struct Options {
        QString webhookUrl;    // http(s)://…; empty: no webhook
        QStringList emailTo;   // empty or no mailer: no e-mail
        int timeoutMs = 10000; // per webhook POST
        QString instanceName = QStringLiteral("BetterWorld");
        int capacity = 200;
    };

    // database may be null (outcomes are then only logged); mailer may be null.
    AlertNotifier(db::Database *database, Options options, std::unique_ptr<domain::Mailer> mailer = nullptr);
    ~AlertNotifier(); // stop()
    AlertNotifier(const AlertNotifier &) = delete;
    AlertNotifier &operator=(const AlertNotifier &) = delete;

    bool enabled() const; // a webhook or a mail route is configured
    void notify(const AlertTransition &transition);
    // Delivers what is queued (bounded by timeouts), then joins the thread.
    void stop();

    int delivered() const { return m_delivered.load(); } // successful deliveries (all channels)
    int failed() const { return m_failed.load(); }

    // {"text": "[FIRING] P1 HighErrorRate — 5xx error rate exceeds 10% (value 0.23, threshold 0.1)"}
    static QByteArray webhookPayload(const AlertTransition &transition, const QString &instanceName);
    static QString messageText(const AlertTransition &transition, const QString &instanceName);

private:
    void run();
    void deliver(const AlertTransition &transition);
    void record(qint64 eventId, const QString &channel, const QString &event, bool ok, const QString &detail);

    db::Database *m_database;
    const Options m_options;
    std::unique_ptr<domain::Mailer> m_mailer;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<AlertTransition> m_queue;
    bool m_stopping = false;
    std::atomic_bool m_cancel{false};
    std::atomic_int m_delivered{0};
    std::atomic_int m_failed{0};
    std::thread m_thread;
};

} // namespace bw::monitoring
