#pragma once
// Admin users (table moderators: roles admin | moderator, Argon2id password hashes) and their
// sessions: login issues an opaque bearer token (32 random bytes, hex) stored only as SHA-256
// with a fixed expiry; repeated failures from one source pause that source's sign-ins for a while
// (many from everywhere pause the account), always answered like a wrong password. Every change and every
// login attempt on a known account is audited. Thread-safe and stateless: call from any thread
// except the GUI thread (password hashing takes ~50–100 ms; SQL uses the calling thread's connection).

#include "admincaller.h"

#include "server/core/result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <chrono>
#include <optional>

namespace bw::db {
class Database;
}

namespace bw::moderation {

class AdminAuthService final {
public:
    struct Options {
        std::chrono::seconds sessionTtl{std::chrono::hours(12)};
        int lockoutFailures = 5; // failures from one source (IP, or the console) that pause its sign-ins
        std::chrono::seconds lockoutDuration{std::chrono::minutes(15)};
    };

    struct NewUser {
        QString email;
        QString role;        // admin | moderator
        QString displayName; // optional
        QString password;
    };

    struct Session {
        QString token;       // shown once; only its hash is stored
        QDateTime expiresAt; // UTC
        AdminCaller caller;
    };

    explicit AdminAuthService(db::Database &db);
    AdminAuthService(db::Database &db, Options options);

    // Creates an admin user. actor: the administrator doing it (must have role admin), or
    // nullopt for the operator's CLI (audited as 'system'). 422 invalid fields; 409 CONFLICT
    // when the email is taken (case-insensitive). Returns the account (no hash).
    Result<QJsonObject> createUser(const NewUser &input, const std::optional<AdminCaller> &actor = std::nullopt);

    // Sets a new password, clears the lockout and revokes every session of the account.
    // 404 unknown email. Returns {id, email, role, sessionsRevoked}.
    Result<QJsonObject> resetPassword(const QString &email, const QString &password,
                                      const std::optional<AdminCaller> &actor = std::nullopt);

    // Whether any admin account exists (the console offers to create the first one otherwise).
    Result<bool> hasAccounts();

    // The desktop's first-run path: creates an administrator (audited as 'system') and signs it
    // in, only while no account exists at all — 409 CONFLICT "accounts exist" afterwards (then
    // administrators add users). Otherwise the errors of createUser and login.
    Result<Session> createFirstAdministrator(const QString &email, const QString &displayName, const QString &password);

    // Email + password → a new session. 401 UNAUTHORIZED for a wrong email or password (same
    // message, same time) or a locked account (details.retryAfter); 403 FORBIDDEN for a
    // deactivated account with the right password; 422 when a field is missing.
    Result<Session> login(const QString &email, const QString &password, const QString &ip);

    // Bearer token → caller (ip recorded into the caller for auditing). Unknown/malformed → 401
    // UNAUTHORIZED; expired → 401 TOKEN_EXPIRED; deactivated account → 403 FORBIDDEN.
    Result<AdminCaller> authenticate(const QString &token, const QString &ip);

    // Ends the caller's session (audited).
    Status logout(const AdminCaller &caller);

    // The account behind a caller: {id, email, displayName, role, lastLoginAt, createdAt}.
    Result<QJsonObject> profile(const AdminCaller &caller);

    const Options &options() const { return m_options; }

    static QString normalizedEmail(const QString &email) { return email.trimmed(); }

private:
    db::Database &m_db;
    Options m_options;
};

} // namespace bw::moderation
