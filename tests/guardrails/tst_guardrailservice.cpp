// The guardrail settings (node configuration vs. edited rows, audited updates, pattern override),
// the agent-facing service (submit/status), and the job handler driving the pipeline through the
// real job queue: retries with backoff, then the final failure flagged.

#include "guardrailtestdb.h"

#include "server/core/metrics.h"
#include "server/core/secretstore.h"
#include "server/guardrails/classifierhub.h"
#include "server/guardrails/guardrailevaluator.h"
#include "server/guardrails/guardrailjobs.h"
#include "server/guardrails/guardrailservice.h"
#include "server/guardrails/guardrailsettings.h"
#include "server/jobs/jobsystem.h"
#include "tests/support/fakellm.h"
#include "tests/support/pgfixture.h"

#include <QJsonArray>
#include <QTest>

#include <memory>

using namespace bw;
using namespace bw::guardrails;
using bw::test::FakeLlm;

class tst_GuardrailService final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void settingsPrecedence();
    void invalidSettings_data();
    void invalidSettings();
    void thresholdEditChangesDecisions();
    void patternOverride();
    void submitValidation_data();
    void submitValidation();
    void submitAndStatus();
    void jobQueueEndToEnd();

private:
    void build(GuardrailConfig config);

    test::PgFixture m_pg;
    FakeLlm m_llm;
    std::unique_ptr<db::Database> m_db;
    MetricsRegistry m_metrics;
    MemorySecretStore m_secrets;
    std::unique_ptr<GuardrailSettingsStore> m_settings;
    std::unique_ptr<ClassifierHub> m_hub;
    std::unique_ptr<GuardrailEvaluator> m_evaluator;
    std::unique_ptr<GuardrailService> m_service;
    std::unique_ptr<domain::ProblemService> m_problems;
};

void tst_GuardrailService::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    QVERIFY(m_llm.start());
    QVERIFY(m_secrets.write(ClassifierHub::kApiKeySecret, "k").ok());
}

void tst_GuardrailService::build(GuardrailConfig config)
{
    cleanup();
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_db = std::make_unique<db::Database>(m_pg.settings(name));
    m_settings = std::make_unique<GuardrailSettingsStore>(*m_db, config, std::chrono::milliseconds(0));
    m_hub = std::make_unique<ClassifierHub>(&m_secrets, &m_metrics);
    m_evaluator = std::make_unique<GuardrailEvaluator>(*m_db, *m_settings, *m_hub, &m_metrics);
    m_service = std::make_unique<GuardrailService>(*m_db);
    m_problems = std::make_unique<domain::ProblemService>(*m_db);
}

void tst_GuardrailService::init()
{
    m_llm.clearQueue();
    m_llm.resetStats();
    m_llm.setLatency(0);
    GuardrailConfig config;
    config.provider = "openai-compatible";
    config.baseUrl = m_llm.baseUrl();
    build(config);
}

void tst_GuardrailService::cleanup()
{
    m_problems.reset();
    m_service.reset();
    m_evaluator.reset();
    m_hub.reset();
    m_settings.reset();
    if (m_db)
        m_db->releaseThisThread();
    m_db.reset();
}

void tst_GuardrailService::settingsPrecedence()
{
    GuardrailConfig node;
    node.budgetCents = 500;
    node.approveThreshold = 0.8;
    build(node);
    // Migration defaults yield to the node's configuration, and sync makes the rows show it.
    QCOMPARE((*m_settings->current())->policy.budgetCents, 500);
    QVERIFY(m_settings->syncNodeConfig().ok());
    QCOMPARE(test::scalar(*m_db, "SELECT value::text FROM settings WHERE key = 'guardrails/budget_cents'").toString(),
             QStringLiteral("500"));
    QCOMPARE(test::scalar(*m_db, "SELECT updated_by FROM settings WHERE key = 'guardrails/budget_cents'").toString(),
             QStringLiteral("migration"));

    // An edit in the app wins over the node's configuration and is audited.
    const QString moderator = ids::newUuid();
    QVERIFY(m_settings->update("guardrails/budget_cents", 900, "moderator", moderator).ok());
    QCOMPARE((*m_settings->current())->policy.budgetCents, 900);
    const QJsonObject audit =
        test::queryJson(*m_db, "SELECT row_to_json(a)::text FROM audit_log a WHERE action = 'settings.update'");
    QCOMPARE(audit.value("actor_type").toString(), QStringLiteral("moderator"));
    QCOMPARE(audit.value("actor_id").toString(), moderator);
    QCOMPARE(audit.value("target_id").toString(), QStringLiteral("guardrails/budget_cents"));
    QCOMPARE(audit.value("before").toInt(), 500);
    QCOMPARE(audit.value("after").toInt(), 900);
    QVERIFY(m_settings->syncNodeConfig().ok()); // does not undo an edit
    QCOMPARE((*m_settings->current())->policy.budgetCents, 900);
    QCOMPARE((*m_settings->current())->policy.approveThreshold, 0.8);

    QVERIFY(m_settings->update("guardrails/provider", "anthropic", "system", {}).ok());
    QCOMPARE((*m_settings->current())->policy.provider, QStringLiteral("anthropic"));
    QCOMPARE(GuardrailSettingsStore::keys().size(), 14);
}

