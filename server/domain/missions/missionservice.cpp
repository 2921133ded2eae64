#include "server/domain/missions/missionservice.h"

#include "server/domain/content/contentjson.h"
#include "server/domain/content/contentsql.h"
#include "server/domain/sqljson.h"

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QStringList>

namespace bw::domain {

namespace {
ApiError notFound()
{
    return ApiError::notFound(QStringLiteral("Mission not found"));
}

QString columnNames()
{
    QStringList names;
    for (const auto &c : MissionInput::columns())
        names << QString::fromLatin1(c.name);
    return names.join(QStringLiteral(", "));
}
QString valueExprs()
{
    QStringList exprs;
    for (const auto &c : MissionInput::columns())
        exprs << QString::fromLatin1(c.valueExpr);
    return exprs.join(QStringLiteral(", "));
}
} // namespace

MissionService::MissionService(db::Database &db) : m_db(db), m_cursors(db) {}

Result<QByteArray> MissionService::create(const Caller &caller, const MissionInput &input)
{
    // The mission takes its problem's domain. The earth point follows the coordinates (trigger).
    static const QString sql =
        QStringLiteral(
            "WITH sol AS (SELECT s.id, s.proposed_by_agent_id, s.guardrail_status, p.domain FROM solutions s"
            "  JOIN problems p ON p.id = s.problem_id WHERE s.id = ?::uuid),"
            " ok AS (SELECT id, domain FROM sol WHERE proposed_by_agent_id = ?::uuid AND guardrail_status = 'approved'),"
            " m AS (INSERT INTO missions (id, solution_id, created_by_agent_id, domain, guardrail_evaluation_id, %1)"
            "  SELECT ?::uuid, ok.id, ?::uuid, ok.domain, ?::uuid, %2 FROM ok RETURNING *),"
            " %3"
            " SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM sol) THEN 'not_found'"
            "  WHEN (SELECT proposed_by_agent_id FROM sol) <> ?::uuid THEN 'forbidden'"
            "  WHEN NOT EXISTS (SELECT 1 FROM m) THEN 'not_approved' ELSE 'ok' END,"
            " (SELECT row_to_json(t)::text FROM (SELECT %4 FROM m x) t)")
            .arg(columnNames(), valueExprs(),
                 contentsql::guardrailEnqueue(QStringLiteral("mission"), QStringLiteral("m"), QStringLiteral("m.id"),
                                              contentjson::missionSubmitted(QStringLiteral("m"))),
                 contentjson::missionOwnerColumns(QStringLiteral("x")));

    const QString missionId = ids::newUuid();
    const QString evaluationId = ids::newUuid();
    QVariantList binds{input.solutionId, caller.agentId, missionId, caller.agentId, evaluationId};
    for (const auto &c : MissionInput::columns())
        binds << input.values.value(QString::fromLatin1(c.name), contentsql::nullText());
    binds << evaluationId << caller.agentId << caller.agentId;

    auto r = contentsql::runOutcome(m_db.connection(), sql, binds);
    if (!r) {
        if (db::sqlState(r.error()) == QLatin1String(db::kForeignKeyViolation))
            return ApiError::notFound(QStringLiteral("Solution not found"));
        return r.error();
    }
    if (r->outcome == QLatin1String("not_found"))
        return ApiError::notFound(QStringLiteral("Solution not found"));
    if (r->outcome == QLatin1String("forbidden"))
        return ApiError::forbidden(QStringLiteral("You can only create missions for your own solutions"));
    if (r->outcome == QLatin1String("not_approved"))
        return ApiError::forbidden(QStringLiteral("Solution must be approved before creating missions"));
    return r->json;
}

KeysetSpec MissionService::ownListSpec(const QString &callerId, const MissionQuery &query)
{
    static const QString items = contentjson::missionOwnerColumns(QStringLiteral("pg"));
    KeysetSpec spec;
    spec.list = QStringLiteral("missions.agent");
    spec.sort = QStringLiteral("createdAt");
    spec.from = QStringLiteral("missions m");
    spec.select = QStringLiteral("m.*");
    spec.itemColumns = items;
    spec.limit = query.page.limit;
    spec.where = QStringLiteral("m.created_by_agent_id = ?::uuid");
    spec.whereBinds << callerId;
    if (!query.status.isEmpty()) {
        spec.where += QStringLiteral(" AND m.status = ?");
        spec.whereBinds << query.status;
    }
    spec.keys << KeyPart{QStringLiteral("m.created_at"), KeyPart::Kind::Timestamp, {}}
              << KeyPart{QStringLiteral("m.id"), KeyPart::Kind::Uuid, {}};
    return spec;
}

Result<Page> MissionService::listOwn(const Caller &caller, const MissionQuery &query)
{
    return runKeysetPage(m_db.connection(), m_cursors, ownListSpec(caller.agentId, query), query.page.cursor);
}

Result<QByteArray> MissionService::get(const QString &id, const std::optional<Caller> &caller)
{
    // One row, already in the right view: the creator's (exact) or the public one (approximate).
    static const QString sql =
        QStringLiteral("SELECT CASE WHEN m.created_by_agent_id = ?::uuid THEN %1 ELSE %2 END::text,"
                       " m.created_by_agent_id::text, m.guardrail_status, (%3)::text"
                       " FROM missions m LEFT JOIN guardrail_evaluations e ON e.id = m.guardrail_evaluation_id"
                       " WHERE m.id = ?::uuid")
            .arg(sqljson::rowJson(contentjson::missionOwnerColumns(QStringLiteral("m"))),
                 sqljson::rowJson(contentjson::missionPublicColumns(QStringLiteral("m"), false)),
                 contentjson::guardrailExplanation(QStringLiteral("e")));

    if (!ids::isUuid(id))
        return notFound();
    const QVariant callerId = caller ? QVariant(caller->agentId) : contentsql::nullText();
    auto row = contentsql::runOwnedRow(m_db.connection(), sql, {callerId, id});
    if (!row)
        return row.error();
    if (!*row)
        return notFound();
    if (caller && (*row)->ownedBy(caller->agentId))
        return (*row)->withExplanation();
    // As the reference API: a mission nobody else may see does not exist for them.
    if ((*row)->guardrailStatus != QLatin1String("approved"))
        return notFound();
    return (*row)->json;
}

Result<QByteArray> MissionService::update(const Caller &caller, const QString &id, const MissionInput &patch)
{
    // The version check and the write are one UPDATE: of two racing PATCHes carrying the same
    // version, the second re-checks the row after the first commits and matches nothing → 409.
    static const QString sql =
        QStringLiteral("WITH cur AS (SELECT created_by_agent_id, current_claim_count, status FROM missions WHERE id = ?::uuid),"
                       " up AS (UPDATE missions m SET %1, guardrail_status = 'pending', guardrail_evaluation_id = ?::uuid,"
                       "  alignment_score = NULL, alignment_domain = NULL, version = m.version + 1"
                       "  WHERE m.id = ?::uuid AND m.created_by_agent_id = ?::uuid AND m.current_claim_count = 0"
                       "  AND m.status NOT IN ('archived', 'verified') AND (?::int IS NULL OR m.version = ?::int) RETURNING m.*),"
                       " %2"
                       " SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM cur) THEN 'not_found'"
                       "  WHEN (SELECT created_by_agent_id FROM cur) <> ?::uuid THEN 'forbidden'"
                       "  WHEN EXISTS (SELECT 1 FROM up) THEN 'ok'"
                       "  WHEN (SELECT current_claim_count FROM cur) > 0 THEN 'active_claims'"
                       "  WHEN (SELECT status FROM cur) IN ('archived', 'verified') THEN 'closed'"
                       "  ELSE 'version_conflict' END,"
                       " (SELECT row_to_json(t)::text FROM (SELECT %3 FROM up x) t)")
            .arg(contentsql::setClauses(MissionInput::columns()),
                 contentsql::guardrailEnqueue(QStringLiteral("mission"), QStringLiteral("up"), QStringLiteral("up.id"),
                                              contentjson::missionSubmitted(QStringLiteral("up"))),
                 contentjson::missionOwnerColumns(QStringLiteral("x")));

    if (!ids::isUuid(id))
        return notFound();
    const QString evaluationId = ids::newUuid();
    const QVariant version = patch.version ? QVariant(*patch.version) : QVariant(QMetaType::fromType<int>());
    QVariantList binds{id};
    contentsql::bindAssignments(MissionInput::columns(), patch.values, binds);
    binds << evaluationId << id << caller.agentId << version << version << evaluationId << caller.agentId << caller.agentId;

    auto r = contentsql::runOutcome(m_db.connection(), sql, binds);
    if (!r)
        return r.error();
    const QString &o = r->outcome;
    if (o == QLatin1String("not_found"))
        return notFound();
    if (o == QLatin1String("forbidden"))
        return ApiError::forbidden(QStringLiteral("You can only update your own missions"));
    if (o == QLatin1String("active_claims"))
        return ApiError::conflict(QStringLiteral("Cannot edit a mission with active claims"));
    if (o == QLatin1String("closed"))
        return ApiError::conflict(QStringLiteral("Archived or verified missions cannot be edited"));
    if (o == QLatin1String("version_conflict"))
        return ApiError::make(
            ErrorKind::Conflict,
            QStringLiteral("Mission was modified by another request; read it again and retry with its current version"),
            QJsonObject{{QStringLiteral("expectedVersion"), patch.version ? *patch.version : 0}});
    return r->json;
}

Result<QByteArray> MissionService::archive(const Caller &caller, const QString &id)
{
    static const QString sql =
        QStringLiteral("WITH cur AS (SELECT created_by_agent_id, current_claim_count, status FROM missions WHERE id = ?::uuid),"
                       " up AS (UPDATE missions m SET status = 'archived', version = m.version + 1"
                       "  WHERE m.id = ?::uuid AND m.created_by_agent_id = ?::uuid AND m.current_claim_count = 0"
                       "  AND m.status <> 'archived' RETURNING m.id)"
                       " SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM cur) THEN 'not_found'"
                       "  WHEN (SELECT created_by_agent_id FROM cur) <> ?::uuid THEN 'forbidden'"
                       "  WHEN EXISTS (SELECT 1 FROM up) OR (SELECT status FROM cur) = 'archived' THEN 'ok'"
                       "  WHEN (SELECT current_claim_count FROM cur) > 0 THEN 'active_claims' ELSE 'changed' END, NULL::text");

    if (!ids::isUuid(id))
        return notFound();
    auto r = contentsql::runOutcome(m_db.connection(), sql, {id, id, caller.agentId, caller.agentId});
    if (!r)
        return r.error();
    if (r->outcome == QLatin1String("not_found"))
        return notFound();
    if (r->outcome == QLatin1String("forbidden"))
        return ApiError::forbidden(QStringLiteral("You can only archive your own missions"));
    if (r->outcome == QLatin1String("active_claims"))
        return ApiError::conflict(QStringLiteral("Cannot archive a mission with active claims"));
    if (r->outcome == QLatin1String("changed"))
        return ApiError::conflict(QStringLiteral("Mission changed meanwhile; read it again and retry"));
    return QByteArray(QByteArrayLiteral("{\"deleted\":true,\"id\":\"") + id.toLower().toLatin1()
                      + QByteArrayLiteral("\",\"status\":\"archived\"}"));
}

Result<int> MissionService::expireOverdue()
{
    // Only unclaimed missions: claimed work in progress is finished or released by its claimants.
    auto r = db::exec(m_db.connection(), QStringLiteral("UPDATE missions SET status = 'expired', version = version + 1"
                                                        " WHERE status = 'open' AND expires_at <= now()"));
    if (!r)
        return r.error();
    return r->numRowsAffected();
}

} // namespace bw::domain
