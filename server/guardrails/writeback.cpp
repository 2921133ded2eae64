#include "writeback.h"

#include "server/db/sql.h"

#include <QJsonDocument>
#include <QLocale>
#include <QSqlQuery>

namespace bw::guardrails {

namespace {
using db::nullText;

QVariant number(const std::optional<double> &d)
{
    return d ? QVariant(QString::number(*d, 'f', 4)) : nullText();
}

QVariant jsonOrNull(const QJsonObject &o)
{
    return o.isEmpty() ? nullText() : QVariant(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
}

QString buildSql(const ContentTable *table)
{
    QString sql = QStringLiteral(
        "WITH ev AS ("
        " UPDATE guardrail_evaluations SET final_decision = ?, decision_reason = ?, alignment_score = ?::numeric,"
        "  alignment_domain = ?, layer_a_result = coalesce(?::jsonb, layer_a_result),"
        "  layer_b_result = coalesce(?::jsonb, layer_b_result), cache_hit = ?, cache_key = ?,"
        "  trust_tier = coalesce(?, trust_tier), provider = ?, cost_cents = ?::numeric,"
        "  completed_at = now(), evaluation_duration_ms = ?"
        " WHERE id = ?::uuid AND final_decision IS NULL"
        " RETURNING id, content_id, content_type, agent_id, origin, final_decision, alignment_score, alignment_domain)");
    if (!table) {
        sql += QStringLiteral(" SELECT (SELECT count(*) FROM ev), 0, 0");
        return sql;
    }
    sql += QStringLiteral(", ct AS ("
                          " UPDATE %1 c SET guardrail_status = ev.final_decision, alignment_score = ev.alignment_score,"
                          "  alignment_domain = ev.alignment_domain")
               .arg(table->table);
    if (table->solutionScores)
        sql += QStringLiteral(
            ", impact_score = coalesce(?::numeric, c.impact_score), feasibility_score = coalesce(?::numeric, c.feasibility_score),"
            "  cost_efficiency_score = coalesce(?::numeric, c.cost_efficiency_score),"
            "  composite_score = coalesce(?::numeric, c.composite_score)");
    sql += QStringLiteral(" FROM ev WHERE c.id = ev.content_id AND c.guardrail_evaluation_id = ev.id AND ev.origin = 'content'"
                          "  AND c.guardrail_status = 'pending'"
                          " RETURNING c.id),"
                          " fl AS ("
                          " INSERT INTO flagged_content (evaluation_id, content_id, content_type, agent_id)"
                          " SELECT ev.id, ev.content_id, ev.content_type, ev.agent_id FROM ev"
                          " WHERE ev.final_decision = 'flagged' AND EXISTS (SELECT 1 FROM ct)"
                          " ON CONFLICT (evaluation_id) DO NOTHING RETURNING 1)"
                          " SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM ct), (SELECT count(*) FROM fl)");
    return sql;
}
} // namespace

const ContentTable *contentTable(const QString &contentType)
{
    static const ContentTable tables[] = {
        {QStringLiteral("problem"), QStringLiteral("problems"), false},
        {QStringLiteral("solution"), QStringLiteral("solutions"), true},
        {QStringLiteral("debate"), QStringLiteral("debates"), false},
        {QStringLiteral("mission"), QStringLiteral("missions"), false},
    };
    for (const ContentTable &t : tables)
        if (t.contentType == contentType)
            return &t;
    return nullptr;
}

Result<WriteBackResult> writeBack(QSqlDatabase db, const QString &contentType, const WriteBack &w, bool withContent)
{
    const ContentTable *table = withContent ? contentTable(contentType) : nullptr;
    if (withContent && !table)
        return ApiError::internal(QStringLiteral("unknown content type '%1'").arg(contentType));

    QVariantList binds{
        w.finalDecision,
        w.reason.isEmpty() ? nullText() : QVariant(w.reason),
        number(w.alignmentScore),
        w.alignmentDomain.isEmpty() ? nullText() : QVariant(w.alignmentDomain),
        jsonOrNull(w.layerA),
        jsonOrNull(w.layerB),
        w.cacheHit,
        w.cacheKey.isEmpty() ? nullText() : QVariant(w.cacheKey),
        w.trustTier.isEmpty() ? nullText() : QVariant(w.trustTier),
        w.provider.isEmpty() ? nullText() : QVariant(w.provider),
        QString::number(w.costCents, 'f', 4),
        w.durationMs,
        w.evaluationId,
    };
    if (table && table->solutionScores) {
        const auto s = w.solutionScores;
        binds << number(s ? std::optional<double>(s->impact) : std::nullopt)
              << number(s ? std::optional<double>(s->feasibility) : std::nullopt)
              << number(s ? std::optional<double>(s->costEfficiency) : std::nullopt) << number(w.compositeScore);
    }
    auto q = db::execCached(db, buildSql(table), binds);
    if (!q)
        return q.error();
    WriteBackResult r;
    if (q->next()) {
        r.evaluationUpdated = q->value(0).toInt() > 0;
        r.contentUpdated = q->value(1).toInt() > 0;
        r.flaggedQueued = q->value(2).toInt() > 0;
    }
    return r;
}

} // namespace bw::guardrails
