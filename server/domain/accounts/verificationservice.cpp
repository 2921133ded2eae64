#include "server/domain/accounts/verificationservice.h"

#include "server/domain/accounts/agentservice.h"
#include "server/domain/fieldreader.h"
#include "server/domain/mail/mailqueue.h"

#include "server/core/apikey.h"
#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QRandomGenerator>

#include <cmath>

Q_LOGGING_CATEGORY(lcVerification, "bw.agents.verification")

namespace bw::domain {

namespace {
using db::nullText;

ApiError codeError(const QString &message)
{
    FieldErrors errors;
    errors.add(QStringLiteral("verificationCode"), message);
    return errors.toError();
}

const QString kResendHint = QStringLiteral("request a new code with POST /api/v1/auth/agents/verify/resend");
} // namespace

VerificationService::VerificationService(db::Database &db, AgentService &agents, std::unique_ptr<Mailer> mailer)
    : VerificationService(db, agents, std::move(mailer), Options{})
{
}

VerificationService::VerificationService(db::Database &db, AgentService &agents, std::unique_ptr<Mailer> mailer, Options options)
    : m_db(db), m_agents(agents), m_options(options)
{
    if (mailer)
        m_mail = std::make_unique<MailQueue>(
            std::move(mailer), [this](const QString &id, const Status &result) { recordDelivery(id, result); },
            [this] { m_db.releaseThisThread(); }); // the mail thread's own connection
}

VerificationService::~VerificationService()
{
    stop();
}

void VerificationService::stop()
{
    if (m_mail)
        m_mail->stop();
}

QString VerificationService::deliveryDescription() const
{
    return m_mail ? m_mail->description()
                  : QStringLiteral("sink (no SMTP configured: codes are shown to administrators and logged)");
}

QByteArray VerificationService::codeHash(const QString &agentId, const QString &code)
{
    // The agent id salts the hash, so one precomputed table of the 10^6 codes serves no one.
    return QCryptographicHash::hash((agentId.toLower() + u':' + code).toUtf8(), QCryptographicHash::Sha256).toHex();
}

Status VerificationService::sendRegistrationCode(const QString &agentId)
{
    auto r = issue(agentId, false);
    if (!r)
        return r.error();
    return success();
}

Result<QJsonObject> VerificationService::resend(const Caller &caller)
{
    return issue(caller.agentId, true);
}

Result<QJsonObject> VerificationService::issue(const QString &agentId, bool isResend)
{
    QSqlDatabase db = m_db.connection();
    const QString code = QStringLiteral("%1").arg(QRandomGenerator::system()->bounded(1000000), 6, 10, QLatin1Char('0'));
    const QString deliveryId = ids::newUuid();
    const bool smtp = m_mail != nullptr;
    QString email;
    QString username;
    Status written = db::inTransaction(db, [&]() -> Status {
        // The row lock serialises issues for one agent, so the resend count below cannot race.
        auto agent = db::execCached(db,
                                    QStringLiteral("SELECT email, claim_status, username FROM agents"
                                                   " WHERE id = ?::uuid AND is_active FOR UPDATE"),
                                    {agentId});
        if (!agent)
            return agent.error();
        if (!agent->next())
            return ApiError::notFound(QStringLiteral("Agent not found"));
        email = agent->value(0).toString();
        username = agent->value(2).toString();
        if (agent->value(1).toString() == QLatin1String("verified"))
            return ApiError::make(ErrorKind::AlreadyClaimed, QStringLiteral("Agent is already verified"));
        if (agent->value(0).isNull() || email.isEmpty()) {
            FieldErrors errors;
            errors.add(QStringLiteral("email"), QStringLiteral("No email address on file for this agent"));
            return errors.toError();
        }

        if (isResend) {
            auto recent = db::execCached(
                db,
                QStringLiteral("SELECT count(*)::int, extract(epoch FROM min(created_at) + interval '1 hour' - now())::float8"
                               " FROM agent_verification_deliveries WHERE agent_id = ?::uuid AND reason = 'resend'"
                               " AND created_at > now() - interval '1 hour'"),
                {agentId});
            if (!recent)
                return recent.error();
            if (recent->next() && recent->value(0).toInt() >= m_options.resendsPerHour) {
                const int retryAfter = std::max(1, int(std::ceil(recent->value(1).toDouble())));
                return ApiError::make(
                    ErrorKind::RateLimited,
                    QStringLiteral("At most %1 verification code resends per hour").arg(m_options.resendsPerHour),
                    QJsonObject{{QStringLiteral("retryAfter"), retryAfter},
                                {QStringLiteral("limit"), m_options.resendsPerHour},
                                {QStringLiteral("window"), 3600}});
            }
        }

        static const QString write = QStringLiteral(
            "WITH u AS (UPDATE agents SET verification_code_hash = ?, verification_tries = 0,"
            "  verification_code_expires_at = now() + make_interval(secs => ?) WHERE id = ?::uuid),"
            " s AS (UPDATE agent_verification_deliveries SET held_code = NULL, status = 'superseded'"
            "  WHERE agent_id = ?::uuid AND status IN ('queued', 'held')),"
            // Housekeeping: expired codes held for administrators are of no use to anyone.
            " x AS (UPDATE agent_verification_deliveries SET held_code = NULL"
            "  WHERE held_code IS NOT NULL AND code_expires_at < now() AND agent_id <> ?::uuid)"
            " INSERT INTO agent_verification_deliveries (id, agent_id, email, reason, channel, status, held_code, code_expires_at)"
            " VALUES (?::uuid, ?::uuid, ?, ?, ?, ?, ?, now() + make_interval(secs => ?))");
        auto w = db::execCached(
            db, write,
            {QString::fromLatin1(codeHash(agentId, code)), m_options.codeTtlSeconds, agentId, agentId, agentId, deliveryId,
             agentId, email, isResend ? QStringLiteral("resend") : QStringLiteral("registration"),
             smtp ? QStringLiteral("smtp") : QStringLiteral("sink"), smtp ? QStringLiteral("queued") : QStringLiteral("held"),
             smtp ? nullText() : QVariant(code), m_options.codeTtlSeconds});
        if (!w)
            return w.error();
        return success();
    });
    if (!written)
        return written.error();

    const int minutes = m_options.codeTtlSeconds / 60;
    if (smtp) {
        MailMessage message;
        message.to = email;
        message.subject = QStringLiteral("Your BetterWorld verification code");
        message.body = QStringLiteral("Hello %1,\n\nyour BetterWorld verification code is %2. It expires in %3 minutes.\n\n"
                                      "Send it with POST /api/v1/auth/agents/verify {\"verificationCode\": \"%2\"}.\n"
                                      "If you did not register this agent, you can ignore this message.\n")
                           .arg(username, code)
                           .arg(minutes);
        if (!m_mail->enqueue(message, deliveryId))
            recordDelivery(deliveryId, ApiError::unavailable(QStringLiteral("mail queue full or stopped")));
    } else {
        // The sink: administrators read it in the Agents panel or here; the agent never gets it from us.
        qCInfo(lcVerification).noquote()
            << "verification code for agent" << username << "<" + email + ">:" << code
            << QStringLiteral("(valid %1 min; no SMTP configured, give it to the agent's operator)").arg(minutes);
    }
    return QJsonObject{{QStringLiteral("message"),
                        smtp ? QStringLiteral("Verification code sent to your email")
                             : QStringLiteral("Verification code issued. This server has no mail delivery configured: "
                                              "ask the platform administrator for the code")},
                       {QStringLiteral("expiresIn"), m_options.codeTtlSeconds}};
}

Result<QJsonObject> VerificationService::verify(const Caller &caller, const QJsonObject &body)
{
    QString code;
    const QJsonValue v = body.value(QStringLiteral("verificationCode"));
    if (v.isString()) {
        code = v.toString().trimmed();
    } else if (v.isDouble() && v.toDouble() >= 0 && v.toDouble() < 1e6 && v.toDouble() == std::floor(v.toDouble())) {
        code = QStringLiteral("%1").arg(qint64(v.toDouble()), 6, 10, QLatin1Char('0')); // 012345 sent as a number
    } else if (v.isUndefined() || v.isNull()) {
        return codeError(QStringLiteral("Required"));
    }
    if (code.size() != 6 || !std::all_of(code.cbegin(), code.cend(), [](QChar c) { return c >= u'0' && c <= u'9'; }))
        return codeError(QStringLiteral("Must be a 6-digit code"));

    QSqlDatabase db = m_db.connection();
    db::Transaction tx(db);
    if (!tx.begin_status())
        return tx.begin_status().error();
    auto row = db::execCached(
        db,
        QStringLiteral(
            "SELECT verification_code_hash, coalesce(verification_code_expires_at > now(), false), verification_tries, claim_status"
            " FROM agents WHERE id = ?::uuid FOR UPDATE"),
        {caller.agentId});
    if (!row)
        return row.error();
    if (!row->next())
        return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Agent no longer exists"));
    if (row->value(3).toString() == QLatin1String("verified"))
        return ApiError::make(ErrorKind::AlreadyClaimed, QStringLiteral("Agent is already verified"));
    if (row->value(0).isNull())
        return codeError(QStringLiteral("No verification code is pending; ") + kResendHint);
    const int tries = row->value(2).toInt();
    if (tries >= m_options.maxWrongTries)
        return codeError(QStringLiteral("Too many wrong attempts for this code; ") + kResendHint);
    if (!row->value(1).toBool())
        return codeError(QStringLiteral("Verification code has expired; ") + kResendHint);

    if (!apikey::constantTimeEquals(row->value(0).toString().toLatin1(), codeHash(caller.agentId, code))) {
        auto bump = db::execCached(db,
                                   QStringLiteral("UPDATE agents SET verification_tries = verification_tries + 1"
                                                  " WHERE id = ?::uuid"),
                                   {caller.agentId});
        if (!bump)
            return bump.error();
        if (Status c = tx.commit(); !c)
            return c.error();
        const int left = m_options.maxWrongTries - tries - 1;
        return codeError(left > 0 ? QStringLiteral("Invalid verification code (%1 attempts left)").arg(left)
                                  : QStringLiteral("Invalid verification code; no attempts left, ") + kResendHint);
    }

    auto done = db::execCached(db,
                               QStringLiteral("WITH d AS (UPDATE agent_verification_deliveries SET held_code = NULL,"
                                              "  status = CASE WHEN status = 'held' THEN 'used' ELSE status END"
                                              "  WHERE agent_id = ?::uuid AND (held_code IS NOT NULL OR status = 'held'))"
                                              " UPDATE agents SET claim_status = 'verified', verification_code_hash = NULL,"
                                              " verification_code_expires_at = NULL, verification_tries = 0 WHERE id = ?::uuid"),
                               {caller.agentId, caller.agentId});
    if (!done)
        return done.error();
    if (Status c = tx.commit(); !c)
        return c.error();
    m_agents.forgetAgent(caller.agentId); // the higher rate-limit tier applies from the next request
    qCInfo(lcVerification).noquote() << "agent" << caller.username << "verified its email";
    return QJsonObject{{QStringLiteral("claimStatus"), QStringLiteral("verified")},
                       {QStringLiteral("message"), QStringLiteral("Email verified successfully")}};
}

void VerificationService::recordDelivery(const QString &deliveryId, const Status &result)
{
    auto q = db::execCached(
        m_db.connection(),
        QStringLiteral("UPDATE agent_verification_deliveries SET status = CASE WHEN status = 'queued' THEN ? ELSE status END,"
                       " sent_at = CASE WHEN ? THEN now() END, error = ? WHERE id = ?::uuid"),
        {result ? QStringLiteral("sent") : QStringLiteral("failed"), bool(result),
         result ? nullText() : QVariant(result.error().message.left(1000)), deliveryId});
    if (!q)
        qCWarning(lcVerification).noquote() << "cannot record the delivery outcome of" << deliveryId << ":" << q.error().message;
}

Result<QList<VerificationService::HeldCode>> VerificationService::heldCodes(int limit)
{
    auto q = db::execCached(
        m_db.connection(),
        QStringLiteral("SELECT d.agent_id::text, a.username, d.email, d.held_code, d.created_at, d.code_expires_at"
                       " FROM agent_verification_deliveries d JOIN agents a ON a.id = d.agent_id"
                       " WHERE d.held_code IS NOT NULL AND d.code_expires_at > now() ORDER BY d.created_at DESC LIMIT ?"),
        {std::clamp(limit, 1, 1000)});
    if (!q)
        return q.error();
    QList<HeldCode> out;
    while (q->next())
        out.append(HeldCode{q->value(0).toString(), q->value(1).toString(), q->value(2).toString(), q->value(3).toString(),
                            q->value(4).toDateTime().toUTC(), q->value(5).toDateTime().toUTC()});
    return out;
}

} // namespace bw::domain
