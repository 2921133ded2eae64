#pragma once
// E-mail codes for people (humans.md §1): verification of the address and password reset. A code
// is 6 digits, valid 15 minutes, stored as SHA-256(humanId ":" purpose ":" code), dead after 5
// wrong tries; at most 3 resends / reset requests per person and purpose per hour (counted in the
// database, so the cap holds across nodes). Delivery: SMTP through a MailQueue when a Mailer is
// given, otherwise the sink: the code is held for administrators (heldCodes(), the log) and never
// returned to the requester — the same rules as agent verification (VerificationService).
// Thread-safe; SQL runs on the calling thread's connection, delivery outcomes on the mail thread.

#include "server/core/result.h"

#include <QDateTime>
#include <QList>
#include <QSqlDatabase>
#include <QString>

#include <memory>

namespace bw::db {
class Database;
}
namespace bw::domain {
class Mailer;
class MailQueue;
} // namespace bw::domain

namespace bw::humans {

class HumanCodes final {
public:
    enum class Purpose { Verify, Reset };
    enum class Reason { Registration, Resend, Request };

    struct Options {
        int codeTtlSeconds = 15 * 60;
        int maxWrongTries = 5;
        int sendsPerHour = 3; // resends of the verification code; password-reset requests
    };

    // mailer == nullptr: no SMTP configured → the sink.
    HumanCodes(db::Database &db, std::unique_ptr<domain::Mailer> mailer);
    HumanCodes(db::Database &db, std::unique_ptr<domain::Mailer> mailer, Options options);
    ~HumanCodes(); // stops the mail thread

    // Issues a new code (the previous live one of that purpose stops working) and delivers it.
    // Own transaction. Returns false, sending nothing, when the hourly cap is reached (resends and
    // requests only; the registration code is always sent).
    Result<bool> issue(const QString &humanId, Purpose purpose, Reason reason);

    // Inside the caller's transaction: true when code is the live code of that purpose (it is then
    // used up); false when there is none, it expired, is spent, or code is wrong (a wrong code uses
    // up one try — commit the transaction so it counts).
    Result<bool> consume(QSqlDatabase db, const QString &humanId, Purpose purpose, const QString &code);

    // For the desktop Humans panel: unexpired codes the sink holds, newest first.
    struct HeldCode {
        QString humanId;
        QString email;
        QString displayName;
        QString purpose; // verify | reset
        QString code;
        QDateTime createdAt;
        QDateTime expiresAt;
    };
    Result<QList<HeldCode>> heldCodes(int limit = 100);

    bool usesSmtp() const { return m_mail != nullptr; }
    QString deliveryDescription() const;
    void stop(); // finish/abort mail delivery (before the database goes)
    const Options &options() const { return m_options; }

    static bool looksLikeCode(const QString &code); // exactly 6 ASCII digits

private:
    void recordDelivery(const QString &deliveryId, const Status &result); // mail thread

    db::Database &m_db;
    Options m_options;
    std::unique_ptr<domain::MailQueue> m_mail;
};

} // namespace bw::humans
