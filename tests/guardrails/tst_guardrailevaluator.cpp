// The whole pipeline against PostgreSQL and the fake LLM over HTTP: provider none, Layer A,
// decisions per trust tier in both provider formats, the cache, the daily budget, the circuit
// breaker, retries and the final-failure flag, idempotency, superseded evaluations, the rescue
// sweep, solutions and missions, and the metric.

#include "guardrailtestdb.h"

#include "server/core/metrics.h"
#include "server/core/secretstore.h"
#include "server/guardrails/classifierhub.h"
#include "server/guardrails/guardrailevaluator.h"
#include "server/guardrails/guardrailsettings.h"
#include "tests/support/fakellm.h"
#include "tests/support/pgfixture.h"

#include <QJsonArray>
#include <QTest>

#include <memory>

using namespace bw;
using namespace bw::guardrails;
using bw::test::FakeLlm;

namespace {
// One evaluator stack on a fresh database (budget, breakers and cache start empty).
struct Pipeline {
    std::unique_ptr<db::Database> db;
    MetricsRegistry metrics;
    MemorySecretStore secrets;
    std::unique_ptr<GuardrailSettingsStore> settings;
    std::unique_ptr<ClassifierHub> hub;
    std::unique_ptr<GuardrailEvaluator> evaluator;
    std::unique_ptr<domain::ProblemService> problems;
};
} // namespace

class tst_GuardrailEvaluator final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void providerNoneFlagsEverything();
    void layerARejectsWithoutClassifier();
    void decisions_data();
    void decisions();
    void cacheHits();
    void budgetExhaustion();
    void breakerOpensAndCloses();
    void retryableFailuresThenFlag_data();
    void retryableFailuresThenFlag();
    void nonRetryableFailureFlagsAtOnce();
    void idempotentAndSuperseded();
    void unknownEvaluation();
    void rescueStranded();
    void solutionsAndMissions();
    void metricRecorded();

private:
    void build(const std::function<void(GuardrailConfig &)> &tweak = {}, CircuitBreaker::Options breaker = {});
    QString verified(const QString &name) { return test::createAgent(*m_p->db, name, 10, 3); }
    QString fresh(const QString &name) { return test::createAgent(*m_p->db, name, 0, 0); }
    QString status(const QString &contentId, const QString &table = "problems")
    {
        return test::scalar(*m_p->db, QStringLiteral("SELECT guardrail_status FROM %1 WHERE id = ?::uuid").arg(table),
                            {contentId})
            .toString();
    }
    QJsonObject evaluationRow(const QString &id)
    {
        return test::queryJson(*m_p->db, "SELECT row_to_json(e)::text FROM guardrail_evaluations e WHERE id = ?::uuid", {id});
    }
    int flaggedRows(const QString &evaluationId)
    {
        return test::scalar(*m_p->db,
                            "SELECT count(*) FROM flagged_content WHERE evaluation_id = ?::uuid AND status = 'pending_review'",
                            {evaluationId})
            .toInt();
    }

    test::PgFixture m_pg;
    FakeLlm m_llm;
    std::unique_ptr<Pipeline> m_p;
};

void tst_GuardrailEvaluator::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    QVERIFY(m_llm.start());
}

void tst_GuardrailEvaluator::build(const std::function<void(GuardrailConfig &)> &tweak, CircuitBreaker::Options breaker)
{
    if (m_p)
        m_p->db->releaseThisThread();
    m_p.reset();
    auto p = std::make_unique<Pipeline>();
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    p->db = std::make_unique<db::Database>(m_pg.settings(name));
    GuardrailConfig config;
    config.provider = "anthropic";
    config.model = "fake-haiku";
    config.baseUrl = m_llm.baseUrl();
    config.timeoutMs = 2000;
    if (tweak)
        tweak(config);
    QVERIFY(p->secrets.write(ClassifierHub::kApiKeySecret, "k-test").ok());
    p->settings = std::make_unique<GuardrailSettingsStore>(*p->db, config, std::chrono::milliseconds(0));
    p->hub = std::make_unique<ClassifierHub>(&p->secrets, &p->metrics, breaker);
    p->evaluator = std::make_unique<GuardrailEvaluator>(*p->db, *p->settings, *p->hub, &p->metrics);
    p->problems = std::make_unique<domain::ProblemService>(*p->db);
    m_p = std::move(p);
}