void tst_GuardrailService::invalidSettings_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QJsonValue>("value");
    QTest::newRow("unknown key") << "guardrails/nope" << QJsonValue(1);
    QTest::newRow("threshold > 1") << "guardrails/approve_threshold" << QJsonValue(1.5);
    QTest::newRow("threshold text") << "guardrails/approve_threshold" << QJsonValue("0.7");
    QTest::newRow("flag above approve") << "guardrails/flag_threshold" << QJsonValue(0.75);
    QTest::newRow("composite order") << "guardrails/composite_reject_below" << QJsonValue(70);
    QTest::newRow("budget fraction") << "guardrails/budget_cents" << QJsonValue(10.5);
    QTest::newRow("provider") << "guardrails/provider" << QJsonValue("openai");
    QTest::newRow("base url") << "guardrails/base_url" << QJsonValue("ftp://x");
    QTest::newRow("patterns not object") << "guardrails/patterns" << QJsonValue("x");
    QTest::newRow("patterns invalid") << "guardrails/patterns" << QJsonValue(QJsonObject{{"format", 1}});
}

void tst_GuardrailService::invalidSettings()
{
    QFETCH(QString, key);
    QFETCH(QJsonValue, value);
    const Status s = m_settings->update(key, value, "moderator", ids::newUuid());
    QVERIFY(!s.ok());
    QCOMPARE(s.error().kind, ErrorKind::BadRequest);
    QCOMPARE(test::scalar(*m_db, "SELECT count(*) FROM audit_log").toInt(), 0);
}

void tst_GuardrailService::thresholdEditChangesDecisions()
{
    const QString agent = test::createAgent(*m_db, "vera", 10, 3);
    const auto a = test::submitProblem(*m_problems, agent, "Before the edit");
    QCOMPARE(m_evaluator->evaluate(a.evaluationId)->finalDecision, QStringLiteral("approved")); // 0.85 ≥ 0.70
    QVERIFY(m_settings->update("guardrails/approve_threshold", 0.9, "moderator", ids::newUuid()).ok());
    const auto b = test::submitProblem(*m_problems, agent, "After the edit");
    QCOMPARE(m_evaluator->evaluate(b.evaluationId)->finalDecision, QStringLiteral("flagged"));
    // Trust tier thresholds are settings too: 5 approved needed → vera is "new" again.
    QVERIFY(m_settings->update("guardrails/verified_min_approved", 5, "moderator", ids::newUuid()).ok());
    const auto c = test::submitProblem(*m_problems, agent, "Tier after the edit");
    QCOMPARE(m_evaluator->evaluate(c.evaluationId)->trustTier, QStringLiteral("new"));
}

void tst_GuardrailService::patternOverride()
{
    const QJsonObject custom{
        {"format", 1},
        {"version", "ops-2"},
        {"patterns", QJsonArray{QJsonObject{{"name", "lottery"}, {"severity", "high"}, {"terms", QJsonArray{"lotter\\w*"}}}}}};
    QVERIFY(m_settings->update(GuardrailSettingsStore::kPatternsKey, custom, "moderator", ids::newUuid()).ok());
    const auto snap = *m_settings->current();
    QCOMPARE(snap->patternsSource, QStringLiteral("settings"));
    QCOMPARE(snap->patterns->version(), QStringLiteral("ops-2"));
    const QString agent = test::createAgent(*m_db, "vera", 10, 3);
    const auto s = test::submitProblem(*m_problems, agent, "A lottery for the school roof");
    QCOMPARE(m_evaluator->evaluate(s.evaluationId)->finalDecision, QStringLiteral("rejected"));
    // A broken override in the table (written around the validation) falls back to the built-in set.
    QVERIFY(
        test::scalar(*m_db, "UPDATE settings SET value = '{\"format\":9}' WHERE key = 'guardrails/patterns' RETURNING 1").toInt()
        == 1);
    QCOMPARE((*m_settings->current())->patternsSource, QStringLiteral("built-in"));
}

