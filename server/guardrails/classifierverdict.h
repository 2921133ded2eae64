#pragma once
// Layer B's answer after strict validation: the classifier must return exactly one JSON object
// with the documented fields, types and ranges (guardrails.md step 6); anything else is invalid
// output (retried, then flagged). Plain value: any thread.

#include "server/core/result.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace bw::guardrails {

struct SolutionScores {
    double impact = 0; // 0–100
    double feasibility = 0;
    double costEfficiency = 0;
    // 0.40·impact + 0.35·feasibility + 0.25·cost_efficiency (api.md §7).
    double composite() const { return 0.40 * impact + 0.35 * feasibility + 0.25 * costEfficiency; }
};

struct ClassifierVerdict {
    QString alignedDomain;                        // one of the 15 domains; "" when the classifier answered null
    double alignmentScore = 0;                    // 0–1, finite
    QString harmRisk;                             // low | medium | high
    QString feasibility;                          // low | medium | high
    QString quality;                              // low | medium | high
    QString decision;                             // approve | flag | reject (the classifier's own suggestion)
    QString reasoning;                            // ≤ 2000 characters
    std::optional<SolutionScores> solutionScores; // required for solutions, ignored otherwise

    // The snake_case object the classifier returned (validated fields only).
    QJsonObject toJson() const;

    // Validates a parsed object; contentType "solution" requires solution_scores.
    static Result<ClassifierVerdict> fromJson(const QJsonObject &object, const QString &contentType);
    // Validates the model's text: one JSON object, optionally inside a single ``` fence; nothing else.
    static Result<ClassifierVerdict> parse(const QString &modelText, const QString &contentType);
};

} // namespace bw::guardrails
