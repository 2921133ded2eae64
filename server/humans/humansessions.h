#pragma once
// People's sessions (humans.md §1): a session is a refresh-token family. Access tokens ("bwh_" +
// 64 hex, 15 min) and refresh tokens ("bwr_" + 64 hex, 30 days, single use, rotated on every
// refresh) are stored only as SHA-256 in PostgreSQL, so every node sharing the database validates
// them and a revocation takes effect at once everywhere. Presenting a refresh token that was
// already used revokes its whole family (stolen-token detection). Stateless and thread-safe: SQL
// runs on the calling thread's connection (request pool).

#include "server/core/result.h"
#include "server/domain/humancaller.h"

#include <QJsonObject>
#include <QSqlDatabase>
#include <QString>

#include <chrono>

namespace bw::db {
class Database;
}

namespace bw::humans {

class HumanSessions final {
public:
    struct Options {
        std::chrono::seconds accessTtl{std::chrono::minutes(15)};
        std::chrono::seconds refreshTtl{std::chrono::hours(24 * 30)};
    };

    struct Tokens {
        QString accessToken;  // shown once
        QString refreshToken; // shown once
        int expiresIn = 0;    // seconds the access token lives
        QString sessionId;

        // {accessToken, refreshToken, expiresIn, tokenType: "Bearer"}
        QJsonObject toJson() const;
    };

    HumanSessions(db::Database &db, Options options);

    // A new family for humanId. Inside the caller's transaction when one is open on db.
    Result<Tokens> open(QSqlDatabase db, const QString &humanId, const QString &ip);
    // POST /auth/refresh: a fresh pair in the same family. 401 UNAUTHORIZED for an unknown, revoked
    // or reused token (reuse revokes the family first, and is audited); 401 TOKEN_EXPIRED when expired.
    Result<Tokens> refresh(const QString &refreshToken, const QString &ip);
    // Bearer access token → caller. 401 UNAUTHORIZED unknown/revoked; 401 TOKEN_EXPIRED; 403 deactivated.
    Result<domain::HumanCaller> authenticate(const QString &accessToken);

    // Revokes one family (logout). Returns whether it was live.
    Result<bool> revoke(QSqlDatabase db, const QString &sessionId, const QString &reason);
    // Revokes every live family of a person (password reset). Returns how many.
    Result<int> revokeAll(QSqlDatabase db, const QString &humanId, const QString &reason);

    const Options &options() const { return m_options; }

private:
    Result<Tokens> issuePair(QSqlDatabase db, const QString &sessionId, const QString &humanId);

    db::Database &m_db;
    Options m_options;
};

} // namespace bw::humans