void tst_GuardrailEvaluator::init()
{
    m_llm.clearQueue();
    m_llm.resetStats();
    m_llm.setLatency(0);
    m_llm.setDefaultVerdict(FakeLlm::approvingVerdict());
    build();
}

void tst_GuardrailEvaluator::cleanup()
{
    if (m_p)
        m_p->db->releaseThisThread();
    m_p.reset();
}

void tst_GuardrailEvaluator::providerNoneFlagsEverything()
{
    build([](GuardrailConfig &c) { c.provider = "none"; });
    for (const QString &agent : {verified("vera"), fresh("nina")}) {
        const auto s = test::submitProblem(*m_p->problems, agent, "Wells for the valley " + agent.left(8));
        const auto r = m_p->evaluator->evaluate(s.evaluationId);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->finalDecision, QStringLiteral("flagged"));
        QCOMPARE(status(s.contentId), QStringLiteral("flagged"));
        QCOMPARE(flaggedRows(s.evaluationId), 1);
        const QJsonObject row = evaluationRow(s.evaluationId);
        QCOMPARE(row.value("layer_b_result").toObject().value("status").toString(), QStringLiteral("unavailable"));
        QVERIFY(row.value("decision_reason").toString().contains("provider none"));
        QVERIFY(!row.value("completed_at").isNull());
    }
    QCOMPARE(m_llm.stats().requests, 0);
}

void tst_GuardrailEvaluator::layerARejectsWithoutClassifier()
{
    const auto s = test::submitProblem(*m_p->problems, verified("vera"), "Arm the volunteers",
                                       "We want to hand out we4pons and train people to use them against the gangs nearby.");
    const auto r = m_p->evaluator->evaluate(s.evaluationId);
    QVERIFY(r.ok());
    QCOMPARE(r->finalDecision, QStringLiteral("rejected"));
    QCOMPARE(status(s.contentId), QStringLiteral("rejected"));
    QCOMPARE(flaggedRows(s.evaluationId), 0);
    QCOMPARE(m_llm.stats().requests, 0);
    const QJsonObject layerA = evaluationRow(s.evaluationId).value("layer_a_result").toObject();
    QCOMPARE(layerA.value("passed").toBool(), false);
    QCOMPARE(layerA.value("matches").toArray().first().toObject().value("pattern").toString(), QStringLiteral("weapons"));
}

void tst_GuardrailEvaluator::decisions_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<bool>("verifiedAgent");
    QTest::addColumn<QString>("marker");
    QTest::addColumn<QString>("expected");
    for (const char *provider : {"anthropic", "openai-compatible"}) {
        const QByteArray p(provider);
        // clang-format off
        QTest::addRow("%s new 0.85", p.constData()) << QString(p) << false << "" << "flagged";
        QTest::addRow("%s new 1.0", p.constData()) << QString(p) << false << "[[score=1.0]]" << "approved";
        QTest::addRow("%s verified 0.85", p.constData()) << QString(p) << true << "" << "approved";
        QTest::addRow("%s verified 0.55", p.constData()) << QString(p) << true << "[[score=0.55]] [[decision=flag]]" << "flagged";
        QTest::addRow("%s verified 0.2", p.constData()) << QString(p) << true << "[[score=0.2]] [[decision=reject]]" << "rejected";
        QTest::addRow("%s verified harm high", p.constData()) << QString(p) << true << "[[harm=high]]" << "flagged";
        // clang-format on
    }
}

