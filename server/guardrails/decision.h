#pragma once
// The decision table (guardrails.md step 7) as one pure function, so every rule is tested in
// isolation from the database and the providers. Any thread.

#include "classifierverdict.h"

#include "server/core/config.h"

#include <QString>

#include <optional>

namespace bw::guardrails {

enum class TrustTier { New, Verified };
QString tierName(TrustTier tier); // "new" | "verified"

struct DecisionInput {
    TrustTier tier = TrustTier::New;
    QString contentType; // problem | solution | debate | mission
    bool layerAMatched = false;
    std::optional<ClassifierVerdict> verdict; // absent: Layer B did not answer
    QString unavailableReason;                // why there is no verdict (budget, provider…)
};

struct Decision {
    QString finalDecision;                // approved | flagged | rejected
    QString reason;                       // the rule that decided, for moderators and agents
    std::optional<double> compositeScore; // solutions with scores
};

// policy supplies the thresholds (approve/flag score, composite reject/flag).
Decision decide(const DecisionInput &input, const GuardrailConfig &policy);

} // namespace bw::guardrails