void tst_GuardrailService::submitValidation_data()
{
    QTest::addColumn<QJsonObject>("body");
    QTest::addColumn<QStringList>("fields");
    const QString id = ids::newUuid();
    QTest::newRow("empty") << QJsonObject{} << QStringList{"contentType", "contentId", "content"};
    QTest::newRow("bad type") << QJsonObject{{"contentType", "tweet"}, {"contentId", id}, {"content", "x"}}
                              << QStringList{"contentType"};
    QTest::newRow("bad id") << QJsonObject{{"contentType", "problem"}, {"contentId", "12"}, {"content", "x"}}
                            << QStringList{"contentId"};
    QTest::newRow("content number") << QJsonObject{{"contentType", "problem"}, {"contentId", id}, {"content", 3}}
                                    << QStringList{"content"};
    QTest::newRow("content blank") << QJsonObject{{"contentType", "problem"}, {"contentId", id}, {"content", "   "}}
                                   << QStringList{"content"};
    QTest::newRow("content no text") << QJsonObject{{"contentType", "problem"},
                                                    {"contentId", id},
                                                    {"content", QJsonObject{{"n", 1}}}}
                                     << QStringList{"content"};
    QTest::newRow("content too long") << QJsonObject{{"contentType", "problem"},
                                                     {"contentId", id},
                                                     {"content", QString(50001, u'a')}}
                                      << QStringList{"content"};
}

void tst_GuardrailService::submitValidation()
{
    QFETCH(QJsonObject, body);
    QFETCH(QStringList, fields);
    domain::Caller caller;
    caller.agentId = test::createAgent(*m_db, "vera");
    const auto r = m_service->submit(caller, body);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::Validation);
    const QJsonObject got = r.error().details.value("fields").toObject();
    for (const QString &f : fields)
        QVERIFY2(got.contains(f), qPrintable(f));
    QCOMPARE(got.size(), fields.size());
}

void tst_GuardrailService::submitAndStatus()
{
    domain::Caller vera, otto;
    vera.agentId = test::createAgent(*m_db, "vera", 10, 3);
    otto.agentId = test::createAgent(*m_db, "otto");
    // Point the evaluation at an existing problem of vera's: it must not change it.
    const auto problem = test::submitProblem(*m_problems, vera.agentId, "Existing problem");
    const auto submitted = m_service->submit(vera, QJsonObject{{"contentType", "problem"},
                                                               {"contentId", problem.contentId},
                                                               {"content", "[[score=0.5]] Is this a good idea for the park?"}});
    QVERIFY2(submitted.ok(), submitted.ok() ? "" : qPrintable(submitted.error().message));
    const QString id = submitted->value("evaluationId").toString();
    QCOMPARE(submitted->value("status").toString(), QStringLiteral("pending"));
    QCOMPARE(submitted->value("contentId").toString(), problem.contentId);
    QCOMPARE(submitted->value("queuePosition").toInt(), 2); // the problem's own job is ahead
    QCOMPARE(test::scalar(*m_db, "SELECT count(*) FROM jobs WHERE payload->>'evaluationId' = ?", {id}).toInt(), 1);
    QCOMPARE(test::scalar(*m_db, "SELECT origin FROM guardrail_evaluations WHERE id = ?::uuid", {id}).toString(),
             QStringLiteral("api"));

    const auto pending = m_service->status(vera, id);
    QVERIFY(pending.ok());
    QCOMPARE(pending->value("status").toString(), QStringLiteral("pending"));
    QVERIFY(pending->value("startedAt").toString().endsWith('Z'));
    QVERIFY(pending->value("elapsedSeconds").toDouble() >= 0);
    QCOMPARE(m_service->status(otto, id).error().kind, ErrorKind::Forbidden);
    QCOMPARE(m_service->status(vera, ids::newUuid()).error().kind, ErrorKind::NotFound);
    QCOMPARE(m_service->status(vera, "nope").error().kind, ErrorKind::NotFound);

    const auto r = m_evaluator->evaluate(id);
    QCOMPARE(r->finalDecision, QStringLiteral("flagged"));
    QVERIFY(!r->contentUpdated);
    QVERIFY(!r->flaggedQueued);
    QCOMPARE(test::scalar(*m_db, "SELECT guardrail_status FROM problems WHERE id = ?::uuid", {problem.contentId}).toString(),
             QStringLiteral("pending"));
    QCOMPARE(test::scalar(*m_db, "SELECT count(*) FROM flagged_content").toInt(), 0);

    const auto done = m_service->status(vera, id);
    QVERIFY(done.ok());
    QCOMPARE(done->value("status").toString(), QStringLiteral("completed"));
    QCOMPARE(done->value("finalDecision").toString(), QStringLiteral("flagged"));
    QCOMPARE(done->value("alignmentScore").toDouble(), 0.5);
    QCOMPARE(done->value("alignmentDomain").toString(), QStringLiteral("education_access"));
    QCOMPARE(done->value("cacheHit").toBool(), false);
    QCOMPARE(done->value("layerAResult").toObject().value("passed").toBool(), true);
    QCOMPARE(done->value("layerBResult").toObject().value("status").toString(), QStringLiteral("ok"));
    QVERIFY(done->value("completedAt").toString().endsWith('Z'));
    QVERIFY(done->value("evaluationDurationMs").toInt() >= 0);
}