void tst_GuardrailEvaluator::decisions()
{
    QFETCH(QString, provider);
    QFETCH(bool, verifiedAgent);
    QFETCH(QString, marker);
    QFETCH(QString, expected);
    build([&](GuardrailConfig &c) { c.provider = provider; });
    const QString agent = verifiedAgent ? verified("vera") : fresh("nina");
    const auto s =
        test::submitProblem(*m_p->problems, agent, "Community well for the valley",
                            "Families walk two hours a day for water; a well and a pump committee would fix it. " + marker);
    const auto r = m_p->evaluator->evaluate(s.evaluationId);
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    QCOMPARE(r->finalDecision, expected);
    QCOMPARE(r->trustTier, verifiedAgent ? QStringLiteral("verified") : QStringLiteral("new"));
    QCOMPARE(status(s.contentId), expected);
    QCOMPARE(flaggedRows(s.evaluationId), expected == u"flagged" ? 1 : 0);
    QCOMPARE(provider == u"anthropic" ? m_llm.stats().anthropic : m_llm.stats().openAi, 1);
    const QJsonObject row = evaluationRow(s.evaluationId);
    QCOMPARE(row.value("trust_tier").toString(), r->trustTier);
    QCOMPARE(row.value("provider").toString(), provider);
    QCOMPARE(row.value("alignment_domain").toString(), QStringLiteral("education_access"));
    QCOMPARE(row.value("layer_b_result").toObject().value("status").toString(), QStringLiteral("ok"));
    QVERIFY(row.value("evaluation_duration_ms").toInt() >= 0);
    // The content row carries the classifier's score and domain.
    QCOMPARE(test::scalar(*m_p->db, "SELECT alignment_domain FROM problems WHERE id = ?::uuid", {s.contentId}).toString(),
             QStringLiteral("education_access"));
}

void tst_GuardrailEvaluator::cacheHits()
{
    const QString agent = verified("vera");
    const QString description = "A mobile library van for the three hill villages, twice a week, run by volunteers.";
    const auto first = test::submitProblem(*m_p->problems, agent, "Library van", description);
    const auto second =
        test::submitProblem(*m_p->problems, agent, "  **LIBRARY**   van ", description); // same after normalisation
    QVERIFY(m_p->evaluator->evaluate(first.evaluationId).ok());
    const auto r = m_p->evaluator->evaluate(second.evaluationId);
    QVERIFY(r.ok());
    QVERIFY(r->cacheHit);
    QCOMPARE(r->finalDecision, QStringLiteral("approved"));
    QCOMPARE(m_llm.stats().requests, 1);
    const QJsonObject row = evaluationRow(second.evaluationId);
    QCOMPARE(row.value("cache_hit").toBool(), true);
    QCOMPARE(row.value("cost_cents").toDouble(), 0.0);
    QCOMPARE(row.value("cache_key").toString(), evaluationRow(first.evaluationId).value("cache_key").toString());
    QCOMPARE(test::scalar(*m_p->db, "SELECT hit_count FROM guardrail_cache").toInt(), 1);

    // The cache feeds the decision, not the tier: a new agent's identical text is still flagged.
    const auto third = test::submitProblem(*m_p->problems, fresh("nina"), "Library van", description);
    const auto r3 = m_p->evaluator->evaluate(third.evaluationId);
    QVERIFY(r3->cacheHit);
    QCOMPARE(r3->finalDecision, QStringLiteral("flagged"));

    // TTL 0 disables the cache.
    build([](GuardrailConfig &c) { c.cacheTtlSeconds = 0; });
    const QString a2 = verified("vera");
    for (int i = 0; i < 2; ++i) {
        const auto s = test::submitProblem(*m_p->problems, a2, "Library van", description);
        QVERIFY(!m_p->evaluator->evaluate(s.evaluationId)->cacheHit);
    }
    QCOMPARE(m_llm.stats().requests, 3);
}

