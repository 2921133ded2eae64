#pragma once
// Step 8: writes an evaluation's outcome in one statement (= one transaction): the evaluation row,
// the content row's guardrail fields (table chosen by content type: problems, solutions, debates,
// missions — each with guardrail_status, guardrail_evaluation_id, alignment_score,
// alignment_domain; solutions also the four scores) and, for `flagged`, the review-queue row.
// The content row is only touched while it still points at this evaluation (an edit since then
// started a newer one; API-requested evaluations never point at content) and is still `pending`
// (a human decision taken meanwhile stands). Idempotent: an
// evaluation that already has a decision is left alone. Calling thread's connection.

#include "classifierverdict.h"

#include "server/core/result.h"

#include <QJsonObject>
#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace bw::guardrails {

struct ContentTable {
    QString contentType; // problem | solution | debate | mission
    QString table;       // problems | solutions | debates | missions
    bool solutionScores = false;
};
// nullptr for an unknown content type.
const ContentTable *contentTable(const QString &contentType);

struct WriteBack {
    QString evaluationId;
    QString finalDecision; // approved | flagged | rejected
    QString reason;
    std::optional<double> alignmentScore;
    QString alignmentDomain;
    QJsonObject layerA; // empty → left as is
    QJsonObject layerB;
    bool cacheHit = false;
    QString cacheKey;
    QString trustTier;
    QString provider;
    double costCents = 0;
    int durationMs = 0;
    std::optional<SolutionScores> solutionScores;
    std::optional<double> compositeScore;
};

struct WriteBackResult {
    bool evaluationUpdated = false; // false: it already had a decision (nothing written)
    bool contentUpdated = false;
    bool flaggedQueued = false;
};

// contentType selects the table. withContent = false writes only the evaluation (used when the
// content table itself is unusable, so the evaluation still leaves `pending`).
Result<WriteBackResult> writeBack(QSqlDatabase db, const QString &contentType, const WriteBack &w, bool withContent = true);

} // namespace bw::guardrails
