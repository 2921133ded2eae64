#pragma once
// E-mail verification of agents (api.md §5): a 6-digit code valid 15 minutes, stored only as
// SHA-256(agentId ":" code), at most 5 wrong tries per code, 3 resends per agent per hour (counted
// in the database, so it holds across nodes). Delivery: SMTP through a MailQueue when a Mailer is
// given; otherwise the sink, which keeps the code for administrators (desktop Agents panel, log)
// and never returns it to the agent. A correct code sets claim_status = 'verified'.
// Thread-safe; SQL runs on the calling thread's connection, delivery outcomes on the mail thread.

#include "server/domain/caller.h"

#include "server/core/result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>

#include <memory>

namespace bw::db {
class Database;
}

namespace bw::domain {

class AgentService;
class Mailer;
class MailQueue;

class VerificationService final {
public:
    struct Options {
        int codeTtlSeconds = 15 * 60;
        int maxWrongTries = 5;
        int resendsPerHour = 3;
    };

    // mailer == nullptr: no SMTP configured → the sink.
    VerificationService(db::Database &db, AgentService &agents, std::unique_ptr<Mailer> mailer);
    VerificationService(db::Database &db, AgentService &agents, std::unique_ptr<Mailer> mailer, Options options);
    ~VerificationService(); // stops the mail thread

    // After a registration that carried an email: issue and deliver the first code.
    Status sendRegistrationCode(const QString &agentId);
    // POST /auth/agents/verify {verificationCode} → {claimStatus: "verified", message}.
    Result<QJsonObject> verify(const Caller &caller, const QJsonObject &body);
    // POST /auth/agents/verify/resend → {message, expiresIn}; 429 RATE_LIMITED beyond 3 per hour.
    Result<QJsonObject> resend(const Caller &caller);

    bool usesSmtp() const { return m_mail != nullptr; }
    QString deliveryDescription() const; // "smtp host:port (STARTTLS)" or "sink (…)"
    void stop();                         // finish/abort mail delivery (before the database goes)

    // For the desktop Agents panel: unexpired codes the sink holds, newest first.
    struct HeldCode {
        QString agentId;
        QString username;
        QString email;
        QString code;
        QDateTime createdAt;
        QDateTime expiresAt;
    };
    Result<QList<HeldCode>> heldCodes(int limit = 100);

    static QByteArray codeHash(const QString &agentId, const QString &code); // SHA-256 hex

private:
    Result<QJsonObject> issue(const QString &agentId, bool isResend);
    void recordDelivery(const QString &deliveryId, const Status &result); // mail thread

    db::Database &m_db;
    AgentService &m_agents;
    Options m_options;
    std::unique_ptr<MailQueue> m_mail;
};

} // namespace bw::domain