void tst_GuardrailEvaluator::budgetExhaustion()
{
    // Prices chosen so that one call costs roughly the whole daily budget of 1 cent.
    build([](GuardrailConfig &c) {
        c.budgetCents = 1;
        c.priceInputCentsPerMTok = 2000;
        c.priceOutputCentsPerMTok = 20000;
    });
    const QString agent = verified("vera");
    const auto a = test::submitProblem(*m_p->problems, agent, "First problem of the day");
    QCOMPARE(m_p->evaluator->evaluate(a.evaluationId)->finalDecision, QStringLiteral("approved"));
    const double spent = test::scalar(*m_p->db, "SELECT spent_cents::float8 FROM guardrail_ai_spend").toDouble();
    QVERIFY2(spent >= 1.0, qPrintable(QString::number(spent)));
    QCOMPARE(evaluationRow(a.evaluationId).value("cost_cents").toDouble(), spent);

    const auto b = test::submitProblem(*m_p->problems, agent, "Second problem of the day");
    const auto r = m_p->evaluator->evaluate(b.evaluationId);
    QCOMPARE(r->finalDecision, QStringLiteral("flagged"));
    QVERIFY(r->reason.contains("budget"));
    QCOMPARE(evaluationRow(b.evaluationId).value("layer_b_result").toObject().value("status").toString(),
             QStringLiteral("budget_exhausted"));
    QCOMPARE(m_llm.stats().requests, 1);
    const auto series = m_p->metrics.series("guardrail_ai_budget_alerts_total");
    QCOMPARE(int(series.size()), 3); // 50, 80 and 100 %, once each
    QCOMPARE(m_p->metrics.sum("guardrail_ai_budget_exhausted_total"), 1.0);

    // A cached verdict needs no budget.
    const auto c = test::submitProblem(*m_p->problems, agent, "First problem of the day");
    QVERIFY(m_p->evaluator->evaluate(c.evaluationId)->cacheHit);
}

void tst_GuardrailEvaluator::breakerOpensAndCloses()
{
    build({}, CircuitBreaker::Options{5, std::chrono::minutes(2), std::chrono::milliseconds(400)});
    const QString agent = verified("vera");
    for (int i = 0; i < 5; ++i) {
        m_llm.enqueue(FakeLlm::Reply::error(503));
        const auto s = test::submitProblem(*m_p->problems, agent, QStringLiteral("Problem number %1 here").arg(i));
        const auto r = m_p->evaluator->evaluate(s.evaluationId, {.finalAttempt = false});
        QVERIFY(!r.ok());
        QVERIFY(r.error().details.value("retry").toBool());
        QCOMPARE(status(s.contentId), QStringLiteral("pending"));
    }
    QCOMPARE(m_p->metrics.sum("guardrail_classifier_circuit_open"), 1.0);
    // Open: flagged at once, no call, even when more attempts remain.
    const auto open = test::submitProblem(*m_p->problems, agent, "While the circuit is open");
    const auto r = m_p->evaluator->evaluate(open.evaluationId, {.finalAttempt = false});
    QVERIFY(r.ok());
    QCOMPARE(r->finalDecision, QStringLiteral("flagged"));
    QVERIFY(r->reason.contains("circuit open"));
    QCOMPARE(m_llm.stats().requests, 5);
    // After the open period one trial goes out; its success closes the circuit.
    QTest::qWait(450);
    const auto trial = test::submitProblem(*m_p->problems, agent, "After the circuit closed again");
    QCOMPARE(m_p->evaluator->evaluate(trial.evaluationId)->finalDecision, QStringLiteral("approved"));
    QCOMPARE(m_llm.stats().requests, 6);
    QCOMPARE(m_p->metrics.sum("guardrail_classifier_circuit_open"), 0.0);
}

void tst_GuardrailEvaluator::retryableFailuresThenFlag_data()
{
    QTest::addColumn<int>("kind"); // 0: 429, 1: 500, 2: malformed output, 3: timeout, 4: dropped, 5: bad envelope
    QTest::addColumn<QString>("reasonMentions");
    QTest::newRow("429") << 0 << "rate_limited";
    QTest::newRow("500") << 1 << "server_error";
    QTest::newRow("malformed output") << 2 << "invalid classifier output";
    QTest::newRow("timeout") << 3 << "timeout";
    QTest::newRow("dropped connection") << 4 << "network";
    QTest::newRow("bad envelope") << 5 << "bad_response";
}

