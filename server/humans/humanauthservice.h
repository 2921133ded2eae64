#pragma once
// People's accounts (humans.md §1): registration with an e-mailed code, verification, login with
// lockout, refresh, logout and password reset. Argon2id work goes through a PasswordGate (bounded;
// a flood gets 503), sessions through HumanSessions, codes through HumanCodes. No oracle: a wrong
// password, an unknown e-mail and a locked account get the same 401 after the same Argon2 work, and
// code requests answer the same whether or not the address has an account. Thread-safe; SQL on the
// calling thread's connection (request pool; never the GUI thread: hashing takes ~50–100 ms).

#include "server/core/result.h"
#include "server/domain/humancaller.h"
#include "server/humans/humansessions.h"

#include <QJsonObject>
#include <QString>

#include <chrono>

namespace bw::db {
class Database;
}

namespace bw::humans {

class HumanCodes;
class PasswordGate;

class HumanAuthService final {
public:
    struct Options {
        int lockoutFailures = 5; // failed logins within lockoutWindow that lock the account
        std::chrono::seconds lockoutWindow{std::chrono::minutes(15)};
        std::chrono::seconds lockoutDuration{std::chrono::minutes(15)};
    };
    static constexpr int kMinPassword = 12;
    static constexpr int kMaxPassword = 128;

    HumanAuthService(db::Database &db, HumanSessions &sessions, HumanCodes &codes, PasswordGate &gate);
    HumanAuthService(db::Database &db, HumanSessions &sessions, HumanCodes &codes, PasswordGate &gate, Options options);

    // POST /auth/register {email, password, displayName} → {humanId}; 409 CONFLICT for a taken e-mail
    // (case-insensitive); 422 invalid fields. Sends the first verification code.
    Result<QJsonObject> registerHuman(const QJsonObject &body);
    // POST /auth/verify-email {email, code} → {emailVerified: true}; 422 for any wrong, expired or
    // spent code (and for unknown addresses: same answer).
    Result<QJsonObject> verifyEmail(const QJsonObject &body);
    // POST /auth/resend-code {email} → {message, expiresIn}: the same answer whatever the address.
    Result<QJsonObject> resendCode(const QJsonObject &body);
    // POST /auth/login {email, password} → tokens. 401 wrong credentials / locked; 403
    // EMAIL_NOT_VERIFIED (right password, unverified); 403 FORBIDDEN deactivated; 503 when busy.
    Result<HumanSessions::Tokens> login(const QJsonObject &body, const QString &ip);
    // POST /auth/logout: revokes the caller's refresh family (and its access tokens).
    Status logout(const domain::HumanCaller &caller);
    // POST /auth/password-reset: {email} asks for a code (the same answer whatever the address);
    // {email, code, newPassword} sets the password, lifts a lock and ends every session (audited).
    Result<QJsonObject> passwordReset(const QJsonObject &body, const QString &ip);

    // "" when acceptable, else why (for a 422 field message).
    static QString passwordViolation(const QString &password, const QString &email);

private:
    Status recordFailedLogin(const QString &humanId, const QString &ip);
    Result<QJsonObject> confirmPasswordReset(const QJsonObject &body, const QString &ip);

    db::Database &m_db;
    HumanSessions &m_sessions;
    HumanCodes &m_codes;
    PasswordGate &m_gate;
    Options m_options;
};

} // namespace bw::humans
