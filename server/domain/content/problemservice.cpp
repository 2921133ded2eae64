#include "server/domain/content/problemservice.h"

#include "server/domain/content/problemlistsql.h"
#include "server/domain/sqljson.h"

#include "server/core/cursor.h"
#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QSqlQuery>

namespace bw::domain {

namespace {
QVariant nullableNumber(const std::optional<double> &d)
{
    // As text with ::numeric in SQL: shortest round-trip digits, no float formatting surprises.
    return d ? QVariant(QString::number(*d, 'g', QLocale::FloatingPointShortest)) : db::nullText();
}

QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}
QString compact(const QJsonArray &a)
{
    return QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Compact));
}

// PostgreSQL "data exception" class (e.g. NUL characters, unrepresentable text): the input's fault.
bool isDataException(const ApiError &e)
{
    return db::sqlState(e).startsWith(QLatin1String("22"));
}
} // namespace

ProblemService::ProblemService(db::Database &db) : m_db(db) {}
ProblemService::~ProblemService() = default;

Result<QJsonObject> ProblemService::create(const Caller &caller, const ProblemInput &input)
{
    static const QString sql =
        QStringLiteral(
            "WITH ev AS ("
            " INSERT INTO guardrail_evaluations (id, content_id, content_type, agent_id, submitted_content, trust_tier)"
            " VALUES (?::uuid, ?::uuid, 'problem', ?::uuid, ?::jsonb, 'new') RETURNING id),"
            " pr AS ("
            " INSERT INTO problems (id, reported_by_agent_id, title, description, domain, severity,"
            "  affected_population_estimate, geographic_scope, location_name, latitude, longitude,"
            "  existing_solutions, data_sources, evidence_links, self_audit, guardrail_status, guardrail_evaluation_id)"
            " SELECT ?::uuid, ?::uuid, ?, ?, ?, ?, ?, ?, ?, ?::numeric, ?::numeric, ?::jsonb, ?::jsonb,"
            "  ARRAY(SELECT jsonb_array_elements_text(?::jsonb)), ?::jsonb, 'pending', ev.id FROM ev RETURNING *),"
            " jb AS ("
            " INSERT INTO jobs (queue, kind, payload)"
            " SELECT 'guardrail-evaluation', 'evaluate', jsonb_build_object('evaluationId', ev.id) FROM ev),"
            " ag AS (UPDATE agents SET total_problems_reported = total_problems_reported + 1 WHERE id = ?::uuid)"
            " SELECT row_to_json(t)::text FROM (SELECT %1 FROM pr p) t")
            .arg(sqljson::problemColumns(QStringLiteral("p")));

    const QString problemId = ids::newUuid();
    const QString evaluationId = ids::newUuid();
    const QString submitted = compact(input.toJson());
    const QVariantList binds{
        evaluationId,
        problemId,
        caller.agentId,
        submitted,
        problemId,
        caller.agentId,
        input.title,
        input.description,
        input.domain,
        input.severity,
        db::optionalText(input.affectedPopulationEstimate),
        db::optionalText(input.geographicScope),
        db::optionalText(input.locationName),
        nullableNumber(input.latitude),
        nullableNumber(input.longitude),
        compact(input.existingSolutions),
        compact(input.dataSources),
        compact(QJsonArray::fromStringList(input.evidenceLinks)),
        input.selfAudit ? QVariant(compact(*input.selfAudit)) : db::nullText(),
        caller.agentId,
    };

    // One statement = one transaction: the problem, its evaluation, the job and the counter
    // are written together or not at all, in a single round trip.
    auto q = db::execCached(m_db.connection(), sql, binds);
    if (!q) {
        if (db::sqlState(q.error()) == QLatin1String(db::kForeignKeyViolation))
            return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Agent no longer exists"));
        if (isDataException(q.error())) {
            FieldErrors fields;
            fields.add(QStringLiteral("body"), QStringLiteral("Contains characters that cannot be stored"));
            return fields.toError();
        }
        return q.error();
    }
    if (!q->next())
        return ApiError::internal(QStringLiteral("problem insert returned no row"));
    return db::jsonObject(q->value(0).toString(), "problem");
}

Result<Page> ProblemService::list(const ProblemQuery &query, const std::optional<Caller> &caller)
{
    if (query.mine && !caller)
        return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Authentication required for mine=true"));

    auto codec = m_cursors.codec();
    if (!codec)
        return codec.error();

    std::optional<QJsonObject> position;
    if (!query.cursor.isEmpty()) {
        auto decoded = (*codec)->decode(query.cursor);
        if (!decoded)
            return decoded.error();
        if (!ProblemListSql::positionValid(query, *decoded))
            return ApiError::make(ErrorKind::InvalidCursor, QStringLiteral("Invalid cursor"));
        position = *decoded;
    }

    const ProblemListSql built = ProblemListSql::build(query, caller ? caller->agentId : QString(), position);
    auto q = db::execCached(m_db.connection(), built.sql, built.binds);
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::internal(QStringLiteral("problem list returned no row"));

    Page page;
    page.itemsJson = q->value(0).toString().toUtf8();
    const int fetched = q->value(1).toInt();
    page.hasMore = fetched > query.limit;
    page.count = std::min(fetched, query.limit);
    if (page.hasMore) {
        auto last = db::jsonObject(q->value(2).toString(), "problem");
        if (!last)
            return last.error();
        QJsonObject pos{{QStringLiteral("o"), ProblemQuery::sortName(query.sort)},
                        {QStringLiteral("c"), last->value(QStringLiteral("c"))},
                        {QStringLiteral("i"), last->value(QStringLiteral("i"))}};
        if (query.sort != ProblemQuery::Sort::Recent)
            pos.insert(QStringLiteral("k"), last->value(QStringLiteral("k")));
        page.nextCursor = (*codec)->encode(pos);
    }
    return page;
}

Result<QJsonObject> ProblemService::get(const QString &id, const std::optional<Caller> &caller)
{
    static const QString sql =
        QStringLiteral("SELECT %1::text, p.reported_by_agent_id::text, p.guardrail_status,"
                       " CASE WHEN e.final_decision IS NULL AND e.layer_a_result IS NULL AND e.layer_b_result IS NULL THEN NULL"
                       " ELSE json_build_object('finalDecision', e.final_decision, 'layerAResult', e.layer_a_result,"
                       " 'layerBResult', e.layer_b_result)::text END"
                       " FROM problems p LEFT JOIN guardrail_evaluations e ON e.id = p.guardrail_evaluation_id"
                       " WHERE p.id = ?::uuid")
            .arg(sqljson::rowJson(sqljson::problemColumns(QStringLiteral("p"))));

    if (!ids::isUuid(id))
        return ApiError::notFound(QStringLiteral("Problem not found"));
    auto q = db::execCached(m_db.connection(), sql, {id});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::notFound(QStringLiteral("Problem not found"));

    const bool owner = caller && caller->agentId.compare(q->value(1).toString(), Qt::CaseInsensitive) == 0;
    if (q->value(2).toString() != QLatin1String("approved") && !owner)
        return ApiError::forbidden(QStringLiteral("You do not have access to this problem"));

    auto problem = db::jsonObject(q->value(0).toString(), "problem");
    if (!problem || !owner)
        return problem;
    QJsonValue explanation(QJsonValue::Null);
    if (!q->value(3).isNull()) {
        auto e = db::jsonObject(q->value(3).toString(), "problem");
        if (!e)
            return e.error();
        explanation = *e;
    }
    problem->insert(QStringLiteral("guardrailExplanation"), explanation);
    return problem;
}

} // namespace bw::domain