void tst_GuardrailEvaluator::retryableFailuresThenFlag()
{
    QFETCH(int, kind);
    QFETCH(QString, reasonMentions);
    build([](GuardrailConfig &c) { c.timeoutMs = 300; });
    auto fail = [&] {
        switch (kind) {
        case 0:
            return FakeLlm::Reply::error(429, 12);
        case 1:
            return FakeLlm::Reply::error(500);
        case 2:
            return FakeLlm::Reply::modelText("Approve. It is lovely.");
        case 3:
            return FakeLlm::Reply::slow(2000);
        case 4:
            return FakeLlm::Reply::drop();
        default:
            return FakeLlm::Reply::raw("not json at all");
        }
    };
    const auto s = test::submitProblem(*m_p->problems, verified("vera"), "Retried problem report");
    for (int attempt = 1; attempt <= 2; ++attempt) {
        m_llm.enqueue(fail());
        const auto r = m_p->evaluator->evaluate(s.evaluationId, {.finalAttempt = false});
        QVERIFY(!r.ok());
        QCOMPARE(r.error().details.value("retry").toBool(), true);
        if (kind == 0)
            QCOMPARE(r.error().details.value("retryAfterSeconds").toInt(), 12);
        QCOMPARE(status(s.contentId), QStringLiteral("pending"));
        QVERIFY(evaluationRow(s.evaluationId).value("final_decision").isNull());
    }
    m_llm.enqueue(fail());
    const auto last = m_p->evaluator->evaluate(s.evaluationId, {.finalAttempt = true});
    QVERIFY(last.ok());
    QCOMPARE(last->finalDecision, QStringLiteral("flagged"));
    QCOMPARE(status(s.contentId), QStringLiteral("flagged"));
    QCOMPARE(flaggedRows(s.evaluationId), 1);
    const QJsonObject row = evaluationRow(s.evaluationId);
    QVERIFY2(row.value("decision_reason").toString().contains(reasonMentions),
             qPrintable(row.value("decision_reason").toString()));
    QCOMPARE(row.value("layer_b_result").toObject().value("status").toString(), QStringLiteral("failed"));
}

void tst_GuardrailEvaluator::nonRetryableFailureFlagsAtOnce()
{
    m_llm.enqueue(FakeLlm::Reply::error(400));
    const auto s = test::submitProblem(*m_p->problems, verified("vera"), "Provider refuses the request");
    const auto r = m_p->evaluator->evaluate(s.evaluationId, {.finalAttempt = false});
    QVERIFY(r.ok());
    QCOMPARE(r->finalDecision, QStringLiteral("flagged"));
    QVERIFY(r->reason.contains("client_error"));

    // Anthropic without a stored key: unavailable, flagged, no call.
    QVERIFY(m_p->secrets.remove(ClassifierHub::kApiKeySecret).ok());
    m_p->hub->reset();
    const auto s2 = test::submitProblem(*m_p->problems, verified("otto"), "No key configured");
    const auto r2 = m_p->evaluator->evaluate(s2.evaluationId);
    QCOMPARE(r2->finalDecision, QStringLiteral("flagged"));
    QVERIFY(r2->reason.contains("llm-api-key"));
    QCOMPARE(m_llm.stats().requests, 1);
}

