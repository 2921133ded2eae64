#include "adminauthservice.h"

#include "auditlog.h"
#include "moderationsql_p.h"
#include "passwordhash.h"

#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/domain/sqljson.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSqlQuery>

#include <sodium.h>

#include <algorithm>

Q_LOGGING_CATEGORY(lcAdminAuth, "bw.moderation.auth")

namespace bw::moderation {

using db::textOrNull;
using domain::sqljson::isoTimestamp;

namespace {
constexpr int kTokenBytes = 32;
// Failures from all sources together that lock the account itself, as a multiple of the per-source limit.
constexpr int kAccountLockoutFactor = 10;

ApiError invalidCredentials()
{
    return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Invalid email or password"));
}

// Failed logins are counted per (account, source): a source that guesses wrong lockoutFailures times is
// refused for lockoutDuration, while the account's owner elsewhere still signs in — an anonymous client
// cannot lock an administrator out. Kept in the shared, UNLOGGED rate-limit table (every node sees
// them; a crash forgets them, which costs an attacker's source at most one reset). The window
// restarts at the failure that locks, so the pause lasts the whole duration.
QString failureKey(const QString &moderatorId, const QString &ip)
{
    return QStringLiteral("admin-login-failures:%1:%2").arg(moderatorId, ip.isEmpty() ? QStringLiteral("console") : ip);
}

Result<bool> sourceLocked(QSqlDatabase db, const QString &key, int failures)
{
    auto q = db::exec(db,
                      QStringLiteral("SELECT count >= ? FROM rate_limit_counters WHERE key = ?"
                                     " AND window_start + window_seconds > extract(epoch FROM now())"),
                      {failures, key});
    if (!q)
        return q.error();
    return q->next() && q->value(0).toBool();
}

// Records one failure; true when this one locks the source.
Result<bool> recordSourceFailure(QSqlDatabase db, const QString &key, int failures, std::chrono::seconds duration)
{
    auto q = db::exec(
        db,
        QStringLiteral(
            "INSERT INTO rate_limit_counters AS c (key, window_start, window_seconds, count)"
            " VALUES (?, extract(epoch FROM now())::bigint, ?, 1)"
            " ON CONFLICT (key) DO UPDATE SET"
            " count = CASE WHEN c.window_start + c.window_seconds > extract(epoch FROM now()) THEN c.count + 1 ELSE 1 END,"
            " window_start = CASE WHEN c.window_start + c.window_seconds > extract(epoch FROM now())"
            "   AND c.count + 1 < ? THEN c.window_start ELSE EXCLUDED.window_start END,"
            " window_seconds = EXCLUDED.window_seconds"
            " RETURNING count"),
        {key, int(duration.count()), failures});
    if (!q)
        return q.error();
    return q->next() && q->value(0).toInt() >= failures;
}

QString newToken()
{
    password::initialize();
    unsigned char raw[kTokenBytes];
    randombytes_buf(raw, sizeof raw);
    const QByteArray hex = QByteArray(reinterpret_cast<const char *>(raw), sizeof raw).toHex();
    sodium_memzero(raw, sizeof raw);
    return QString::fromLatin1(hex);
}

QString tokenHash(const QString &token)
{
    return QString::fromLatin1(QCryptographicHash::hash(token.toLatin1(), QCryptographicHash::Sha256).toHex());
}

bool looksLikeToken(const QString &token)
{
    if (token.size() != kTokenBytes * 2)
        return false;
    return std::all_of(token.cbegin(), token.cend(),
                       [](QChar c) { return (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f'); });
}

void validateEmail(const QString &email, FieldErrors &fields)
{
    static const QRegularExpression shape(QStringLiteral("^[^@\\s]+@[^@\\s]+$"));
    if (email.isEmpty())
        fields.add(QStringLiteral("email"), QStringLiteral("Required"));
    else if (email.size() < 3 || email.size() > 254 || !shape.match(email).hasMatch())
        fields.add(QStringLiteral("email"), QStringLiteral("Must be an email address (at most 254 characters)"));
}

Status requireAdmin(const std::optional<AdminCaller> &actor)
{
    if (actor && !actor->isAdmin())
        return ApiError::forbidden(QStringLiteral("Administrator role required"));
    return success();
}

AuditEntry entryFor(const std::optional<AdminCaller> &actor, const QString &action, const QString &targetId)
{
    return actor ? AuditEntry::byModerator(*actor, action, QStringLiteral("moderator"), targetId)
                 : AuditEntry::bySystem(action, QStringLiteral("moderator"), targetId);
}

QString accountColumns(const QString &alias)
{
    return QStringLiteral("%1.id AS \"id\", %1.email AS \"email\", %1.display_name AS \"displayName\", %1.role AS \"role\","
                          " %1.is_active AS \"isActive\", %2 AS \"lastLoginAt\", %3 AS \"createdAt\"")
        .arg(alias, isoTimestamp(alias + QStringLiteral(".last_login_at")), isoTimestamp(alias + QStringLiteral(".created_at")));
}
} // namespace

AdminAuthService::AdminAuthService(db::Database &db) : AdminAuthService(db, Options{}) {}
AdminAuthService::AdminAuthService(db::Database &db, Options options) : m_db(db), m_options(options)
{
    password::initialize();
}

Result<QJsonObject> AdminAuthService::createUser(const NewUser &input, const std::optional<AdminCaller> &actor)
{
    if (Status s = requireAdmin(actor); !s)
        return s.error();
    FieldErrors fields;
    const QString email = normalizedEmail(input.email);
    validateEmail(email, fields);
    if (input.role != u"admin" && input.role != u"moderator")
        fields.add(QStringLiteral("role"), QStringLiteral("Must be admin or moderator"));
    const QString displayName = input.displayName.trimmed();
    if (displayName.size() > 200)
        fields.add(QStringLiteral("displayName"), QStringLiteral("At most 200 characters"));
    if (const QString why = password::policyViolation(input.password); !why.isEmpty())
        fields.add(QStringLiteral("password"), why);
    if (!fields.empty())
        return fields.toError();

    auto hashed = password::hash(input.password); // slow: outside the transaction
    if (!hashed)
        return hashed.error();

    QSqlDatabase db = m_db.connection();
    auto account = audit::inTransaction(db, [&](AuditEntry &entry) -> Result<QJsonObject> {
        auto q = db::exec(db,
                          QStringLiteral("INSERT INTO moderators (email, display_name, role, password_hash) VALUES (?, ?, ?, ?)"
                                         " RETURNING (SELECT row_to_json(j) FROM (SELECT %1) j)::text")
                              .arg(accountColumns(QStringLiteral("moderators"))),
                          {email, textOrNull(displayName), input.role, QString::fromLatin1(*hashed)});
        if (!q) {
            if (db::sqlState(q.error()) == QLatin1String(db::kUniqueViolation))
                return ApiError::conflict(QStringLiteral("An admin user with this email already exists"));
            return q.error();
        }
        if (!q->next())
            return ApiError::internal(QStringLiteral("moderator insert returned no row"));
        auto created = db::jsonObject(q->value(0).toString(), "moderator");
        if (!created)
            return created.error();
        entry = entryFor(actor, QStringLiteral("admin.user_created"), created->value(QStringLiteral("id")).toString());
        entry.after = QJsonObject{
            {QStringLiteral("email"), email}, {QStringLiteral("role"), input.role}, {QStringLiteral("displayName"), displayName}};
        return created;
    });
    if (!account)
        return account.error();
    qCInfo(lcAdminAuth).noquote() << "admin user created:" << email << "role" << input.role;
    return *account;
}

Result<QJsonObject> AdminAuthService::resetPassword(const QString &emailIn, const QString &newPassword,
                                                    const std::optional<AdminCaller> &actor)
{
    if (Status s = requireAdmin(actor); !s)
        return s.error();
    const QString email = normalizedEmail(emailIn);
    FieldErrors fields;
    validateEmail(email, fields);
    if (const QString why = password::policyViolation(newPassword); !why.isEmpty())
        fields.add(QStringLiteral("password"), why);
    if (!fields.empty())
        return fields.toError();

    auto hashed = password::hash(newPassword);
    if (!hashed)
        return hashed.error();

    QSqlDatabase db = m_db.connection();
    auto result = audit::inTransaction(db, [&](AuditEntry &entry) -> Result<QJsonObject> {
        auto q = db::exec(db,
                          QStringLiteral("UPDATE moderators SET password_hash = ?, password_changed_at = now(),"
                                         " failed_logins = 0, locked_until = NULL"
                                         " WHERE lower(email) = lower(?) RETURNING id::text, email, role"),
                          {QString::fromLatin1(*hashed), email});
        if (!q)
            return q.error();
        if (!q->next())
            return detail::notFound(QStringLiteral("Admin user"));
        const QString id = q->value(0).toString();
        QJsonObject reset{{QStringLiteral("id"), id},
                          {QStringLiteral("email"), q->value(1).toString()},
                          {QStringLiteral("role"), q->value(2).toString()}};
        auto revoked = db::exec(db, QStringLiteral("DELETE FROM admin_sessions WHERE moderator_id = ?::uuid"), {id});
        if (!revoked)
            return revoked.error();
        if (auto cleared = db::exec(db, QStringLiteral("DELETE FROM rate_limit_counters WHERE key LIKE ?"),
                                    {failureKey(id, QStringLiteral("%"))});
            !cleared)
            return cleared.error();
        const int sessions = revoked->numRowsAffected();
        reset.insert(QStringLiteral("sessionsRevoked"), sessions);
        entry = entryFor(actor, QStringLiteral("admin.password_reset"), id);
        entry.after = QJsonObject{{QStringLiteral("sessionsRevoked"), sessions}};
        return reset;
    });
    if (!result)
        return result.error();
    qCInfo(lcAdminAuth).noquote() << "admin password reset:" << email << "sessions revoked"
                                  << result->value(QStringLiteral("sessionsRevoked")).toInt();
    return result;
}

Result<bool> AdminAuthService::hasAccounts()
{
    auto q = db::exec(m_db.connection(), QStringLiteral("SELECT EXISTS (SELECT 1 FROM moderators)"));
    if (!q)
        return q.error();
    return q->next() && q->value(0).toBool();
}

Result<AdminAuthService::Session> AdminAuthService::createFirstAdministrator(const QString &email, const QString &displayName,
                                                                             const QString &password)
{
    auto exists = hasAccounts();
    if (!exists)
        return exists.error();
    if (*exists)
        return ApiError::conflict(QStringLiteral("accounts exist"));
    auto created = createUser({email, QStringLiteral("admin"), displayName, password});
    if (!created)
        return created.error();
    return login(email, password, QString());
}

Result<AdminAuthService::Session> AdminAuthService::login(const QString &emailIn, const QString &password, const QString &ip)
{
    const QString email = normalizedEmail(emailIn);
    FieldErrors fields;
    if (email.isEmpty())
        fields.add(QStringLiteral("email"), QStringLiteral("Required"));
    if (password.isEmpty())
        fields.add(QStringLiteral("password"), QStringLiteral("Required"));
    if (!fields.empty())
        return fields.toError();
    if (email.size() > 254 || password.size() > password::kMaxLength)
        return invalidCredentials();

    QSqlDatabase db = m_db.connection();
    auto q = db::exec(db,
                      QStringLiteral("SELECT id::text, email, coalesce(display_name, ''), role, password_hash, is_active,"
                                     " coalesce(locked_until > now(), false)"
                                     " FROM moderators WHERE lower(email) = lower(?)"),
                      {email});
    if (!q)
        return q.error();
    if (!q->next()) {
        password::dummyVerify(password); // same cost as a real attempt: no account-existence oracle by timing
        return invalidCredentials();
    }
    AdminCaller caller;
    caller.moderatorId = q->value(0).toString();
    caller.email = q->value(1).toString();
    caller.displayName = q->value(2).toString();
    caller.role = q->value(3).toString();
    caller.ip = audit::inetOrEmpty(ip);
    const QByteArray storedHash = q->value(4).toString().toLatin1();
    const bool active = q->value(5).toBool();
    const bool accountLocked = q->value(6).toBool();
    q->finish();

    AuditEntry failure =
        AuditEntry::byModerator(caller, QStringLiteral("admin.login_failed"), QStringLiteral("moderator"), caller.moderatorId);
    const QString sourceKey = failureKey(caller.moderatorId, caller.ip);
    auto thisSourceLocked = sourceLocked(db, sourceKey, m_options.lockoutFailures);
    if (!thisSourceLocked)
        return thisSourceLocked.error();
    // Verified in every case, locked or not: the same work and the same answer for a locked account,
    // a wrong password and an unknown email — neither timing nor wording tells them apart.
    const bool passwordOk = password::verify(storedHash, password);
    if (accountLocked || *thisSourceLocked) {
        failure.after =
            QJsonObject{{QStringLiteral("reason"), QStringLiteral("locked")},
                        {QStringLiteral("scope"), accountLocked ? QStringLiteral("account") : QStringLiteral("source")}};
        (void)audit::append(db, failure);
        return invalidCredentials();
    }

    if (!passwordOk) {
        // The account itself locks only after many failures from anywhere (a distributed guess), and
        // still answers like a wrong password.
        const int accountFailures = m_options.lockoutFailures * kAccountLockoutFactor;
        auto locked = audit::inTransaction(db, [&](AuditEntry &entry) -> Result<bool> {
            auto sourceNowLocked = recordSourceFailure(db, sourceKey, m_options.lockoutFailures, m_options.lockoutDuration);
            if (!sourceNowLocked)
                return sourceNowLocked.error();
            auto failed = db::exec(
                db,
                QStringLiteral(
                    "UPDATE moderators SET"
                    " locked_until = CASE WHEN failed_logins + 1 >= ? THEN now() + make_interval(secs => ?) ELSE locked_until END,"
                    " failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END"
                    " WHERE id = ?::uuid RETURNING coalesce(locked_until > now(), false)"),
                {accountFailures, double(m_options.lockoutDuration.count()), accountFailures, caller.moderatorId});
            if (!failed)
                return failed.error();
            const bool accountNowLocked = failed->next() && failed->value(0).toBool();
            entry = failure;
            QJsonObject after{{QStringLiteral("reason"), QStringLiteral("password")},
                              {QStringLiteral("locked"), *sourceNowLocked || accountNowLocked}};
            if (accountNowLocked)
                after.insert(QStringLiteral("accountLocked"), true);
            entry.after = after;
            return *sourceNowLocked || accountNowLocked;
        });
        if (!locked)
            return locked.error();
        if (*locked)
            qCWarning(lcAdminAuth).noquote() << "admin sign-in paused after repeated failed logins:" << caller.email << "from"
                                             << (caller.ip.isEmpty() ? QStringLiteral("the console") : caller.ip);
        return invalidCredentials();
    }
    if (!active) {
        failure.after = QJsonObject{{QStringLiteral("reason"), QStringLiteral("deactivated")}};
        (void)audit::append(db, failure);
        return ApiError::forbidden(QStringLiteral("Account is deactivated"));
    }

    QVariant rehashed = db::nullText();
    if (password::needsRehash(storedHash)) {
        if (auto h = password::hash(password))
            rehashed = QString::fromLatin1(*h);
    }

    Session session;
    session.token = newToken();
    Status opened = audit::inTransaction(db, [&](AuditEntry &entry) -> Status {
        auto touched =
            db::exec(db,
                     QStringLiteral("UPDATE moderators SET failed_logins = 0, locked_until = NULL, last_login_at = now(),"
                                    " password_hash = coalesce(?, password_hash) WHERE id = ?::uuid"),
                     {rehashed, caller.moderatorId});
        if (!touched)
            return touched.error();
        if (auto cleared = db::exec(db, QStringLiteral("DELETE FROM rate_limit_counters WHERE key = ?"), {sourceKey}); !cleared)
            return cleared.error();
        auto inserted =
            db::exec(db,
                     QStringLiteral("INSERT INTO admin_sessions (token_hash, moderator_id, expires_at, ip)"
                                    " VALUES (?, ?::uuid, now() + make_interval(secs => ?), ?::inet)"
                                    " RETURNING id::text, %1")
                         .arg(isoTimestamp(QStringLiteral("expires_at"))),
                     {tokenHash(session.token), caller.moderatorId, double(m_options.sessionTtl.count()), textOrNull(caller.ip)});
        if (!inserted)
            return inserted.error();
        if (!inserted->next())
            return ApiError::internal(QStringLiteral("session insert returned no row"));
        caller.sessionId = inserted->value(0).toString();
        session.expiresAt = QDateTime::fromString(inserted->value(1).toString(), Qt::ISODateWithMs);
        entry = AuditEntry::byModerator(caller, QStringLiteral("admin.login"), QStringLiteral("moderator"), caller.moderatorId);
        entry.after = QJsonObject{{QStringLiteral("sessionId"), caller.sessionId},
                                  {QStringLiteral("expiresAt"), inserted->value(1).toString()}};
        return success();
    });
    if (!opened)
        return opened.error();
    session.caller = caller;
    // Housekeeping, best effort: sessions expired for a day are useless even for forensics (the
    // audit log keeps the logins).
    (void)db::exec(db, QStringLiteral("DELETE FROM admin_sessions WHERE expires_at < now() - interval '1 day'"));
    return session;
}

Result<AdminCaller> AdminAuthService::authenticate(const QString &token, const QString &ip)
{
    if (!looksLikeToken(token))
        return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Invalid session token"));
    // One round trip: the lookup, plus a last_used_at touch at most every 30 s per session.
    static const QString sql = QStringLiteral(
        "WITH touch AS (UPDATE admin_sessions SET last_used_at = now()"
        " WHERE token_hash = ? AND expires_at > now() AND last_used_at < now() - interval '30 seconds')"
        " SELECT s.id::text, s.expires_at > now(), m.id::text, m.email, coalesce(m.display_name, ''), m.role, m.is_active"
        " FROM admin_sessions s JOIN moderators m ON m.id = s.moderator_id WHERE s.token_hash = ?");
    const QString hash = tokenHash(token);
    auto q = db::exec(m_db.connection(), sql, {hash, hash});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Invalid session token"));
    if (!q->value(1).toBool())
        return ApiError::make(ErrorKind::TokenExpired, QStringLiteral("Session expired; log in again"));
    if (!q->value(6).toBool())
        return ApiError::forbidden(QStringLiteral("Account is deactivated"));
    AdminCaller caller;
    caller.sessionId = q->value(0).toString();
    caller.moderatorId = q->value(2).toString();
    caller.email = q->value(3).toString();
    caller.displayName = q->value(4).toString();
    caller.role = q->value(5).toString();
    caller.ip = audit::inetOrEmpty(ip);
    return caller;
}

Status AdminAuthService::logout(const AdminCaller &caller)
{
    if (caller.sessionId.isEmpty())
        return success();
    QSqlDatabase db = m_db.connection();
    return audit::inTransaction(db, [&](AuditEntry &entry) -> Status {
        auto q = db::exec(db, QStringLiteral("DELETE FROM admin_sessions WHERE id = ?::uuid AND moderator_id = ?::uuid"),
                          {caller.sessionId, caller.moderatorId});
        if (!q)
            return q.error();
        entry = AuditEntry::byModerator(caller, QStringLiteral("admin.logout"), QStringLiteral("moderator"), caller.moderatorId);
        entry.after = QJsonObject{{QStringLiteral("sessionId"), caller.sessionId}};
        return success();
    });
}

Result<QJsonObject> AdminAuthService::profile(const AdminCaller &caller)
{
    auto q =
        db::exec(m_db.connection(),
                 QStringLiteral("SELECT (SELECT row_to_json(j) FROM (SELECT %1) j)::text FROM moderators m WHERE m.id = ?::uuid")
                     .arg(accountColumns(QStringLiteral("m"))),
                 {caller.moderatorId});
    if (!q)
        return q.error();
    if (!q->next())
        return detail::notFound(QStringLiteral("Admin user"));
    return db::jsonObject(q->value(0).toString(), "moderator");
}

} // namespace bw::moderation
