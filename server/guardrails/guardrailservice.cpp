#include "guardrailservice.h"

#include "textnormaliser.h"

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QJsonDocument>
#include <QSqlQuery>

#include <cmath>

namespace bw::guardrails {

namespace {
constexpr int kMaxContentChars = 50000; // of text, about the largest submission type (approach 20k + others)

QJsonValue parsedOrNull(const QVariant &v)
{
    if (v.isNull())
        return QJsonValue::Null;
    const QJsonDocument doc = QJsonDocument::fromJson(v.toString().toUtf8());
    return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(QJsonValue::Null);
}

QJsonValue textOrNull(const QVariant &v)
{
    return v.isNull() ? QJsonValue(QJsonValue::Null) : QJsonValue(v.toString());
}
} // namespace

GuardrailService::GuardrailService(db::Database &db) : m_db(db) {}

Result<QJsonObject> GuardrailService::submit(const domain::Caller &caller, const QJsonObject &body)
{
    FieldErrors errors;
    static const QStringList types = {QStringLiteral("problem"), QStringLiteral("solution"), QStringLiteral("debate"),
                                      QStringLiteral("mission")};
    const QString contentType = body.value(QStringLiteral("contentType")).toString();
    if (!types.contains(contentType))
        errors.add(QStringLiteral("contentType"), QStringLiteral("Must be one of problem, solution, debate, mission"));
    const QString contentId = body.value(QStringLiteral("contentId")).toString().toLower();
    if (!ids::isUuid(contentId))
        errors.add(QStringLiteral("contentId"), QStringLiteral("Must be a UUID"));
    QJsonObject content;
    const QJsonValue raw = body.value(QStringLiteral("content"));
    if (raw.isString())
        content = QJsonObject{{QStringLiteral("text"), raw.toString()}};
    else if (raw.isObject())
        content = raw.toObject();
    else
        errors.add(QStringLiteral("content"), QStringLiteral("Required: an object of fields or a string"));
    if (!content.isEmpty() || raw.isObject() || raw.isString()) {
        const QString text = textOf(content);
        if (text.trimmed().isEmpty())
            errors.add(QStringLiteral("content"), QStringLiteral("Contains no text"));
        else if (text.size() > kMaxContentChars)
            errors.add(QStringLiteral("content"), QStringLiteral("At most %1 characters of text").arg(kMaxContentChars));
        else if (text.contains(QChar(0)))
            errors.add(QStringLiteral("content"), QStringLiteral("Contains characters that cannot be stored"));
    }
    if (!errors.empty())
        return errors.toError();

    // Evaluation + job in one statement (one transaction). The position counts the live jobs of
    // the queue the new one joins (the statement's snapshot does not see its own insert: + 1).
    static const QString sql = QStringLiteral(
        "WITH ev AS ("
        " INSERT INTO guardrail_evaluations (id, content_id, content_type, agent_id, submitted_content, trust_tier, origin)"
        " VALUES (?::uuid, ?::uuid, ?, ?::uuid, ?::jsonb, 'new', 'api') RETURNING id),"
        " jb AS (INSERT INTO jobs (queue, kind, payload)"
        " SELECT ?, ?, jsonb_build_object('evaluationId', ev.id) FROM ev RETURNING id)"
        " SELECT (SELECT count(*) FROM jb), (SELECT count(*) FROM jobs WHERE queue = ?"
        "  AND state IN ('available', 'retryable', 'running')) + 1");
    const QString evaluationId = ids::newUuid();
    auto q = db::execCached(m_db.connection(), sql,
                            {evaluationId, contentId, contentType, caller.agentId,
                             QString::fromUtf8(QJsonDocument(content).toJson(QJsonDocument::Compact)),
                             QString::fromLatin1(kQueue), QString::fromLatin1(kKind), QString::fromLatin1(kQueue)});
    if (!q) {
        if (db::sqlState(q.error()) == QLatin1String(db::kForeignKeyViolation))
            return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Agent no longer exists"));
        if (db::sqlState(q.error()).startsWith(QLatin1String("22"))) {
            FieldErrors fields;
            fields.add(QStringLiteral("content"), QStringLiteral("Contains characters that cannot be stored"));
            return fields.toError();
        }
        return q.error();
    }
    if (!q->next() || q->value(0).toInt() != 1)
        return ApiError::internal(QStringLiteral("guardrail evaluation insert returned no job"));
    return QJsonObject{{QStringLiteral("evaluationId"), evaluationId},
                       {QStringLiteral("contentId"), contentId},
                       {QStringLiteral("status"), QStringLiteral("pending")},
                       {QStringLiteral("queuePosition"), q->value(1).toLongLong()}};
}

Result<QJsonObject> GuardrailService::status(const domain::Caller &caller, const QString &evaluationId)
{
    static const QString sql =
        QStringLiteral("SELECT agent_id::text, final_decision, alignment_score::float8, alignment_domain, layer_a_result::text,"
                       " layer_b_result::text, cache_hit, evaluation_duration_ms, decision_reason,"
                       " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
                       " to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
                       " extract(epoch FROM now() - created_at)::float8"
                       " FROM guardrail_evaluations WHERE id = ?::uuid");
    if (!ids::isUuid(evaluationId))
        return ApiError::notFound(QStringLiteral("Evaluation not found"));
    auto q = db::execCached(m_db.connection(), sql, {evaluationId.toLower()});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::notFound(QStringLiteral("Evaluation not found"));
    if (q->value(0).toString().compare(caller.agentId, Qt::CaseInsensitive) != 0)
        return ApiError::forbidden(QStringLiteral("You do not have access to this evaluation"));

    if (q->value(1).isNull()) {
        return QJsonObject{{QStringLiteral("evaluationId"), evaluationId.toLower()},
                           {QStringLiteral("status"), QStringLiteral("pending")},
                           {QStringLiteral("startedAt"), q->value(9).toString()},
                           {QStringLiteral("elapsedSeconds"), std::round(q->value(11).toDouble() * 1000) / 1000}};
    }
    return QJsonObject{
        {QStringLiteral("evaluationId"), evaluationId.toLower()},
        {QStringLiteral("status"), QStringLiteral("completed")},
        {QStringLiteral("finalDecision"), q->value(1).toString()},
        {QStringLiteral("alignmentScore"),
         q->value(2).isNull() ? QJsonValue(QJsonValue::Null) : QJsonValue(q->value(2).toDouble())},
        {QStringLiteral("alignmentDomain"), textOrNull(q->value(3))},
        {QStringLiteral("layerAResult"), parsedOrNull(q->value(4))},
        {QStringLiteral("layerBResult"), parsedOrNull(q->value(5))},
        {QStringLiteral("cacheHit"), q->value(6).toBool()},
        {QStringLiteral("evaluationDurationMs"),
         q->value(7).isNull() ? QJsonValue(QJsonValue::Null) : QJsonValue(q->value(7).toInt())},
        {QStringLiteral("reason"), textOrNull(q->value(8))},
        {QStringLiteral("completedAt"), q->value(10).toString()},
    };
}

} // namespace bw::guardrails