void tst_GuardrailEvaluator::idempotentAndSuperseded()
{
    const QString agent = verified("vera");
    const auto s = test::submitProblem(*m_p->problems, agent, "Evaluated twice");
    QCOMPARE(m_p->evaluator->evaluate(s.evaluationId)->finalDecision, QStringLiteral("approved"));
    const auto again = m_p->evaluator->evaluate(s.evaluationId);
    QVERIFY(again.ok());
    QVERIFY(again->alreadyDecided);
    QCOMPARE(m_llm.stats().requests, 1);
    QVERIFY(m_p->evaluator->flagAsFailed(s.evaluationId, "late failure")->alreadyDecided);
    QCOMPARE(status(s.contentId), QStringLiteral("approved"));

    // An edit started a newer evaluation: the old one's verdict must not touch the content.
    const auto edited = test::submitProblem(*m_p->problems, agent, "Edited later");
    QVERIFY(test::scalar(*m_p->db,
                         "WITH e AS (INSERT INTO guardrail_evaluations (content_id, content_type, agent_id, submitted_content)"
                         " SELECT id, 'problem', reported_by_agent_id, '{}' FROM problems WHERE id = ?::uuid RETURNING id)"
                         " UPDATE problems SET guardrail_evaluation_id = (SELECT id FROM e) WHERE id = ?::uuid RETURNING 1",
                         {edited.contentId, edited.contentId})
                .toInt()
            == 1);
    m_llm.setDefaultVerdict(QJsonObject{{"aligned_domain", "education_access"},
                                        {"alignment_score", 0.5},
                                        {"harm_risk", "low"},
                                        {"feasibility", "low"},
                                        {"quality", "low"},
                                        {"decision", "flag"},
                                        {"reasoning", "unclear"}});
    const auto stale = m_p->evaluator->evaluate(edited.evaluationId);
    QCOMPARE(stale->finalDecision, QStringLiteral("flagged"));
    QVERIFY(!stale->contentUpdated);
    QCOMPARE(status(edited.contentId), QStringLiteral("pending"));
    QCOMPARE(flaggedRows(edited.evaluationId), 0);
}

void tst_GuardrailEvaluator::unknownEvaluation()
{
    for (const QString &id : {QStringLiteral("not-a-uuid"), ids::newUuid()}) {
        const auto r = m_p->evaluator->evaluate(id);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().details.value("retry").toBool(true), false);
    }
}

void tst_GuardrailEvaluator::rescueStranded()
{
    const QString agent = verified("vera");
    const auto withJob = test::submitProblem(*m_p->problems, agent, "Still has its job");
    const auto lost = test::submitProblem(*m_p->problems, agent, "Its job was discarded");
    QVERIFY(test::scalar(*m_p->db, "UPDATE jobs SET state = 'discarded' WHERE payload->>'evaluationId' = ? RETURNING 1",
                         {lost.evaluationId})
                .toInt()
            == 1);
    QVERIFY(
        test::scalar(*m_p->db, "UPDATE guardrail_evaluations SET created_at = now() - interval '1 hour' RETURNING 1").isValid());
    const auto rescued = m_p->evaluator->rescueStranded(std::chrono::minutes(10));
    QVERIFY(rescued.ok());
    QCOMPARE(*rescued, 1);
    QCOMPARE(status(lost.contentId), QStringLiteral("flagged"));
    QCOMPARE(flaggedRows(lost.evaluationId), 1);
    QCOMPARE(status(withJob.contentId), QStringLiteral("pending"));
    QCOMPARE(*m_p->evaluator->rescueStranded(std::chrono::minutes(10)), 0);
}

