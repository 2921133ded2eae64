#include "server/humans/humansessions.h"

#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/moderation/auditlog.h"
#include "server/moderation/passwordhash.h"

#include <QCryptographicHash>
#include <QLoggingCategory>

#include <sodium.h>

#include <algorithm>

Q_LOGGING_CATEGORY(lcHumanSessions, "bw.humans.sessions")

namespace bw::humans {

namespace {
constexpr int kTokenBytes = 32;
constexpr int kPrefixLength = 4; // "bwh_" / "bwr_"

QString newToken(const char *prefix)
{
    moderation::password::initialize(); // libsodium
    unsigned char raw[kTokenBytes];
    randombytes_buf(raw, sizeof raw);
    const QByteArray hex = QByteArray(reinterpret_cast<const char *>(raw), sizeof raw).toHex();
    sodium_memzero(raw, sizeof raw);
    return QString::fromLatin1(prefix) + QString::fromLatin1(hex);
}

bool wellFormed(const QString &token, const char *prefix)
{
    if (token.size() != kPrefixLength + kTokenBytes * 2 || !token.startsWith(QLatin1String(prefix)))
        return false;
    return std::all_of(token.cbegin() + kPrefixLength, token.cend(),
                       [](QChar c) { return (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f'); });
}

QString tokenHash(const QString &token)
{
    return QString::fromLatin1(QCryptographicHash::hash(token.toLatin1(), QCryptographicHash::Sha256).toHex());
}

ApiError invalidRefresh()
{
    return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Invalid refresh token; log in again"));
}

// The family and the access tokens issued under it, in one statement.
const QString kRevokeFamily = QStringLiteral(
    "WITH a AS (DELETE FROM human_access_tokens WHERE session_id = ?::uuid),"
    " u AS (UPDATE human_sessions SET revoked_at = now(), revoked_reason = ? WHERE id = ?::uuid AND revoked_at IS NULL"
    "  RETURNING 1) SELECT count(*)::int FROM u");
} // namespace

QJsonObject HumanSessions::Tokens::toJson() const
{
    return QJsonObject{{QStringLiteral("accessToken"), accessToken},
                       {QStringLiteral("refreshToken"), refreshToken},
                       {QStringLiteral("expiresIn"), expiresIn},
                       {QStringLiteral("tokenType"), QStringLiteral("Bearer")}};
}

HumanSessions::HumanSessions(db::Database &db, Options options) : m_db(db), m_options(options) {}

Result<HumanSessions::Tokens> HumanSessions::issuePair(QSqlDatabase db, const QString &sessionId, const QString &humanId)
{
    Tokens t;
    t.accessToken = newToken(domain::humantoken::kAccessPrefix);
    t.refreshToken = newToken(domain::humantoken::kRefreshPrefix);
    t.expiresIn = int(m_options.accessTtl.count());
    t.sessionId = sessionId;
    auto q =
        db::execCached(db,
                       QStringLiteral("WITH a AS (INSERT INTO human_access_tokens (token_hash, session_id, human_id, expires_at)"
                                      "  VALUES (?, ?::uuid, ?::uuid, now() + make_interval(secs => ?)))"
                                      " INSERT INTO human_refresh_tokens (token_hash, session_id, expires_at)"
                                      " VALUES (?, ?::uuid, now() + make_interval(secs => ?))"),
                       {tokenHash(t.accessToken), sessionId, humanId, double(m_options.accessTtl.count()),
                        tokenHash(t.refreshToken), sessionId, double(m_options.refreshTtl.count())});
    if (!q)
        return q.error();
    return t;
}

Result<HumanSessions::Tokens> HumanSessions::open(QSqlDatabase db, const QString &humanId, const QString &ip)
{
    auto session = db::scalar(db::execCached(
        db, QStringLiteral("INSERT INTO human_sessions (human_id, ip) VALUES (?::uuid, ?::inet) RETURNING id::text"),
        {humanId, db::textOrNull(moderation::audit::inetOrEmpty(ip))}));
    if (!session)
        return session.error();
    auto tokens = issuePair(db, session->toString(), humanId);
    // Housekeeping, best effort: access tokens expired for a day are of no use.
    (void)db::execCached(db, QStringLiteral("DELETE FROM human_access_tokens WHERE expires_at < now() - interval '1 day'"));
    return tokens;
}

Result<HumanSessions::Tokens> HumanSessions::refresh(const QString &refreshToken, const QString &ip)
{
    if (!wellFormed(refreshToken, domain::humantoken::kRefreshPrefix))
        return invalidRefresh();
    QSqlDatabase db = m_db.connection();
    db::Transaction tx(db);
    if (!tx.begin_status())
        return tx.begin_status().error();
    const QString hash = tokenHash(refreshToken);
    // Locks the token and its family: of two concurrent refreshes with one token, the second sees it used.
    auto row = db::execCached(db,
                              QStringLiteral("SELECT r.session_id::text, r.used_at IS NOT NULL, r.expires_at > now(),"
                                             " s.revoked_at IS NOT NULL, s.human_id::text, h.is_active"
                                             " FROM human_refresh_tokens r JOIN human_sessions s ON s.id = r.session_id"
                                             " JOIN humans h ON h.id = s.human_id WHERE r.token_hash = ? FOR UPDATE OF r, s"),
                              {hash});
    if (!row)
        return row.error();
    if (!row->next())
        return invalidRefresh();
    const QString sessionId = row->value(0).toString();
    const bool used = row->value(1).toBool();
    const bool live = row->value(2).toBool();
    const bool revoked = row->value(3).toBool();
    const QString humanId = row->value(4).toString();
    const bool active = row->value(5).toBool();
    row->finish();
    if (revoked)
        return invalidRefresh();
    if (used) {
        // Someone holds a copy of a token that was already exchanged: end the family for everyone.
        auto r = db::execCached(db, kRevokeFamily, {sessionId, QStringLiteral("refresh_reuse"), sessionId});
        if (!r)
            return r.error();
        moderation::AuditEntry entry =
            moderation::AuditEntry::bySystem(QStringLiteral("human.refresh_reuse"), QStringLiteral("human"), humanId);
        entry.after = QJsonObject{{QStringLiteral("sessionId"), sessionId}};
        entry.ip = ip;
        if (Status a = moderation::audit::append(db, entry); !a)
            return a.error();
        if (Status c = tx.commit(); !c)
            return c.error();
        qCWarning(lcHumanSessions).noquote()
            << "refresh token reused: session" << sessionId << "of human" << humanId << "revoked";
        return ApiError::make(ErrorKind::Unauthorized,
                              QStringLiteral("Refresh token already used; this session has been revoked, log in again"));
    }
    if (!live)
        return ApiError::make(ErrorKind::TokenExpired, QStringLiteral("Refresh token expired; log in again"));
    if (!active)
        return ApiError::forbidden(QStringLiteral("Account is deactivated"));
    auto spent =
        db::execCached(db,
                       QStringLiteral("WITH s AS (UPDATE human_sessions SET last_refreshed_at = now() WHERE id = ?::uuid)"
                                      " UPDATE human_refresh_tokens SET used_at = now() WHERE token_hash = ?"),
                       {sessionId, hash});
    if (!spent)
        return spent.error();
    auto tokens = issuePair(db, sessionId, humanId);
    if (!tokens)
        return tokens;
    if (Status c = tx.commit(); !c)
        return c.error();
    return tokens;
}

Result<domain::HumanCaller> HumanSessions::authenticate(const QString &accessToken)
{
    if (!wellFormed(accessToken, domain::humantoken::kAccessPrefix))
        return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Invalid access token"));
    // One indexed lookup per request; the session join makes a revocation effective at once.
    auto q =
        db::execCached(m_db.connection(),
                       QStringLiteral("SELECT a.human_id::text, a.session_id::text, a.expires_at > now(), h.email, h.is_active"
                                      " FROM human_access_tokens a"
                                      " JOIN human_sessions s ON s.id = a.session_id AND s.revoked_at IS NULL"
                                      " JOIN humans h ON h.id = a.human_id WHERE a.token_hash = ?"),
                       {tokenHash(accessToken)});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Invalid access token"));
    if (!q->value(2).toBool())
        return ApiError::make(ErrorKind::TokenExpired, QStringLiteral("Access token expired; refresh it"));
    if (!q->value(4).toBool())
        return ApiError::forbidden(QStringLiteral("Account is deactivated"));
    return domain::HumanCaller{q->value(0).toString(), q->value(1).toString(), q->value(3).toString()};
}

Result<bool> HumanSessions::revoke(QSqlDatabase db, const QString &sessionId, const QString &reason)
{
    auto n = db::scalar(db::execCached(db, kRevokeFamily, {sessionId, reason, sessionId}));
    if (!n)
        return n.error();
    return n->toInt() > 0;
}

Result<int> HumanSessions::revokeAll(QSqlDatabase db, const QString &humanId, const QString &reason)
{
    auto n = db::scalar(db::execCached(db,
                                       QStringLiteral("WITH a AS (DELETE FROM human_access_tokens WHERE human_id = ?::uuid),"
                                                      " u AS (UPDATE human_sessions SET revoked_at = now(), revoked_reason = ?"
                                                      "  WHERE human_id = ?::uuid AND revoked_at IS NULL RETURNING 1)"
                                                      " SELECT count(*)::int FROM u"),
                                       {humanId, reason, humanId}));
    if (!n)
        return n.error();
    return n->toInt();
}

} // namespace bw::humans
