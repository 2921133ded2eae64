#pragma once
// The agent-facing guardrail API (api.md §7 "Guardrail API"): request an evaluation of arbitrary
// content (evaluation row + job in one statement; it never changes content rows nor enters the
// review queue) and read an evaluation's status (own evaluations only). Stateless: call from any
// request-pool thread (uses that thread's connection).

#include "server/core/result.h"
#include "server/domain/caller.h"

#include <QJsonObject>
#include <QString>

namespace bw::db {
class Database;
}

namespace bw::guardrails {

class GuardrailService final {
public:
    static constexpr auto kQueue = "guardrail-evaluation";
    static constexpr auto kKind = "evaluate";

    explicit GuardrailService(db::Database &db);

    // body {contentType, contentId, content (object or string)} → 202 data
    // {evaluationId, contentId, status: "pending", queuePosition}; 422 on invalid fields.
    Result<QJsonObject> submit(const domain::Caller &caller, const QJsonObject &body);

    // pending → {evaluationId, status: "pending", startedAt, elapsedSeconds}; decided →
    // {evaluationId, status: "completed", finalDecision, alignmentScore, alignmentDomain,
    // layerAResult, layerBResult, cacheHit, completedAt, evaluationDurationMs, reason}.
    // 404 unknown or malformed id, 403 another agent's evaluation.
    Result<QJsonObject> status(const domain::Caller &caller, const QString &evaluationId);

private:
    db::Database &m_db;
};

} // namespace bw::guardrails