void tst_GuardrailService::jobQueueEndToEnd()
{
    jobs::JobSystem queue(*m_db, m_metrics, QStringLiteral("test-node"));
    jobs::QueueSettings settings;
    settings.concurrency = 4;
    registerGuardrailJobs(queue, *m_evaluator, settings);
    jobs::QueueSettings fast = settings; // milliseconds instead of seconds between attempts
    fast.backoffBaseMs = 50;
    fast.backoffCapMs = 200;
    queue.setQueueSettings(QString::fromLatin1(kEvaluationQueue), fast);
    queue.setPollInterval(100);
    QVERIFY(queue.start().ok());

    const QString agent = test::createAgent(*m_db, "vera", 10, 3);
    // Three failures in a row: two retries with backoff, then the last attempt flags it.
    for (int i = 0; i < 3; ++i)
        m_llm.enqueue(FakeLlm::Reply::error(503));
    const auto failing = test::submitProblem(*m_problems, agent, "Provider down for this one");
    QTRY_COMPARE_WITH_TIMEOUT(
        test::scalar(*m_db, "SELECT guardrail_status FROM problems WHERE id = ?::uuid", {failing.contentId}).toString(),
        QStringLiteral("flagged"), 20000);
    QCOMPARE(m_llm.stats().requests, 3);
    const QJsonObject job = test::queryJson(*m_db, "SELECT row_to_json(j)::text FROM jobs j WHERE payload->>'evaluationId' = ?",
                                            {failing.evaluationId});
    QTRY_COMPARE_WITH_TIMEOUT(
        test::scalar(*m_db, "SELECT state FROM jobs WHERE payload->>'evaluationId' = ?", {failing.evaluationId}).toString(),
        QStringLiteral("completed"), 5000);
    QCOMPARE(job.value("attempts").toInt(), 3);
    QVERIFY(test::scalar(*m_db, "SELECT decision_reason FROM guardrail_evaluations WHERE id = ?::uuid", {failing.evaluationId})
                .toString()
                .contains("server_error"));

    // And the happy path, several at once.
    QStringList contents;
    for (int i = 0; i < 6; ++i)
        contents << test::submitProblem(*m_problems, agent, QStringLiteral("Queued problem number %1").arg(i)).contentId;
    for (const QString &id : contents)
        QTRY_COMPARE_WITH_TIMEOUT(
            test::scalar(*m_db, "SELECT guardrail_status FROM problems WHERE id = ?::uuid", {id}).toString(),
            QStringLiteral("approved"), 20000);
    queue.stop(5000);
}

QTEST_GUILESS_MAIN(tst_GuardrailService)
#include "tst_guardrailservice.moc"
