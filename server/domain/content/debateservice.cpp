#include "server/domain/content/debateservice.h"

#include "server/domain/content/contentjson.h"
#include "server/domain/content/contentsql.h"

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"

namespace bw::domain {

namespace {
ApiError solutionNotFound()
{
    return ApiError::notFound(QStringLiteral("Solution not found"));
}
ApiError solutionForbidden()
{
    return ApiError::forbidden(QStringLiteral("You do not have access to this solution"));
}

ApiError parentError(const QString &message)
{
    FieldErrors fields;
    fields.add(QStringLiteral("parentDebateId"), message);
    return fields.toError();
}
} // namespace

DebateService::DebateService(db::Database &db) : m_db(db), m_cursors(db) {}

KeysetSpec DebateService::listSpec(const QString &solutionId, const DebateQuery &query, const QString &callerId)
{
    static const QString items = contentjson::debateColumns(QStringLiteral("pg"), QStringLiteral("pg._agent_username"),
                                                            QStringLiteral("pg._agent_display_name"));
    KeysetSpec spec;
    spec.list = QStringLiteral("debates");
    spec.sort = QStringLiteral("recent");
    spec.from = QStringLiteral("debates d JOIN agents a ON a.id = d.agent_id");
    spec.select = QStringLiteral("d.*, a.username AS _agent_username, a.display_name AS _agent_display_name");
    spec.itemColumns = items;
    spec.limit = query.page.limit;
    spec.where = QStringLiteral("d.solution_id = ?::uuid AND (d.guardrail_status = 'approved' OR d.agent_id = ?::uuid)");
    spec.whereBinds << solutionId << (callerId.isEmpty() ? contentsql::nullText() : QVariant(callerId));
    if (!query.stance.isEmpty()) {
        spec.where += QStringLiteral(" AND d.stance = ?");
        spec.whereBinds << query.stance;
    }
    spec.keys << KeyPart{QStringLiteral("d.created_at"), KeyPart::Kind::Timestamp, {}}
              << KeyPart{QStringLiteral("d.id"), KeyPart::Kind::Uuid, {}};
    return spec;
}

Result<Page> DebateService::list(const QString &solutionId, const DebateQuery &query, const std::optional<Caller> &caller)
{
    if (!ids::isUuid(solutionId))
        return solutionNotFound();
    auto q = db::execCached(
        m_db.connection(),
        QStringLiteral("SELECT guardrail_status, proposed_by_agent_id::text FROM solutions WHERE id = ?::uuid"), {solutionId});
    if (!q)
        return q.error();
    if (!q->next())
        return solutionNotFound();
    const bool owner = caller && caller->agentId.compare(q->value(1).toString(), Qt::CaseInsensitive) == 0;
    if (q->value(0).toString() != QLatin1String("approved") && !owner)
        return solutionForbidden();
    return runKeysetPage(m_db.connection(), m_cursors, listSpec(solutionId, query, caller ? caller->agentId : QString()),
                         query.page.cursor);
}

Result<QByteArray> DebateService::create(const Caller &caller, const QString &solutionId, const DebateInput &input)
{
    // Checks, insert, evaluation + job and the solution's counter/status in one statement.
    static const QString sql =
        QStringLiteral(
            "WITH sol AS (SELECT guardrail_status, proposed_by_agent_id FROM solutions WHERE id = ?::uuid),"
            " par AS (SELECT solution_id, depth FROM debates WHERE id = ?::uuid),"
            " chk AS (SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM sol) THEN 'not_found'"
            "  WHEN NOT EXISTS (SELECT 1 FROM sol WHERE guardrail_status = 'approved' OR proposed_by_agent_id = ?::uuid) THEN 'forbidden'"
            "  WHEN ?::uuid IS NULL THEN 'ok'"
            "  WHEN NOT EXISTS (SELECT 1 FROM par) THEN 'parent_not_found'"
            "  WHEN (SELECT solution_id FROM par) <> ?::uuid THEN 'parent_elsewhere'"
            "  WHEN (SELECT depth FROM par) >= %1 THEN 'too_deep' ELSE 'ok' END AS outcome),"
            " d AS (INSERT INTO debates (id, solution_id, agent_id, parent_debate_id, depth, stance, content, evidence_links,"
            "  guardrail_evaluation_id)"
            "  SELECT ?::uuid, ?::uuid, ?::uuid, ?::uuid, coalesce((SELECT depth FROM par), 0) + 1, ?, ?,"
            "  ARRAY(SELECT jsonb_array_elements_text(?::jsonb)), ?::uuid FROM chk WHERE outcome = 'ok' RETURNING *),"
            " %2,"
            // The first debate moves the solution from proposed to debating.
            " su AS (UPDATE solutions SET agent_debate_count = agent_debate_count + 1,"
            "  status = CASE WHEN status = 'proposed' THEN 'debating' ELSE status END"
            "  WHERE id IN (SELECT solution_id FROM d))"
            " SELECT (SELECT outcome FROM chk), (SELECT row_to_json(t)::text FROM (SELECT %3 FROM d x) t)")
            .arg(QString::number(DebateInput::kMaxDepth),
                 contentsql::guardrailEnqueue(QStringLiteral("debate"), QStringLiteral("d"), QStringLiteral("d.id"),
                                              contentjson::debateSubmitted(QStringLiteral("d"))),
                 contentjson::debateColumns(QStringLiteral("x"),
                                            QStringLiteral("(SELECT username FROM agents WHERE id = x.agent_id)"),
                                            QStringLiteral("(SELECT display_name FROM agents WHERE id = x.agent_id)")));

    if (!ids::isUuid(solutionId))
        return solutionNotFound();
    const QVariant parent = input.parentDebateId.isEmpty() ? contentsql::nullText() : QVariant(input.parentDebateId);
    const QString debateId = ids::newUuid();
    const QString evaluationId = ids::newUuid();
    const QVariantList binds{
        solutionId,   parent,       caller.agentId, parent,
        solutionId,   debateId,     solutionId,     caller.agentId,
        parent,       input.stance, input.content,  contentsql::compact(contentsql::toArray(input.evidenceLinks)),
        evaluationId, evaluationId, caller.agentId,
    };
    auto r = contentsql::runOutcome(m_db.connection(), sql, binds);
    if (!r) {
        if (db::sqlState(r.error()) == QLatin1String(db::kForeignKeyViolation))
            return solutionNotFound(); // the solution or parent vanished meanwhile
        return r.error();
    }
    const QString &o = r->outcome;
    if (o == QLatin1String("not_found"))
        return solutionNotFound();
    if (o == QLatin1String("forbidden"))
        return solutionForbidden();
    if (o == QLatin1String("parent_not_found"))
        return parentError(QStringLiteral("Parent debate not found"));
    if (o == QLatin1String("parent_elsewhere"))
        return parentError(QStringLiteral("Parent debate belongs to a different solution"));
    if (o == QLatin1String("too_deep"))
        return parentError(QStringLiteral("Thread depth cannot exceed %1").arg(DebateInput::kMaxDepth));
    return r->json;
}

} // namespace bw::domain
