#include "server/domain/content/contentjson.h"

#include "server/domain/sqljson.h"

#include <QList>
#include <QStringList>

#include <utility>

namespace bw::domain::contentjson {

namespace {
using Pairs = QList<std::pair<const char *, const char *>>;

// (JSON key, SQL expression with %a for the row alias; "@ts:" marks timestamps).
QString selectList(const QString &alias, const Pairs &pairs)
{
    QStringList parts;
    parts.reserve(pairs.size());
    for (const auto &[key, expr] : pairs) {
        QString e = QString::fromLatin1(expr);
        e.replace(QLatin1String("%a"), alias);
        if (e.startsWith(QLatin1String("@ts:")))
            e = sqljson::isoTimestamp(e.mid(4));
        parts.append(QStringLiteral("%1 AS \"%2\"").arg(e, QLatin1String(key)));
    }
    return parts.join(QStringLiteral(", "));
}

// jsonb_strip_nulls(jsonb_build_object('k', expr, …)) over the pairs.
QString submitted(const QString &alias, const Pairs &pairs)
{
    QStringList parts;
    for (const auto &[key, expr] : pairs) {
        QString e = QString::fromLatin1(expr);
        e.replace(QLatin1String("%a"), alias);
        parts << QStringLiteral("'%1', %2").arg(QLatin1String(key), e);
    }
    return QStringLiteral("jsonb_strip_nulls(jsonb_build_object(%1))").arg(parts.join(QStringLiteral(", ")));
}
} // namespace

QString solutionColumns(const QString &alias)
{
    // numeric columns go out as float8 so JSON shows 84.33, not "84.33".
    static const Pairs pairs{
        {"id", "%a.id"},
        {"problemId", "%a.problem_id"},
        {"proposedByAgentId", "%a.proposed_by_agent_id"},
        {"title", "%a.title"},
        {"description", "%a.description"},
        {"approach", "%a.approach"},
        {"expectedImpact", "%a.expected_impact"},
        {"estimatedCost", "%a.estimated_cost"},
        {"risksAndMitigations", "%a.risks_and_mitigations"},
        {"requiredSkills", "%a.required_skills"},
        {"requiredLocations", "%a.required_locations"},
        {"timelineEstimate", "%a.timeline_estimate"},
        {"impactScore", "%a.impact_score::float8"},
        {"feasibilityScore", "%a.feasibility_score::float8"},
        {"costEfficiencyScore", "%a.cost_efficiency_score::float8"},
        {"compositeScore", "%a.composite_score::float8"},
        {"alignmentScore", "%a.alignment_score::float8"},
        {"alignmentDomain", "%a.alignment_domain"},
        {"guardrailStatus", "%a.guardrail_status"},
        {"guardrailEvaluationId", "%a.guardrail_evaluation_id"},
        {"agentDebateCount", "%a.agent_debate_count"},
        {"status", "%a.status"},
        {"createdAt", "@ts:%a.created_at"},
        {"updatedAt", "@ts:%a.updated_at"},
    };
    return selectList(alias, pairs);
}

QString debateColumns(const QString &alias, const QString &usernameExpr, const QString &displayNameExpr)
{
    static const Pairs pairs{
        {"id", "%a.id"},
        {"solutionId", "%a.solution_id"},
        {"agentId", "%a.agent_id"},
        {"parentDebateId", "%a.parent_debate_id"},
        {"depth", "%a.depth"},
        {"stance", "%a.stance"},
        {"content", "%a.content"},
        {"evidenceLinks", "%a.evidence_links"},
        {"upvotes", "%a.upvotes"},
        {"alignmentScore", "%a.alignment_score::float8"},
        {"alignmentDomain", "%a.alignment_domain"},
        {"guardrailStatus", "%a.guardrail_status"},
        {"guardrailEvaluationId", "%a.guardrail_evaluation_id"},
        {"createdAt", "@ts:%a.created_at"},
        {"updatedAt", "@ts:%a.updated_at"},
    };
    return selectList(alias, pairs)
           + QStringLiteral(", json_build_object('id', %1.agent_id, 'username', %2, 'displayName', %3) AS \"agent\"")
                 .arg(alias, usernameExpr, displayNameExpr);
}

QString missionOwnerColumns(const QString &alias)
{
    static const Pairs pairs{
        {"id", "%a.id"},
        {"solutionId", "%a.solution_id"},
        {"createdByAgentId", "%a.created_by_agent_id"},
        {"title", "%a.title"},
        {"description", "%a.description"},
        {"instructions", "%a.instructions"},
        {"evidenceRequired", "%a.evidence_required"},
        {"requiredSkills", "%a.required_skills"},
        {"domain", "%a.domain"},
        {"requiredLocationName", "%a.required_location_name"},
        {"requiredLatitude", "%a.required_latitude::float8"},
        {"requiredLongitude", "%a.required_longitude::float8"},
        {"locationRadiusKm", "%a.location_radius_km"},
        {"estimatedDurationMinutes", "%a.estimated_duration_minutes"},
        {"difficulty", "%a.difficulty"},
        {"tokenReward", "%a.token_reward"},
        {"bonusForQuality", "%a.bonus_for_quality"},
        {"maxClaims", "%a.max_claims"},
        {"currentClaimCount", "%a.current_claim_count"},
        {"slotsAvailable", "greatest(%a.max_claims - %a.current_claim_count, 0)"},
        {"alignmentScore", "%a.alignment_score::float8"},
        {"alignmentDomain", "%a.alignment_domain"},
        {"guardrailStatus", "%a.guardrail_status"},
        {"guardrailEvaluationId", "%a.guardrail_evaluation_id"},
        {"status", "%a.status"},
        {"version", "%a.version"},
        {"expiresAt", "@ts:%a.expires_at"},
        {"completedAt", "@ts:%a.completed_at"},
        {"createdAt", "@ts:%a.created_at"},
        {"updatedAt", "@ts:%a.updated_at"},
    };
    return selectList(alias, pairs);
}

QString missionPublicColumns(const QString &alias, bool listView)
{
    static const Pairs head{
        {"id", "%a.id"},
        {"solutionId", "%a.solution_id"},
        {"title", "%a.title"},
    };
    static const Pairs cardDescription{
        {"description", "CASE WHEN length(%a.description) > 200 THEN left(%a.description, 200) || '...' ELSE %a.description END"},
    };
    static const Pairs detail{
        {"description", "%a.description"},
        {"instructions", "%a.instructions"},
        {"evidenceRequired", "%a.evidence_required"},
        {"createdByAgentId", "%a.created_by_agent_id"},
        {"guardrailStatus", "%a.guardrail_status"},
    };
    static const Pairs tail{
        {"domain", "%a.domain"},
        {"requiredSkills", "%a.required_skills"},
        {"requiredLocationName", "%a.required_location_name"},
        {"approximateLatitude", "round(%a.required_latitude, 2)::float8"},
        {"approximateLongitude", "round(%a.required_longitude, 2)::float8"},
        {"locationRadiusKm", "%a.location_radius_km"},
        {"estimatedDurationMinutes", "%a.estimated_duration_minutes"},
        {"difficulty", "%a.difficulty"},
        {"tokenReward", "%a.token_reward"},
        {"bonusForQuality", "%a.bonus_for_quality"},
        {"maxClaims", "%a.max_claims"},
        {"currentClaimCount", "%a.current_claim_count"},
        {"slotsAvailable", "greatest(%a.max_claims - %a.current_claim_count, 0)"},
        {"status", "%a.status"},
        {"expiresAt", "@ts:%a.expires_at"},
        {"createdAt", "@ts:%a.created_at"},
    };
    return selectList(alias, head) + QStringLiteral(", ") + selectList(alias, listView ? cardDescription : detail)
           + QStringLiteral(", ") + selectList(alias, tail);
}

QString guardrailExplanation(const QString &e)
{
    return QStringLiteral("CASE WHEN %1.final_decision IS NULL AND %1.layer_a_result IS NULL AND %1.layer_b_result IS NULL"
                          " THEN NULL ELSE json_build_object('finalDecision', %1.final_decision,"
                          " 'layerAResult', %1.layer_a_result, 'layerBResult', %1.layer_b_result) END")
        .arg(e);
}

QString problemSubmitted(const QString &alias)
{
    static const Pairs pairs{
        {"title", "%a.title"},
        {"description", "%a.description"},
        {"domain", "%a.domain"},
        {"severity", "%a.severity"},
        {"affectedPopulationEstimate", "%a.affected_population_estimate"},
        {"geographicScope", "%a.geographic_scope"},
        {"locationName", "%a.location_name"},
        {"latitude", "%a.latitude::float8"},
        {"longitude", "%a.longitude::float8"},
        {"existingSolutions", "%a.existing_solutions"},
        {"dataSources", "%a.data_sources"},
        {"evidenceLinks", "to_jsonb(%a.evidence_links)"},
        {"selfAudit", "%a.self_audit"},
    };
    return submitted(alias, pairs);
}

QString solutionSubmitted(const QString &alias)
{
    static const Pairs pairs{
        {"problemId", "%a.problem_id"},
        {"title", "%a.title"},
        {"description", "%a.description"},
        {"approach", "%a.approach"},
        {"expectedImpact", "%a.expected_impact"},
        {"estimatedCost", "%a.estimated_cost"},
        {"risksAndMitigations", "%a.risks_and_mitigations"},
        {"requiredSkills", "to_jsonb(%a.required_skills)"},
        {"requiredLocations", "to_jsonb(%a.required_locations)"},
        {"timelineEstimate", "%a.timeline_estimate"},
    };
    return submitted(alias, pairs);
}

QString debateSubmitted(const QString &alias)
{
    static const Pairs pairs{
        {"solutionId", "%a.solution_id"}, {"parentDebateId", "%a.parent_debate_id"},        {"stance", "%a.stance"},
        {"content", "%a.content"},        {"evidenceLinks", "to_jsonb(%a.evidence_links)"},
    };
    return submitted(alias, pairs);
}

QString missionSubmitted(const QString &alias)
{
    static const Pairs pairs{
        {"solutionId", "%a.solution_id"},
        {"title", "%a.title"},
        {"description", "%a.description"},
        {"instructions", "%a.instructions"},
        {"evidenceRequired", "%a.evidence_required"},
        {"requiredSkills", "to_jsonb(%a.required_skills)"},
        {"domain", "%a.domain"},
        {"requiredLocationName", "%a.required_location_name"},
        {"requiredLatitude", "%a.required_latitude::float8"},
        {"requiredLongitude", "%a.required_longitude::float8"},
        {"locationRadiusKm", "%a.location_radius_km"},
        {"estimatedDurationMinutes", "%a.estimated_duration_minutes"},
        {"difficulty", "%a.difficulty"},
        {"tokenReward", "%a.token_reward"},
        {"bonusForQuality", "%a.bonus_for_quality"},
        {"maxClaims", "%a.max_claims"},
        {"expiresAt", "%a.expires_at"},
    };
    return submitted(alias, pairs);
}

} // namespace bw::domain::contentjson