void tst_GuardrailEvaluator::solutionsAndMissions()
{
    if (!test::tableExists(*m_p->db, "solutions") || !test::tableExists(*m_p->db, "missions"))
        QSKIP("solutions/missions tables (migration 0008) are not built in yet");
    const QString agent = verified("vera");
    const auto problem = test::submitProblem(*m_p->problems, agent, "Problem for solutions");
    struct Case {
        QString marker;
        QString expected;
    };
    // impact/feasibility/cost → composite: 80/75/70 = 75.75 approved; 50/50/50 = 50 flagged; 30/30/30 rejected.
    const QList<Case> cases{{"", "approved"},
                            {"[[impact=50]] [[feasibility=50]] [[cost=50]]", "flagged"},
                            {"[[impact=30]] [[feasibility=30]] [[cost=30]]", "rejected"}};
    for (const Case &c : cases) {
        const QString solutionId = ids::newUuid(), evaluationId = ids::newUuid();
        const QString text = "Drill a borehole and train a pump committee of six villagers. " + c.marker;
        QVERIFY(
            test::scalar(
                *m_p->db,
                QStringLiteral(
                    "WITH ev AS (INSERT INTO guardrail_evaluations (id, content_id, content_type, agent_id, submitted_content)"
                    " VALUES (?::uuid, ?::uuid, 'solution', ?::uuid, jsonb_build_object('approach', ?::text)) RETURNING id)"
                    " INSERT INTO solutions (id, problem_id, proposed_by_agent_id, title, description, approach, guardrail_evaluation_id)"
                    " SELECT ?::uuid, ?::uuid, ?::uuid, 'Borehole', 'desc', ?, ev.id FROM ev RETURNING 1"),
                {evaluationId, solutionId, agent, text, solutionId, problem.contentId, agent, text})
                .toInt()
            == 1);
        const auto r = m_p->evaluator->evaluate(evaluationId);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->finalDecision, c.expected);
        QCOMPARE(status(solutionId, "solutions"), c.expected);
        QVERIFY(test::scalar(*m_p->db, "SELECT impact_score::float8 FROM solutions WHERE id = ?::uuid", {solutionId}).toDouble()
                > 0);
    }
    QCOMPARE(
        test::scalar(*m_p->db, "SELECT composite_score::float8 FROM solutions WHERE guardrail_status = 'approved'").toDouble(),
        75.75);
    QVERIFY(m_llm.stats().lastUserMessage.contains("Content type: solution"));
    QVERIFY(m_llm.stats().lastSystemPrompt.contains("solution_scores"));

    // Missions are evaluated (and reviewable) the same way.
    const QString missionId = ids::newUuid(), evaluationId = ids::newUuid();
    QVERIFY(
        test::scalar(
            *m_p->db,
            QStringLiteral(
                "WITH ev AS (INSERT INTO guardrail_evaluations (id, content_id, content_type, agent_id, submitted_content)"
                " VALUES (?::uuid, ?::uuid, 'mission', ?::uuid, '{\"title\":\"Photograph the broken pumps [[harm=high]]\"}') RETURNING id)"
                " INSERT INTO missions (id, created_by_agent_id, title, description, domain, estimated_duration_minutes, token_reward,"
                "  expires_at, guardrail_evaluation_id)"
                " SELECT ?::uuid, ?::uuid, 'Pumps', 'desc', 'clean_water_sanitation', 60, 10, now() + interval '7 days', ev.id FROM ev RETURNING 1"),
            {evaluationId, missionId, agent, missionId, agent})
            .toInt()
        == 1);
    QCOMPARE(m_p->evaluator->evaluate(evaluationId)->finalDecision, QStringLiteral("flagged"));
    QCOMPARE(status(missionId, "missions"), QStringLiteral("flagged"));
    QCOMPARE(flaggedRows(evaluationId), 1);
    QCOMPARE(test::scalar(*m_p->db, "SELECT content_type FROM flagged_content WHERE evaluation_id = ?::uuid", {evaluationId})
                 .toString(),
             QStringLiteral("mission"));
}

void tst_GuardrailEvaluator::metricRecorded()
{
    const auto s = test::submitProblem(*m_p->problems, verified("vera"), "Measured problem");
    QVERIFY(m_p->evaluator->evaluate(s.evaluationId).ok());
    const QByteArray text = m_p->metrics.renderPrometheus();
    QVERIFY(text.contains("guardrail_evaluation_duration_seconds_bucket{decision=\"approved\""));
    QVERIFY(text.contains("guardrail_evaluations_total{decision=\"approved\",tier=\"verified\"} 1"));
    QVERIFY(text.contains("guardrail_classifier_calls_total{provider=\"anthropic\",outcome=\"ok\"} 1"));
    QCOMPARE(m_p->metrics.mergedHistogram("guardrail_evaluation_duration_seconds").count, quint64(1));
}

QTEST_GUILESS_MAIN(tst_GuardrailEvaluator)
#include "tst_guardrailevaluator.moc"
