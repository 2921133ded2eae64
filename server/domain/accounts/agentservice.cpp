#include "server/domain/accounts/agentservice.h"

#include "server/domain/accounts/agentinput.h"
#include "server/domain/sqljson.h"

#include "server/core/apikey.h"
#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>

namespace bw::domain {

namespace {
ApiError keyInvalid()
{
    return ApiError::make(ErrorKind::ApiKeyInvalid, QStringLiteral("Invalid API key"));
}

// The server text names the violated index (agents_username_lower_key); other unique
// violations (none today) must not be reported as a taken username.
bool isUsernameClash(const ApiError &e)
{
    return db::sqlState(e) == QLatin1String(db::kUniqueViolation)
           && e.message.contains(QLatin1String("username"), Qt::CaseInsensitive);
}
} // namespace

AgentService::AgentService(db::Database &db) : AgentService(db, Options{}) {}
AgentService::AgentService(db::Database &db, Options options) : m_db(db), m_options(options) {}

Result<QJsonObject> AgentService::registerAgent(const QJsonObject &body)
{
    auto input = AgentInput::parse(body);
    if (!input)
        return input.error();

    static const QString sql =
        QStringLiteral("INSERT INTO agents (id, username, display_name, framework, model_provider, model_name, soul_summary,"
                       " specializations, email, api_key_hash, api_key_prefix)"
                       " VALUES (?::uuid, ?, ?, ?, ?, ?, ?, ARRAY(SELECT jsonb_array_elements_text(?::jsonb)), ?, ?, ?)");
    const QString specializations =
        QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(input->specializations)).toJson(QJsonDocument::Compact));

    const QString agentId = ids::newUuid();
    const QString key = apikey::generate();
    // No check-then-insert: the unique index on lower(username) decides, race-free.
    auto q = db::execCached(m_db.connection(), sql,
                            {agentId, input->username, db::optionalText(input->displayName), input->framework,
                             db::optionalText(input->modelProvider), db::optionalText(input->modelName),
                             db::optionalText(input->soulSummary), specializations, db::optionalText(input->email),
                             QString::fromLatin1(apikey::hash(key)), apikey::prefix(key)});
    if (!q) {
        if (isUsernameClash(q.error()))
            return ApiError::make(ErrorKind::UsernameTaken, QStringLiteral("Username is already taken"));
        return q.error();
    }
    return QJsonObject{
        {QStringLiteral("agentId"), agentId}, {QStringLiteral("apiKey"), key}, {QStringLiteral("username"), input->username}};
}

Result<Caller> AgentService::authenticate(const QString &apiKey)
{
    if (!apikey::looksValid(apiKey))
        return keyInvalid();
    const QByteArray keyHash = apikey::hash(apiKey);
    const auto now = std::chrono::steady_clock::now();

    if (m_options.authCacheTtl.count() > 0) {
        std::lock_guard lock(m_cacheMutex);
        const auto it = m_cache.constFind(keyHash);
        if (it != m_cache.constEnd()) {
            if (it->expires > now)
                return it->caller;
            m_cache.erase(it);
        }
    }

    // One indexed query over both prefix columns (current key, or previous key still valid).
    static const QString sql =
        QStringLiteral("SELECT id::text, username, claim_status, rate_limit_override, is_active, api_key_prefix, api_key_hash,"
                       " previous_api_key_prefix, previous_api_key_hash,"
                       " extract(epoch FROM previous_api_key_expires_at - now())::float8"
                       " FROM agents WHERE api_key_prefix = ?"
                       " OR (previous_api_key_prefix = ? AND previous_api_key_expires_at > now())");
    const QString prefix = apikey::prefix(apiKey);
    auto q = db::execCached(m_db.connection(), sql, {prefix, prefix});
    if (!q)
        return q.error();

    while (q->next()) {
        const bool current =
            q->value(5).toString() == prefix && apikey::constantTimeEquals(q->value(6).toString().toLatin1(), keyHash);
        const bool deprecated = !current && q->value(7).toString() == prefix && q->value(9).toDouble() > 0
                                && apikey::constantTimeEquals(q->value(8).toString().toLatin1(), keyHash);
        if (!current && !deprecated)
            continue; // same 12-char prefix, different key (another agent's, or a guess)
        if (!q->value(4).toBool())
            return ApiError::forbidden(QStringLiteral("Agent is deactivated"));

        Caller caller;
        caller.agentId = q->value(0).toString();
        caller.username = q->value(1).toString();
        caller.claimStatus = q->value(2).toString();
        if (!q->value(3).isNull())
            caller.rateLimitOverride = q->value(3).toInt();
        caller.usedDeprecatedKey = deprecated;
        caller.keyHash = keyHash;

        if (m_options.authCacheTtl.count() > 0) {
            auto expires = now + m_options.authCacheTtl;
            if (deprecated) // never serve a previous key past its own expiry
                expires = std::min(expires, now + std::chrono::milliseconds(qint64(q->value(9).toDouble() * 1000)));
            std::lock_guard lock(m_cacheMutex);
            if (m_cache.size() >= m_options.authCacheMaxEntries)
                m_cache.clear();
            m_cache.insert(keyHash, CacheEntry{caller, expires});
        }
        return caller;
    }
    return keyInvalid();
}

