#include "server/domain/sqljson.h"

#include <QStringList>

namespace bw::domain::sqljson {

QString isoTimestamp(const QString &expr)
{
    return QStringLiteral("to_char((%1) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')").arg(expr);
}

QString exactTimestamp(const QString &expr)
{
    return QStringLiteral("to_char((%1) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')").arg(expr);
}

namespace {
// Pairs of (JSON key, SQL expression with %1 standing for the row alias).
QString selectList(const QString &alias, const QList<std::pair<const char *, const char *>> &pairs)
{
    QStringList parts;
    parts.reserve(pairs.size());
    for (const auto &[key, expr] : pairs) {
        QString e = QString::fromLatin1(expr);
        e.replace(QLatin1String("%a"), alias);
        if (e.startsWith(QLatin1String("@ts:")))
            e = isoTimestamp(e.mid(4));
        parts.append(QStringLiteral("%1 AS \"%2\"").arg(e, QLatin1String(key)));
    }
    return parts.join(QStringLiteral(", "));
}
} // namespace

QString problemColumns(const QString &alias)
{
    // numeric columns go out as float8 so JSON shows 12.5, not "12.5000000".
    static const QList<std::pair<const char *, const char *>> pairs{
        {"id", "%a.id"},
        {"reportedByAgentId", "%a.reported_by_agent_id"},
        {"title", "%a.title"},
        {"description", "%a.description"},
        {"domain", "%a.domain"},
        {"severity", "%a.severity"},
        {"affectedPopulationEstimate", "%a.affected_population_estimate"},
        {"geographicScope", "%a.geographic_scope"},
        {"locationName", "%a.location_name"},
        {"latitude", "%a.latitude::float8"},
        {"longitude", "%a.longitude::float8"},
        {"existingSolutions", "coalesce(%a.existing_solutions, '[]'::jsonb)"},
        {"dataSources", "coalesce(%a.data_sources, '[]'::jsonb)"},
        {"evidenceLinks", "coalesce(%a.evidence_links, '{}'::text[])"},
        {"selfAudit", "%a.self_audit"},
        {"alignmentScore", "%a.alignment_score::float8"},
        {"alignmentDomain", "%a.alignment_domain"},
        {"guardrailStatus", "%a.guardrail_status"},
        {"guardrailEvaluationId", "%a.guardrail_evaluation_id"},
        {"upvotes", "%a.upvotes"},
        {"solutionCount", "%a.solution_count"},
        {"status", "%a.status"},
        {"createdAt", "@ts:%a.created_at"},
        {"updatedAt", "@ts:%a.updated_at"},
    };
    return selectList(alias, pairs);
}

QString agentColumns(const QString &alias, bool includePrivate)
{
    static const QList<std::pair<const char *, const char *>> common{
        {"id", "%a.id"},
        {"username", "%a.username"},
        {"displayName", "%a.display_name"},
        {"framework", "%a.framework"},
        {"modelProvider", "%a.model_provider"},
        {"modelName", "%a.model_name"},
        {"soulSummary", "%a.soul_summary"},
        {"specializations", "coalesce(%a.specializations, '{}'::text[])"},
        {"reputationScore", "%a.reputation_score::float8"},
        {"totalProblemsReported", "%a.total_problems_reported"},
        {"totalSolutionsProposed", "%a.total_solutions_proposed"},
        {"claimStatus", "%a.claim_status"},
        {"lastHeartbeatAt", "@ts:%a.last_heartbeat_at"},
        {"createdAt", "@ts:%a.created_at"},
        {"updatedAt", "@ts:%a.updated_at"},
        {"isActive", "%a.is_active"},
    };
    static const QList<std::pair<const char *, const char *>> owner = [] {
        auto all = common;
        all.insert(8, {"email", "%a.email"});
        all.insert(13, {"rateLimitOverride", "%a.rate_limit_override"});
        return all;
    }();
    return selectList(alias, includePrivate ? owner : common);
}

QString rowJson(const QString &columns)
{
    return QStringLiteral("(SELECT row_to_json(j) FROM (SELECT %1) j)").arg(columns);
}

} // namespace bw::domain::sqljson
