// Strict validation of the classifier's output: exactly one JSON object with the documented
// fields, types and ranges; solutions need solution_scores.

#include "server/guardrails/classifierverdict.h"

#include <QJsonDocument>
#include <QTest>

using namespace bw::guardrails;

namespace {
QJsonObject valid()
{
    return QJsonObject{{"aligned_domain", "food_security"},
                       {"alignment_score", 0.8},
                       {"harm_risk", "low"},
                       {"feasibility", "medium"},
                       {"quality", "high"},
                       {"decision", "approve"},
                       {"reasoning", "Community gardens feed families."}};
}
QString text(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}
} // namespace

class tst_ClassifierVerdict final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void accepts();
    void fenced();
    void rejects_data();
    void rejects();
    void solutionScores();
    void roundTrip();
};

void tst_ClassifierVerdict::accepts()
{
    const auto v = ClassifierVerdict::parse(text(valid()), "problem");
    QVERIFY2(v.ok(), v.ok() ? "" : qPrintable(v.error().message));
    QCOMPARE(v->alignedDomain, QStringLiteral("food_security"));
    QCOMPARE(v->alignmentScore, 0.8);
    QCOMPARE(v->harmRisk, QStringLiteral("low"));
    QCOMPARE(v->decision, QStringLiteral("approve"));
    QVERIFY(!v->solutionScores);

    QJsonObject upper = valid();
    upper["harm_risk"] = "LOW";
    upper["aligned_domain"] = QJsonValue::Null;
    upper["extra"] = "ignored";
    const auto u = ClassifierVerdict::parse(text(upper), "debate");
    QVERIFY(u.ok());
    QCOMPARE(u->harmRisk, QStringLiteral("low"));
    QVERIFY(u->alignedDomain.isEmpty());
    QVERIFY(!u->toJson().contains("extra"));
}

void tst_ClassifierVerdict::fenced()
{
    QVERIFY(ClassifierVerdict::parse("```json\n" + text(valid()) + "\n```", "problem").ok());
    QVERIFY(ClassifierVerdict::parse("```\n" + text(valid()) + "\n```", "problem").ok());
    QVERIFY(!ClassifierVerdict::parse("Here you go: " + text(valid()), "problem").ok());
    QVERIFY(!ClassifierVerdict::parse(text(valid()) + " Hope this helps!", "problem").ok());
}

void tst_ClassifierVerdict::rejects_data()
{
    QTest::addColumn<QString>("output");
    QTest::addColumn<QString>("mentions");
    auto with = [](const char *key, const QJsonValue &v) {
        QJsonObject o = valid();
        o[key] = v;
        return text(o);
    };
    auto without = [](const char *key) {
        QJsonObject o = valid();
        o.remove(key);
        return text(o);
    };
    // clang-format off
    QTest::newRow("prose") << "Looks good to me." << "not JSON";
    QTest::newRow("array") << "[1,2]" << "not a JSON object";
    QTest::newRow("empty") << "" << "not JSON";
    QTest::newRow("two objects") << text(valid()) + text(valid()) << "not JSON";
    QTest::newRow("score > 1") << with("alignment_score", 1.5) << "alignment_score";
    QTest::newRow("score < 0") << with("alignment_score", -0.1) << "alignment_score";
    QTest::newRow("score string") << with("alignment_score", "0.9") << "alignment_score";
    QTest::newRow("score NaN text") << R"({"alignment_score": NaN})" << "not JSON";
    QTest::newRow("score huge") << text(valid()).replace("0.8", "1e999") << "invalid classifier output";
    QTest::newRow("no score") << without("alignment_score") << "alignment_score";
    QTest::newRow("unknown domain") << with("aligned_domain", "space_travel") << "aligned_domain";
    QTest::newRow("domain number") << with("aligned_domain", 3) << "aligned_domain";
    QTest::newRow("harm unknown") << with("harm_risk", "extreme") << "harm_risk";
    QTest::newRow("no harm") << without("harm_risk") << "harm_risk";
    QTest::newRow("feasibility number") << with("feasibility", 2) << "feasibility";
    QTest::newRow("no quality") << without("quality") << "quality";
    QTest::newRow("decision unknown") << with("decision", "maybe") << "decision";
    QTest::newRow("reasoning missing") << without("reasoning") << "reasoning";
    QTest::newRow("reasoning too long") << with("reasoning", QString(2001, u'x')) << "reasoning";
    // clang-format on
}

void tst_ClassifierVerdict::rejects()
{
    QFETCH(QString, output);
    QFETCH(QString, mentions);
    const auto v = ClassifierVerdict::parse(output, "problem");
    QVERIFY(!v.ok());
    QVERIFY2(v.error().message.contains(mentions), qPrintable(v.error().message));
    QVERIFY(v.error().message.startsWith("invalid classifier output"));
}

void tst_ClassifierVerdict::solutionScores()
{
    QVERIFY(!ClassifierVerdict::parse(text(valid()), "solution").ok()); // required for solutions
    QJsonObject o = valid();
    o["solution_scores"] = QJsonObject{{"impact", 80}, {"feasibility", 60}, {"cost_efficiency", 40}};
    const auto v = ClassifierVerdict::parse(text(o), "solution");
    QVERIFY(v.ok());
    QVERIFY(v->solutionScores);
    QCOMPARE(v->solutionScores->composite(), 0.40 * 80 + 0.35 * 60 + 0.25 * 40);
    o["solution_scores"] = QJsonObject{{"impact", 101}, {"feasibility", 60}, {"cost_efficiency", 40}};
    QVERIFY(!ClassifierVerdict::parse(text(o), "solution").ok());
    o["solution_scores"] = QJsonObject{{"impact", 80}, {"feasibility", 60}};
    QVERIFY(!ClassifierVerdict::parse(text(o), "solution").ok());
}

void tst_ClassifierVerdict::roundTrip()
{
    QJsonObject o = valid();
    o["solution_scores"] = QJsonObject{{"impact", 80}, {"feasibility", 60}, {"cost_efficiency", 40}};
    const auto v = ClassifierVerdict::parse(text(o), "solution");
    QVERIFY(v.ok());
    const auto again = ClassifierVerdict::fromJson(v->toJson(), "solution");
    QVERIFY(again.ok());
    QCOMPARE(again->toJson(), v->toJson());
}

QTEST_GUILESS_MAIN(tst_ClassifierVerdict)
#include "tst_classifierverdict.moc"
