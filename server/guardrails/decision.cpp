#include "decision.h"

namespace bw::guardrails {

QString tierName(TrustTier tier)
{
    return tier == TrustTier::Verified ? QStringLiteral("verified") : QStringLiteral("new");
}

Decision decide(const DecisionInput &in, const GuardrailConfig &policy)
{
    static const QString approved = QStringLiteral("approved");
    static const QString flagged = QStringLiteral("flagged");
    static const QString rejected = QStringLiteral("rejected");

    if (in.layerAMatched)
        return {rejected, QStringLiteral("forbidden pattern matched (Layer A)"), std::nullopt};
    if (!in.verdict) // never auto-approve without a classifier
        return {flagged, in.unavailableReason.isEmpty() ? QStringLiteral("classifier unavailable") : in.unavailableReason,
                std::nullopt};

    const ClassifierVerdict &v = *in.verdict;
    std::optional<double> composite;
    if (in.contentType == u"solution" && v.solutionScores)
        composite = v.solutionScores->composite();

    // New agents: a human looks at everything, unless the classifier is certain (score exactly 1.0);
    // then the verified rules below still apply (harm, composite).
    if (in.tier == TrustTier::New && v.alignmentScore < 1.0)
        return {flagged, QStringLiteral("new agent: human review required"), composite};

    Decision d{approved, QStringLiteral("alignment score %1 ≥ %2").arg(v.alignmentScore).arg(policy.approveThreshold), composite};
    if (v.alignmentScore < policy.flagThreshold)
        return {rejected, QStringLiteral("alignment score %1 < %2").arg(v.alignmentScore).arg(policy.flagThreshold), composite};
    if (v.alignmentScore < policy.approveThreshold)
        d = {flagged, QStringLiteral("alignment score %1 < %2").arg(v.alignmentScore).arg(policy.approveThreshold), composite};

    if (d.finalDecision == approved && composite) {
        if (*composite < policy.compositeRejectBelow)
            return {rejected, QStringLiteral("solution composite score %1 < %2").arg(*composite).arg(policy.compositeRejectBelow),
                    composite};
        if (*composite < policy.compositeFlagBelow)
            d = {flagged, QStringLiteral("solution composite score %1 < %2").arg(*composite).arg(policy.compositeFlagBelow),
                 composite};
    }
    // Never auto-approve high harm risk, nor what the classifier itself would not approve.
    if (d.finalDecision == approved && v.harmRisk == u"high")
        d = {flagged, QStringLiteral("harm risk high: human review required"), composite};
    else if (d.finalDecision == approved && v.decision != u"approve")
        d = {flagged, QStringLiteral("classifier suggested '%1'").arg(v.decision), composite};
    return d;
}

} // namespace bw::guardrails
