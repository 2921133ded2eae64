#include "server/humans/humanauthservice.h"

#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/domain/fieldreader.h"
#include "server/humans/humancodes.h"
#include "server/humans/passwordgate.h"
#include "server/moderation/auditlog.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcHumanAuth, "bw.humans.auth")

namespace bw::humans {

namespace {
const QString kEmail = QStringLiteral("email");
const QString kCode = QStringLiteral("code");

ApiError invalidCredentials()
{
    return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Invalid email or password"));
}

ApiError invalidCode()
{
    FieldErrors fields;
    fields.add(kCode, QStringLiteral("Invalid or expired code; request a new one"));
    return fields.toError();
}

QString text(const QJsonObject &body, const QString &field)
{
    return body.value(field).toString();
}

// A syntactically acceptable address, or a 422 on field "email".
Result<QString> requireEmail(const QJsonObject &body)
{
    const QString email = text(body, kEmail).trimmed();
    FieldErrors fields;
    if (email.isEmpty())
        fields.add(kEmail, QStringLiteral("Required"));
    else if (email.size() < 3 || email.size() > 254 || !domain::looksLikeEmail(email))
        fields.add(kEmail, QStringLiteral("Must be an email address (at most 254 characters)"));
    if (!fields.empty())
        return fields.toError();
    return email;
}

// The code as sent ("012345", or the number 12345 with its leading zero restored), or a 422.
Result<QString> requireCode(const QJsonObject &body)
{
    const QJsonValue v = body.value(kCode);
    QString code;
    if (v.isString())
        code = v.toString().trimmed();
    else if (v.isDouble() && v.toDouble() >= 0 && v.toDouble() < 1e6 && v.toDouble() == double(qint64(v.toDouble())))
        code = QStringLiteral("%1").arg(qint64(v.toDouble()), 6, 10, QLatin1Char('0'));
    FieldErrors fields;
    if (v.isUndefined() || v.isNull())
        fields.add(kCode, QStringLiteral("Required"));
    else if (!HumanCodes::looksLikeCode(code))
        fields.add(kCode, QStringLiteral("Must be a 6-digit code"));
    if (!fields.empty())
        return fields.toError();
    return code;
}

// The account id for an address, "" when there is none.
Result<QString> humanIdFor(QSqlDatabase db, const QString &email, bool forUpdate)
{
    auto id = db::scalar(
        db::execCached(db,
                       forUpdate ? QStringLiteral("SELECT id::text FROM humans WHERE lower(email) = lower(?) FOR UPDATE")
                                 : QStringLiteral("SELECT id::text FROM humans WHERE lower(email) = lower(?)"),
                       {email}));
    if (!id)
        return id.error();
    return id->toString();
}

// Inside an open transaction: locks the person with this address and uses up one try of their code.
// accepted false: a wrong code — commit anyway (the try counts), then answer invalidCode(). No such
// person: invalidCode() at once.
struct CodeCheck {
    QString humanId;
    bool accepted = false;
};
Result<CodeCheck> checkCode(QSqlDatabase db, HumanCodes &codes, const QString &email, HumanCodes::Purpose purpose,
                            const QString &code)
{
    auto humanId = humanIdFor(db, email, true);
    if (!humanId)
        return humanId.error();
    if (humanId->isEmpty())
        return invalidCode();
    auto accepted = codes.consume(db, *humanId, purpose, code);
    if (!accepted)
        return accepted.error();
    return CodeCheck{*humanId, *accepted};
}

QJsonObject codeRequestAnswer(const QString &message, int ttl)
{
    return QJsonObject{{QStringLiteral("message"), message}, {QStringLiteral("expiresIn"), ttl}};
}
} // namespace

HumanAuthService::HumanAuthService(db::Database &db, HumanSessions &sessions, HumanCodes &codes, PasswordGate &gate)
    : HumanAuthService(db, sessions, codes, gate, Options{})
{
}
HumanAuthService::HumanAuthService(db::Database &db, HumanSessions &sessions, HumanCodes &codes, PasswordGate &gate,
                                   Options options)
    : m_db(db), m_sessions(sessions), m_codes(codes), m_gate(gate), m_options(options)
{
}

QString HumanAuthService::passwordViolation(const QString &password, const QString &email)
{
    if (password.size() < kMinPassword)
        return QStringLiteral("Password must be at least %1 characters").arg(kMinPassword);
    if (password.size() > kMaxPassword)
        return QStringLiteral("Password must be at most %1 characters").arg(kMaxPassword);
    if (password.trimmed().isEmpty())
        return QStringLiteral("Password must not be blank");
    if (password.contains(QChar(0)))
        return QStringLiteral("Password must not contain NUL characters");
    if (password.trimmed().compare(email.trimmed(), Qt::CaseInsensitive) == 0)
        return QStringLiteral("Password must not be your email address");
    return {};
}

Result<QJsonObject> HumanAuthService::registerHuman(const QJsonObject &body)
{
    FieldErrors fields;
    domain::FieldReader reader(body, fields);
    const auto email = reader.string(kEmail, true, 3, 254);
    if (email && !domain::looksLikeEmail(email->trimmed()))
        fields.add(kEmail, QStringLiteral("Must be an email address"));
    const auto displayName = reader.string(QStringLiteral("displayName"), true, 1, 100);
    if (displayName && displayName->trimmed().isEmpty())
        fields.add(QStringLiteral("displayName"), QStringLiteral("Must not be blank"));
    const QJsonValue pw = body.value(QStringLiteral("password"));
    if (!pw.isString())
        fields.add(QStringLiteral("password"),
                   pw.isUndefined() || pw.isNull() ? QStringLiteral("Required") : QStringLiteral("Expected a string"));
    else if (const QString why = passwordViolation(pw.toString(), email.value_or(QString())); !why.isEmpty())
        fields.add(QStringLiteral("password"), why);
    if (!fields.empty())
        return fields.toError();

    auto hashed = m_gate.hash(pw.toString()); // slow: outside any transaction
    if (!hashed)
        return hashed.error();
    auto inserted = db::scalar(db::execCached(m_db.connection(),
                                              QStringLiteral("INSERT INTO humans (email, display_name, password_hash)"
                                                             " VALUES (?, ?, ?) RETURNING id::text"),
                                              {email->trimmed(), displayName->trimmed(), QString::fromLatin1(*hashed)}));
    if (!inserted) {
        if (db::sqlState(inserted.error()) == QLatin1String(db::kUniqueViolation))
            return ApiError::conflict(QStringLiteral("An account with this email already exists"));
        return inserted.error();
    }
    const QString humanId = inserted->toString();
    // The account exists even if the code cannot be issued now: resend-code gets a new one.
    if (auto sent = m_codes.issue(humanId, HumanCodes::Purpose::Verify, HumanCodes::Reason::Registration); !sent)
        qCWarning(lcHumanAuth).noquote() << "no verification code for new human" << humanId << ":" << sent.error().message;
    return QJsonObject{{QStringLiteral("humanId"), humanId},
                       {QStringLiteral("message"),
                        m_codes.usesSmtp() ? QStringLiteral("Verification code sent to your email")
                                           : QStringLiteral("Account created. This server has no mail delivery "
                                                            "configured: ask the platform administrator for the code")}};
}

Result<QJsonObject> HumanAuthService::verifyEmail(const QJsonObject &body)
{
    auto email = requireEmail(body);
    if (!email)
        return email.error();
    auto code = requireCode(body);
    if (!code)
        return code.error();
    QSqlDatabase db = m_db.connection();
    db::Transaction tx(db);
    if (!tx.begin_status())
        return tx.begin_status().error();
    auto checked = checkCode(db, m_codes, *email, HumanCodes::Purpose::Verify, *code);
    if (!checked)
        return checked.error();
    if (checked->accepted) {
        auto done = db::execCached(db,
                                   QStringLiteral("UPDATE humans SET email_verified_at = coalesce(email_verified_at, now())"
                                                  " WHERE id = ?::uuid"),
                                   {checked->humanId});
        if (!done)
            return done.error();
    }
    if (Status c = tx.commit(); !c) // a wrong code's used-up try counts too
        return c.error();
    if (!checked->accepted)
        return invalidCode();
    return QJsonObject{{QStringLiteral("emailVerified"), true}, {QStringLiteral("message"), QStringLiteral("Email verified")}};
}

Result<QJsonObject> HumanAuthService::resendCode(const QJsonObject &body)
{
    auto email = requireEmail(body);
    if (!email)
        return email.error();
    auto row = db::execCached(
        m_db.connection(),
        QStringLiteral("SELECT id::text FROM humans WHERE lower(email) = lower(?) AND email_verified_at IS NULL"), {*email});
    if (!row)
        return row.error();
    if (row->next()) {
        const QString humanId = row->value(0).toString();
        row->finish();
        if (auto sent = m_codes.issue(humanId, HumanCodes::Purpose::Verify, HumanCodes::Reason::Resend); !sent)
            return sent.error();
    }
    return codeRequestAnswer(QStringLiteral("If this address belongs to an unverified account and fewer than %1 codes were "
                                            "sent in the past hour, a new code is on its way")
                                 .arg(m_codes.options().sendsPerHour),
                             m_codes.options().codeTtlSeconds);
}

Result<HumanSessions::Tokens> HumanAuthService::login(const QJsonObject &body, const QString &ip)
{
    const QString email = text(body, kEmail).trimmed();
    const QString password = text(body, QStringLiteral("password"));
    FieldErrors fields;
    if (email.isEmpty())
        fields.add(kEmail, QStringLiteral("Required"));
    if (password.isEmpty())
        fields.add(QStringLiteral("password"), QStringLiteral("Required"));
    if (!fields.empty())
        return fields.toError();
    if (email.size() > 254 || password.size() > kMaxPassword) {
        if (Status burned = m_gate.dummyVerify(password.left(kMaxPassword)); !burned)
            return burned.error();
        return invalidCredentials();
    }

    QSqlDatabase db = m_db.connection();
    auto q = db::execCached(db,
                            QStringLiteral("SELECT id::text, password_hash, email_verified_at IS NOT NULL, is_active,"
                                           " coalesce(locked_until > now(), false) FROM humans WHERE lower(email) = lower(?)"),
                            {email});
    if (!q)
        return q.error();
    if (!q->next()) {
        // The same Argon2 work as a real attempt: no account-existence oracle by timing.
        if (Status burned = m_gate.dummyVerify(password); !burned)
            return burned.error();
        return invalidCredentials();
    }
    const QString humanId = q->value(0).toString();
    const QByteArray storedHash = q->value(1).toString().toLatin1();
    const bool verified = q->value(2).toBool();
    const bool active = q->value(3).toBool();
    const bool locked = q->value(4).toBool();
    q->finish();

    auto matches = m_gate.verify(storedHash, password); // also while locked: the same work, the same answer
    if (!matches)
        return matches.error();
    if (locked)
        return invalidCredentials(); // deliberately indistinguishable from a wrong password
    if (!*matches) {
        if (Status s = recordFailedLogin(humanId, ip); !s)
            return s.error();
        return invalidCredentials();
    }
    if (!active)
        return ApiError::forbidden(QStringLiteral("Account is deactivated"));
    if (!verified)
        return ApiError::make(ErrorKind::EmailNotVerified,
                              QStringLiteral("Verify your email address first (POST /api/v1/auth/verify-email)"));
    return db::inTransaction(db, [&]() -> Result<HumanSessions::Tokens> {
        auto touched = db::execCached(db,
                                      QStringLiteral("UPDATE humans SET failed_logins = 0, failed_login_window_start = NULL,"
                                                     " locked_until = NULL, last_login_at = now() WHERE id = ?::uuid"),
                                      {humanId});
        if (!touched)
            return touched.error();
        return m_sessions.open(db, humanId, ip);
    });
}

Status HumanAuthService::recordFailedLogin(const QString &humanId, const QString &ip)
{
    QSqlDatabase db = m_db.connection();
    return db::inTransaction(db, [&]() -> Status {
        // Both CASEs read the old window start: a failure after the window opens a new one.
        auto failures = db::scalar(db::execCached(
            db,
            QStringLiteral("UPDATE humans SET"
                           " failed_logins = CASE WHEN failed_login_window_start > now() - make_interval(secs => ?)"
                           "  THEN failed_logins + 1 ELSE 1 END,"
                           " failed_login_window_start = CASE WHEN failed_login_window_start > now() - make_interval(secs => ?)"
                           "  THEN failed_login_window_start ELSE now() END"
                           " WHERE id = ?::uuid RETURNING failed_logins"),
            {double(m_options.lockoutWindow.count()), double(m_options.lockoutWindow.count()), humanId}));
        if (!failures)
            return failures.error();
        if (failures->toInt() < m_options.lockoutFailures)
            return success();
        auto lock = db::execCached(db,
                                   QStringLiteral("UPDATE humans SET locked_until = now() + make_interval(secs => ?),"
                                                  " failed_logins = 0, failed_login_window_start = NULL WHERE id = ?::uuid"),
                                   {double(m_options.lockoutDuration.count()), humanId});
        if (!lock)
            return lock.error();
        moderation::AuditEntry entry =
            moderation::AuditEntry::bySystem(QStringLiteral("human.locked"), QStringLiteral("human"), humanId);
        entry.after = QJsonObject{{QStringLiteral("reason"), QStringLiteral("failed_logins")},
                                  {QStringLiteral("failedLogins"), failures->toInt()},
                                  {QStringLiteral("lockedForSeconds"), qint64(m_options.lockoutDuration.count())}};
        entry.ip = ip;
        if (Status a = moderation::audit::append(db, entry); !a)
            return a.error();
        qCWarning(lcHumanAuth).noquote() << "human account" << humanId << "locked after repeated failed logins";
        return success();
    });
}

Status HumanAuthService::logout(const domain::HumanCaller &caller)
{
    auto revoked = m_sessions.revoke(m_db.connection(), caller.sessionId, QStringLiteral("logout"));
    if (!revoked)
        return revoked.error();
    return success();
}

Result<QJsonObject> HumanAuthService::passwordReset(const QJsonObject &body, const QString &ip)
{
    if (body.contains(kCode))
        return confirmPasswordReset(body, ip);
    auto email = requireEmail(body);
    if (!email)
        return email.error();
    auto humanId = humanIdFor(m_db.connection(), *email, false);
    if (!humanId)
        return humanId.error();
    if (!humanId->isEmpty()) {
        if (auto sent = m_codes.issue(*humanId, HumanCodes::Purpose::Reset, HumanCodes::Reason::Request); !sent)
            return sent.error();
    }
    return codeRequestAnswer(QStringLiteral("If this address belongs to an account and fewer than %1 reset codes were sent "
                                            "in the past hour, a code is on its way. Confirm with {email, code, newPassword}")
                                 .arg(m_codes.options().sendsPerHour),
                             m_codes.options().codeTtlSeconds);
}

Result<QJsonObject> HumanAuthService::confirmPasswordReset(const QJsonObject &body, const QString &ip)
{
    auto email = requireEmail(body);
    if (!email)
        return email.error();
    auto code = requireCode(body);
    if (!code)
        return code.error();
    const QJsonValue pw = body.value(QStringLiteral("newPassword"));
    FieldErrors fields;
    if (!pw.isString())
        fields.add(QStringLiteral("newPassword"), QStringLiteral("Required"));
    else if (const QString why = passwordViolation(pw.toString(), *email); !why.isEmpty())
        fields.add(QStringLiteral("newPassword"), why);
    if (!fields.empty())
        return fields.toError();
    auto hashed = m_gate.hash(pw.toString()); // before the transaction: no row lock held for ~100 ms
    if (!hashed)
        return hashed.error();

    QSqlDatabase db = m_db.connection();
    db::Transaction tx(db);
    if (!tx.begin_status())
        return tx.begin_status().error();
    auto checked = checkCode(db, m_codes, *email, HumanCodes::Purpose::Reset, *code);
    if (!checked)
        return checked.error();
    if (!checked->accepted) {
        if (Status c = tx.commit(); !c) // the used-up try counts
            return c.error();
        return invalidCode();
    }
    // The code proves the mailbox, so the address counts as verified too; a lock ends with it.
    auto updated = db::execCached(db,
                                  QStringLiteral("UPDATE humans SET password_hash = ?, failed_logins = 0,"
                                                 " failed_login_window_start = NULL, locked_until = NULL,"
                                                 " email_verified_at = coalesce(email_verified_at, now()) WHERE id = ?::uuid"),
                                  {QString::fromLatin1(*hashed), checked->humanId});
    if (!updated)
        return updated.error();
    auto revoked = m_sessions.revokeAll(db, checked->humanId, QStringLiteral("password_reset"));
    if (!revoked)
        return revoked.error();
    moderation::AuditEntry entry =
        moderation::AuditEntry::bySystem(QStringLiteral("human.password_reset"), QStringLiteral("human"), checked->humanId);
    entry.after = QJsonObject{{QStringLiteral("sessionsRevoked"), *revoked}};
    entry.ip = ip;
    if (Status a = moderation::audit::append(db, entry); !a)
        return a.error();
    if (Status c = tx.commit(); !c)
        return c.error();
    qCInfo(lcHumanAuth).noquote() << "human" << checked->humanId << "reset the password;" << *revoked << "sessions ended";
    return QJsonObject{{QStringLiteral("passwordReset"), true}, {QStringLiteral("sessionsRevoked"), *revoked}};
}

} // namespace bw::humans
