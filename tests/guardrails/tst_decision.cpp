// The decision table (guardrails.md step 7), rule by rule, including solution composites and
// the "never auto-approve" rules.

#include "server/guardrails/decision.h"

#include <QTest>

using namespace bw::guardrails;

Q_DECLARE_METATYPE(bw::guardrails::TrustTier)

class tst_Decision final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void table_data();
    void table();
    void customThresholds();
    void reasons();
};

void tst_Decision::table_data()
{
    QTest::addColumn<TrustTier>("tier");
    QTest::addColumn<QString>("contentType");
    QTest::addColumn<bool>("layerA");
    QTest::addColumn<bool>("hasVerdict");
    QTest::addColumn<double>("score");
    QTest::addColumn<QString>("harm");
    QTest::addColumn<QString>("suggested");
    QTest::addColumn<double>("impact"); // < 0: no solution scores
    QTest::addColumn<QString>("expected");

    const auto V = TrustTier::Verified;
    const auto N = TrustTier::New;
    // clang-format off
    QTest::newRow("layer A rejects even verified") << V << "problem" << true << true << 0.95 << "low" << "approve" << -1.0 << "rejected";
    QTest::newRow("layer A rejects new") << N << "problem" << true << false << 0.0 << "" << "" << -1.0 << "rejected";
    QTest::newRow("no classifier: flagged") << V << "problem" << false << false << 0.0 << "" << "" << -1.0 << "flagged";
    QTest::newRow("new tier high score: flagged") << N << "problem" << false << true << 0.95 << "low" << "approve" << -1.0 << "flagged";
    QTest::newRow("new tier low score: flagged") << N << "problem" << false << true << 0.1 << "low" << "reject" << -1.0 << "flagged";
    QTest::newRow("new tier certain: approved") << N << "problem" << false << true << 1.0 << "low" << "approve" << -1.0 << "approved";
    QTest::newRow("new tier certain but harmful") << N << "problem" << false << true << 1.0 << "high" << "approve" << -1.0 << "flagged";
    QTest::newRow("verified 0.70: approved") << V << "problem" << false << true << 0.70 << "low" << "approve" << -1.0 << "approved";
    QTest::newRow("verified 0.69: flagged") << V << "problem" << false << true << 0.69 << "low" << "approve" << -1.0 << "flagged";
    QTest::newRow("verified 0.40: flagged") << V << "problem" << false << true << 0.40 << "low" << "flag" << -1.0 << "flagged";
    QTest::newRow("verified 0.39: rejected") << V << "problem" << false << true << 0.39 << "low" << "reject" << -1.0 << "rejected";
    QTest::newRow("verified 0.0: rejected") << V << "mission" << false << true << 0.0 << "low" << "reject" << -1.0 << "rejected";
    QTest::newRow("harm high never approved") << V << "problem" << false << true << 0.9 << "high" << "approve" << -1.0 << "flagged";
    QTest::newRow("harm high low score rejected") << V << "problem" << false << true << 0.2 << "high" << "reject" << -1.0 << "rejected";
    QTest::newRow("harm medium approved") << V << "debate" << false << true << 0.9 << "medium" << "approve" << -1.0 << "approved";
    QTest::newRow("classifier says flag") << V << "problem" << false << true << 0.9 << "low" << "flag" << -1.0 << "flagged";
    QTest::newRow("solution composite 80") << V << "solution" << false << true << 0.9 << "low" << "approve" << 80.0 << "approved";
    QTest::newRow("solution composite 60 approved") << V << "solution" << false << true << 0.9 << "low" << "approve" << 60.0 << "approved";
    QTest::newRow("solution composite 59.9 flagged") << V << "solution" << false << true << 0.9 << "low" << "approve" << 59.9 << "flagged";
    QTest::newRow("solution composite 40 flagged") << V << "solution" << false << true << 0.9 << "low" << "approve" << 40.0 << "flagged";
    QTest::newRow("solution composite 39.9 rejected") << V << "solution" << false << true << 0.9 << "low" << "approve" << 39.9 << "rejected";
    QTest::newRow("flagged solution keeps flag") << V << "solution" << false << true << 0.5 << "low" << "flag" << 10.0 << "flagged";
    QTest::newRow("new tier solution flagged") << N << "solution" << false << true << 0.9 << "low" << "approve" << 90.0 << "flagged";
    QTest::newRow("scores ignored on problems") << V << "problem" << false << true << 0.9 << "low" << "approve" << 10.0 << "approved";
    // clang-format on
}

void tst_Decision::table()
{
    QFETCH(TrustTier, tier);
    QFETCH(QString, contentType);
    QFETCH(bool, layerA);
    QFETCH(bool, hasVerdict);
    QFETCH(double, score);
    QFETCH(QString, harm);
    QFETCH(QString, suggested);
    QFETCH(double, impact);
    QFETCH(QString, expected);

    DecisionInput in;
    in.tier = tier;
    in.contentType = contentType;
    in.layerAMatched = layerA;
    if (hasVerdict) {
        ClassifierVerdict v;
        v.alignedDomain = "education_access";
        v.alignmentScore = score;
        v.harmRisk = harm;
        v.feasibility = "high";
        v.quality = "high";
        v.decision = suggested;
        if (impact >= 0) // all three equal → composite == impact
            v.solutionScores = SolutionScores{impact, impact, impact};
        in.verdict = v;
    }
    const Decision d = decide(in, bw::GuardrailConfig{});
    QCOMPARE(d.finalDecision, expected);
    QVERIFY(!d.reason.isEmpty());
    if (contentType == u"solution" && impact >= 0 && hasVerdict)
        QVERIFY(d.compositeScore && qAbs(*d.compositeScore - impact) < 1e-9);
}

void tst_Decision::customThresholds()
{
    bw::GuardrailConfig policy;
    policy.approveThreshold = 0.9;
    policy.flagThreshold = 0.5;
    DecisionInput in;
    in.tier = TrustTier::Verified;
    in.contentType = "problem";
    ClassifierVerdict v;
    v.alignmentScore = 0.85;
    v.harmRisk = "low";
    v.decision = "approve";
    in.verdict = v;
    QCOMPARE(decide(in, policy).finalDecision, QStringLiteral("flagged"));
    in.verdict->alignmentScore = 0.45;
    QCOMPARE(decide(in, policy).finalDecision, QStringLiteral("rejected"));
    in.verdict->alignmentScore = 0.9;
    QCOMPARE(decide(in, policy).finalDecision, QStringLiteral("approved"));
}

void tst_Decision::reasons()
{
    DecisionInput in;
    in.unavailableReason = "daily AI budget of 1333 cents spent: human review required";
    const Decision d = decide(in, bw::GuardrailConfig{});
    QCOMPARE(d.finalDecision, QStringLiteral("flagged"));
    QCOMPARE(d.reason, in.unavailableReason);
    QCOMPARE(tierName(TrustTier::New), QStringLiteral("new"));
    QCOMPARE(tierName(TrustTier::Verified), QStringLiteral("verified"));
}

QTEST_GUILESS_MAIN(tst_Decision)
#include "tst_decision.moc"
