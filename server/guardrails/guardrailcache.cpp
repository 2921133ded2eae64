#include "guardrailcache.h"

#include "server/db/sql.h"

#include <QJsonDocument>
#include <QSqlQuery>

namespace bw::guardrails::cache {

Result<std::optional<QJsonObject>> lookup(QSqlDatabase db, const QString &key)
{
    static const QString sql =
        QStringLiteral("UPDATE guardrail_cache SET hit_count = hit_count + 1 WHERE cache_key = ? AND expires_at > now()"
                       " RETURNING result::text");
    auto q = db::execCached(db, sql, {key});
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<QJsonObject>();
    const QJsonDocument doc = QJsonDocument::fromJson(q->value(0).toString().toUtf8());
    if (!doc.isObject())
        return std::optional<QJsonObject>();
    return std::optional<QJsonObject>(doc.object());
}

Status store(QSqlDatabase db, const QString &key, const QJsonObject &result, int ttlSeconds)
{
    static const QString sql =
        QStringLiteral("INSERT INTO guardrail_cache (cache_key, result, expires_at)"
                       " VALUES (?, ?::jsonb, now() + make_interval(secs => ?))"
                       " ON CONFLICT (cache_key) DO UPDATE SET result = EXCLUDED.result, expires_at = EXCLUDED.expires_at,"
                       " created_at = now(), hit_count = 0");
    auto q = db::execCached(db, sql, {key, QString::fromUtf8(QJsonDocument(result).toJson(QJsonDocument::Compact)), ttlSeconds});
    if (!q)
        return q.error();
    return success();
}

Result<int> prune(QSqlDatabase db, int limit)
{
    static const QString sql = QStringLiteral(
        "WITH gone AS (DELETE FROM guardrail_cache WHERE cache_key IN"
        " (SELECT cache_key FROM guardrail_cache WHERE expires_at <= now() ORDER BY expires_at LIMIT ?) RETURNING 1)"
        " SELECT count(*) FROM gone");
    auto removed = db::scalar(db::execCached(db, sql, {limit}));
    if (!removed)
        return removed.error();
    return removed->toInt();
}

} // namespace bw::guardrails::cache