Result<QJsonObject> AgentService::me(const Caller &caller)
{
    static const QString sql = QStringLiteral("SELECT row_to_json(t)::text FROM (SELECT %1 FROM agents a WHERE a.id = ?::uuid) t")
                                   .arg(sqljson::agentColumns(QStringLiteral("a"), true));
    auto q = db::execCached(m_db.connection(), sql, {caller.agentId});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::notFound(QStringLiteral("Agent not found"));
    return db::jsonObject(q->value(0).toString(), "agent");
}

Result<QJsonObject> AgentService::rotateKey(const Caller &caller)
{
    if (caller.usedDeprecatedKey)
        return ApiError::forbidden(QStringLiteral("This API key was already rotated; use your current key to rotate again"));
    // Only while the presented key is still the current one: of racing rotations with one key, the
    // first wins and the rest get 409 — otherwise each would demote the key the previous one just
    // handed out, and the original key would lose its 24 h grace (the row lock orders them).
    static const QString sql =
        QStringLiteral("UPDATE agents SET previous_api_key_hash = api_key_hash, previous_api_key_prefix = api_key_prefix,"
                       " previous_api_key_expires_at = now() + make_interval(secs => %1), api_key_hash = ?, api_key_prefix = ?"
                       " WHERE id = ?::uuid AND is_active AND api_key_hash = ?"
                       " RETURNING to_char(previous_api_key_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
            .arg(kPreviousKeyGraceSeconds);
    const QString key = apikey::generate();
    QSqlDatabase db = m_db.connection();
    auto q = db::execCached(
        db, sql,
        {QString::fromLatin1(apikey::hash(key)), apikey::prefix(key), caller.agentId, QString::fromLatin1(caller.keyHash)});
    if (!q)
        return q.error();
    if (!q->next()) {
        auto active =
            db::scalar(db::exec(db, QStringLiteral("SELECT is_active FROM agents WHERE id = ?::uuid"), {caller.agentId}));
        if (!active)
            return active.error();
        if (!active->toBool())
            return ApiError::forbidden(QStringLiteral("Agent is deactivated"));
        forgetAgent(caller.agentId);
        return ApiError::conflict(
            QStringLiteral("This key was rotated by another request a moment ago; use the key that rotation returned"));
    }
    // Cached authentications still say "current key" for the old one: drop them so it turns deprecated now.
    forgetAgent(caller.agentId);
    return QJsonObject{{QStringLiteral("apiKey"), key}, {QStringLiteral("previousKeyExpiresAt"), q->value(0).toString()}};
}

void AgentService::forgetAgent(const QString &agentId)
{
    std::lock_guard lock(m_cacheMutex);
    m_cache.removeIf([&](const auto &it) { return it.value().caller.agentId == agentId; });
}

void AgentService::clearAuthCache()
{
    std::lock_guard lock(m_cacheMutex);
    m_cache.clear();
}

} // namespace bw::domain
