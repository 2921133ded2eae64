#include "server/domain/content/solutionservice.h"

#include "server/domain/content/contentjson.h"
#include "server/domain/sqljson.h"

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"

namespace bw::domain {

namespace {
ApiError notFound()
{
    return ApiError::notFound(QStringLiteral("Solution not found"));
}

// "col1, col2, …" and "<valueExpr1>, …" of the input columns, for the INSERT.
QString columnNames()
{
    QStringList names;
    for (const auto &c : SolutionInput::columns())
        names << QString::fromLatin1(c.name);
    return names.join(QStringLiteral(", "));
}
QString valueExprs()
{
    QStringList exprs;
    for (const auto &c : SolutionInput::columns())
        exprs << QString::fromLatin1(c.valueExpr);
    return exprs.join(QStringLiteral(", "));
}
} // namespace

SolutionService::SolutionService(db::Database &db) : m_db(db), m_cursors(db) {}

Result<QByteArray> SolutionService::create(const Caller &caller, const SolutionInput &input)
{
    // One statement = one transaction: the solution, its evaluation and job, and both counters,
    // written together or not at all, in a single round trip. The checks ride along so a refused
    // create writes nothing and still says why.
    static const QString sql =
        QStringLiteral("WITH pr AS (SELECT id, status, guardrail_status, reported_by_agent_id FROM problems WHERE id = ?::uuid),"
                       " ok AS (SELECT id FROM pr WHERE status <> 'archived'"
                       "  AND (guardrail_status = 'approved' OR reported_by_agent_id = ?::uuid)),"
                       " s AS (INSERT INTO solutions (id, problem_id, proposed_by_agent_id, guardrail_evaluation_id, %1)"
                       "  SELECT ?::uuid, ok.id, ?::uuid, ?::uuid, %2 FROM ok RETURNING *),"
                       " %3,"
                       " pc AS (UPDATE problems SET solution_count = solution_count + 1 WHERE id IN (SELECT problem_id FROM s)),"
                       " ag AS (UPDATE agents SET total_solutions_proposed = total_solutions_proposed + 1"
                       "  WHERE id = ?::uuid AND EXISTS (SELECT 1 FROM s))"
                       " SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM pr) THEN 'not_found'"
                       "  WHEN (SELECT status FROM pr) = 'archived' THEN 'archived'"
                       "  WHEN NOT EXISTS (SELECT 1 FROM s) THEN 'forbidden' ELSE 'ok' END,"
                       " (SELECT row_to_json(t)::text FROM (SELECT %4 FROM s x) t)")
            .arg(columnNames(), valueExprs(),
                 contentsql::guardrailEnqueue(QStringLiteral("solution"), QStringLiteral("s"), QStringLiteral("s.id"),
                                              contentjson::solutionSubmitted(QStringLiteral("s"))),
                 contentjson::solutionColumns(QStringLiteral("x")));

    const QString solutionId = ids::newUuid();
    const QString evaluationId = ids::newUuid();
    QVariantList binds{input.problemId, caller.agentId, solutionId, caller.agentId, evaluationId};
    for (const auto &c : SolutionInput::columns())
        binds << input.values.value(QString::fromLatin1(c.name), contentsql::nullText());
    binds << evaluationId << caller.agentId << caller.agentId;

    auto r = contentsql::runOutcome(m_db.connection(), sql, binds);
    if (!r) {
        // The problem (or the agent) vanished between the check and the insert.
        if (db::sqlState(r.error()) == QLatin1String(db::kForeignKeyViolation))
            return ApiError::notFound(QStringLiteral("Problem not found"));
        return r.error();
    }
    if (r->outcome == QLatin1String("not_found"))
        return ApiError::notFound(QStringLiteral("Problem not found"));
    if (r->outcome == QLatin1String("archived"))
        return ApiError::conflict(QStringLiteral("Cannot submit solutions to an archived problem"));
    if (r->outcome == QLatin1String("forbidden"))
        return ApiError::forbidden(QStringLiteral("You do not have access to this problem"));
    return r->json;
}

KeysetSpec SolutionService::listSpec(const SolutionQuery &query, const QString &callerId)
{
    static const QString items = contentjson::solutionColumns(QStringLiteral("pg"));
    KeysetSpec spec;
    spec.list = QStringLiteral("solutions");
    spec.from = QStringLiteral("solutions s");
    spec.select = QStringLiteral("s.*");
    spec.itemColumns = items;
    spec.limit = query.page.limit;

    // Visibility first: it leads the list indexes.
    QStringList where;
    if (query.mine) {
        where << QStringLiteral("s.proposed_by_agent_id = ?::uuid");
        spec.whereBinds << callerId;
    } else {
        where << QStringLiteral("s.guardrail_status = 'approved'");
    }
    if (!query.problemId.isEmpty()) {
        where << QStringLiteral("s.problem_id = ?::uuid");
        spec.whereBinds << query.problemId;
    }
    if (!query.status.isEmpty()) {
        where << QStringLiteral("s.status = ?");
        spec.whereBinds << query.status;
    }
    spec.where = where.join(QStringLiteral(" AND "));

    if (query.sort == SolutionQuery::Sort::Score) {
        spec.sort = QStringLiteral("score");
        spec.keys << KeyPart{QStringLiteral("s.composite_score"), KeyPart::Kind::Numeric, {}};
    } else {
        spec.sort = QStringLiteral("recent");
    }
    spec.keys << KeyPart{QStringLiteral("s.created_at"), KeyPart::Kind::Timestamp, {}}
              << KeyPart{QStringLiteral("s.id"), KeyPart::Kind::Uuid, {}};
    return spec;
}

Result<Page> SolutionService::list(const SolutionQuery &query, const std::optional<Caller> &caller)
{
    if (query.mine && !caller)
        return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Authentication required for mine=true"));
    return runKeysetPage(m_db.connection(), m_cursors, listSpec(query, caller ? caller->agentId : QString()), query.page.cursor);
}

Result<QByteArray> SolutionService::get(const QString &id, const std::optional<Caller> &caller)
{
    static const QString sql =
        QStringLiteral("SELECT %1::text, s.proposed_by_agent_id::text, s.guardrail_status, (%2)::text"
                       " FROM solutions s LEFT JOIN guardrail_evaluations e ON e.id = s.guardrail_evaluation_id"
                       " WHERE s.id = ?::uuid")
            .arg(sqljson::rowJson(contentjson::solutionColumns(QStringLiteral("s"))),
                 contentjson::guardrailExplanation(QStringLiteral("e")));

    if (!ids::isUuid(id))
        return notFound();
    auto row = contentsql::runOwnedRow(m_db.connection(), sql, {id});
    if (!row)
        return row.error();
    if (!*row)
        return notFound();
    const bool owner = caller && (*row)->ownedBy(caller->agentId);
    if (owner)
        return (*row)->withExplanation();
    if ((*row)->guardrailStatus != QLatin1String("approved"))
        return ApiError::forbidden(QStringLiteral("You do not have access to this solution"));
    return (*row)->json;
}

Result<QByteArray> SolutionService::update(const Caller &caller, const QString &id, const SolutionInput &patch)
{
    // The composite score follows the three scores (trigger); the guardrail scores them again.
    static const QString sql =
        QStringLiteral(
            "WITH cur AS (SELECT s.proposed_by_agent_id, p.status AS problem_status FROM solutions s"
            "  JOIN problems p ON p.id = s.problem_id WHERE s.id = ?::uuid),"
            " up AS (UPDATE solutions s SET %1, impact_score = 0, feasibility_score = 0, cost_efficiency_score = 0,"
            "  guardrail_status = 'pending', guardrail_evaluation_id = ?::uuid, alignment_score = NULL, alignment_domain = NULL"
            "  WHERE s.id = ?::uuid AND s.proposed_by_agent_id = ?::uuid"
            "  AND NOT EXISTS (SELECT 1 FROM problems p WHERE p.id = s.problem_id AND p.status = 'archived') RETURNING s.*),"
            " %2"
            " SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM cur) THEN 'not_found'"
            "  WHEN (SELECT proposed_by_agent_id FROM cur) <> ?::uuid THEN 'forbidden'"
            "  WHEN EXISTS (SELECT 1 FROM up) THEN 'ok'"
            "  WHEN (SELECT problem_status FROM cur) = 'archived' THEN 'archived' ELSE 'not_found' END,"
            " (SELECT row_to_json(t)::text FROM (SELECT %3 FROM up x) t)")
            .arg(contentsql::setClauses(SolutionInput::columns()),
                 contentsql::guardrailEnqueue(QStringLiteral("solution"), QStringLiteral("up"), QStringLiteral("up.id"),
                                              contentjson::solutionSubmitted(QStringLiteral("up"))),
                 contentjson::solutionColumns(QStringLiteral("x")));

    if (!ids::isUuid(id))
        return notFound();
    const QString evaluationId = ids::newUuid();
    QVariantList binds{id};
    contentsql::bindAssignments(SolutionInput::columns(), patch.values, binds);
    binds << evaluationId << id << caller.agentId << evaluationId << caller.agentId << caller.agentId;

    auto r = contentsql::runOutcome(m_db.connection(), sql, binds);
    if (!r)
        return r.error();
    if (r->outcome == QLatin1String("not_found"))
        return notFound();
    if (r->outcome == QLatin1String("forbidden"))
        return ApiError::forbidden(QStringLiteral("You can only update your own solutions"));
    if (r->outcome == QLatin1String("archived"))
        return ApiError::conflict(QStringLiteral("The solution's problem is archived"));
    return r->json;
}

Status SolutionService::remove(const Caller &caller, const QString &id)
{
    // Debates go with the solution (ON DELETE CASCADE); missions are never deleted here.
    static const QString sql =
        QStringLiteral("WITH cur AS (SELECT proposed_by_agent_id FROM solutions WHERE id = ?::uuid),"
                       " live AS (SELECT 1 FROM missions WHERE solution_id = ?::uuid AND status <> 'archived' LIMIT 1),"
                       " del AS (DELETE FROM solutions s WHERE s.id = ?::uuid AND s.proposed_by_agent_id = ?::uuid"
                       "  AND NOT EXISTS (SELECT 1 FROM live) RETURNING s.problem_id),"
                       " pc AS (UPDATE problems SET solution_count = greatest(solution_count - 1, 0)"
                       "  WHERE id IN (SELECT problem_id FROM del))"
                       " SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM cur) THEN 'not_found'"
                       "  WHEN (SELECT proposed_by_agent_id FROM cur) <> ?::uuid THEN 'forbidden'"
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
        return ApiError::forbidden(QStringLiteral("You can only delete your own solutions"));
    if (r->outcome == QLatin1String("live_missions"))
        return ApiError::conflict(QStringLiteral("The solution has missions that are not archived"));
    return success();
}

} // namespace bw::domain
