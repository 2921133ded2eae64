#include "server/domain/content/problemeditservice.h"

#include "server/domain/content/contentjson.h"
#include "server/domain/sqljson.h"

#include "server/core/ids.h"
#include "server/db/database.h"

namespace bw::domain {

namespace {
ApiError notFound()
{
    return ApiError::notFound(QStringLiteral("Problem not found"));
}
} // namespace

Result<QByteArray> ProblemEditService::update(const Caller &caller, const QString &id, const ProblemPatch &patch)
{
    static const QString sql =
        QStringLiteral("WITH cur AS (SELECT id FROM problems WHERE id = ?::uuid),"
                       " up AS (UPDATE problems p SET %1, guardrail_status = 'pending', guardrail_evaluation_id = ?::uuid,"
                       "  alignment_score = NULL, alignment_domain = NULL"
                       "  WHERE p.id = ?::uuid AND p.reported_by_agent_id = ?::uuid RETURNING p.*),"
                       " %2"
                       " SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM cur) THEN 'not_found'"
                       "  WHEN NOT EXISTS (SELECT 1 FROM up) THEN 'forbidden' ELSE 'ok' END,"
                       " (SELECT row_to_json(t)::text FROM (SELECT %3 FROM up u) t)")
            .arg(contentsql::setClauses(ProblemPatch::columns()),
                 contentsql::guardrailEnqueue(QStringLiteral("problem"), QStringLiteral("up"), QStringLiteral("up.id"),
                                              contentjson::problemSubmitted(QStringLiteral("up"))),
                 sqljson::problemColumns(QStringLiteral("u")));

    if (!ids::isUuid(id))
        return notFound();
    const QString evaluationId = ids::newUuid();
    QVariantList binds{id};
    contentsql::bindAssignments(ProblemPatch::columns(), patch.values, binds);
    binds << evaluationId << id << caller.agentId << evaluationId << caller.agentId;

    auto r = contentsql::runOutcome(m_db.connection(), sql, binds);
    if (!r)
        return r.error();
    if (r->outcome == QLatin1String("not_found"))
        return notFound();
    if (r->outcome == QLatin1String("forbidden"))
        return ApiError::forbidden(QStringLiteral("You can only update your own problems"));
    return r->json;
}

Status ProblemEditService::remove(const Caller &caller, const QString &id)
{
    // Solutions and their debates go with the problem (ON DELETE CASCADE). Missions are never
    // deleted (humans may hold claims): while any is live the problem stays. Guardrail
    // evaluations stay too: they are the audit trail.
    static const QString sql =
        QStringLiteral("WITH cur AS (SELECT id, reported_by_agent_id FROM problems WHERE id = ?::uuid),"
                       " live AS (SELECT 1 FROM missions m JOIN solutions s ON s.id = m.solution_id"
                       "  WHERE s.problem_id = ?::uuid AND m.status <> 'archived' LIMIT 1),"
                       " del AS (DELETE FROM problems p WHERE p.id = ?::uuid AND p.reported_by_agent_id = ?::uuid"
                       "  AND NOT EXISTS (SELECT 1 FROM live) RETURNING p.id)"
                       " SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM cur) THEN 'not_found'"
                       "  WHEN (SELECT reported_by_agent_id FROM cur) <> ?::uuid THEN 'forbidden'"
                       "  WHEN EXISTS (SELECT 1 FROM live) THEN 'live_missions'"
                       "  WHEN EXISTS (SELECT 1 FROM del) THEN 'ok' ELSE 'not_found' END, NULL::text");

    if (!ids::isUuid(id))
        return notFound();
    auto r = contentsql::runOutcome(m_db.connection(), sql, {id, id, id, caller.agentId, caller.agentId});
    if (!r)
        return r.error();
    if (r->outcome == QLatin1String("not_found"))
        return notFound();
    if (r->outcome == QLatin1String("forbidden"))
        return ApiError::forbidden(QStringLiteral("You can only delete your own problems"));
    if (r->outcome == QLatin1String("live_missions"))
        return ApiError::conflict(QStringLiteral("The problem's solutions have missions that are not archived"));
    return success();
}

} // namespace bw::domain
