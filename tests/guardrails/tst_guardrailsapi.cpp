// The guardrail endpoints and the whole pipeline inside the real server: POST /guardrails/evaluate
// (202) → the node's job workers → the fake LLM → GET /guardrails/status/:id completed; a problem
// created over HTTP leaves `pending` on its own; validation, ownership and authentication.

#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/apiserver.h"
#include "tests/support/fakellm.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace bw::test;

namespace {
QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}
QString errorCode(const HttpReply &r)
{
    return r.json().value("error").toObject().value("code").toString();
}
} // namespace

class tst_GuardrailsApi final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void evaluateAndPoll();
    void problemLeavesPending();
    void validationAndAccess();

private:
    quint16 port() const { return m_server->port(); }
    QJsonObject status(const QString &id, const QString &key)
    {
        return httpRequest(port(), "GET", "/api/v1/guardrails/status/" + id.toUtf8(), {}, {{"Authorization", bearer(key)}})
            .json()
            .value("data")
            .toObject();
    }

    PgFixture m_pg;
    FakeLlm m_llm;
    std::unique_ptr<ApiServer> m_server;
    QString m_key, m_otherKey;
};

void tst_GuardrailsApi::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    QVERIFY(m_llm.start());
    m_llm.setLatency(50);
    m_server = std::make_unique<ApiServer>(m_pg);
    QVERIFY2(m_server->start([this](bw::Config &c) {
        c.guardrails.provider = "openai-compatible";
        c.guardrails.baseUrl = m_llm.baseUrl();
        c.guardrails.model = "local-llama";
    }),
             qPrintable(m_server->lastError()));
    m_key = m_server->registerAgent("guard_one").second;
    m_otherKey = m_server->registerAgent("guard_two").second;
    QVERIFY(!m_key.isEmpty() && !m_otherKey.isEmpty());
}

void tst_GuardrailsApi::cleanupTestCase()
{
    QVERIFY(m_server->stop());
}

void tst_GuardrailsApi::evaluateAndPoll()
{
    const QString contentId = "7b0c3e52-1a3b-4c5d-8e9f-0a1b2c3d4e5f";
    const HttpReply r =
        httpRequest(port(), "POST", "/api/v1/guardrails/evaluate",
                    json({{"contentType", "solution"},
                          {"contentId", contentId},
                          {"content", QJsonObject{{"title", "Solar pumps"},
                                                  {"approach", "Replace diesel pumps with solar ones in five villages."}}}}),
                    {{"Authorization", bearer(m_key)}});
    QCOMPARE(r.status, 202);
    const QJsonObject data = r.json().value("data").toObject();
    const QString id = data.value("evaluationId").toString();
    QCOMPARE(data.value("status").toString(), QStringLiteral("pending"));
    QCOMPARE(data.value("contentId").toString(), contentId);
    QVERIFY(data.value("queuePosition").toInt() >= 1);

    QTRY_COMPARE_WITH_TIMEOUT(status(id, m_key).value("status").toString(), QStringLiteral("completed"), 15000);
    const QJsonObject done = status(id, m_key);
    QCOMPARE(done.value("finalDecision").toString(), QStringLiteral("flagged")); // a new agent
    QCOMPARE(done.value("alignmentScore").toDouble(), 0.85);
    QCOMPARE(done.value("layerBResult").toObject().value("solution_scores").toObject().value("impact").toInt(), 80);
    QCOMPARE(done.value("layerBResult").toObject().value("model").toString(), QStringLiteral("local-llama"));
    QVERIFY(m_llm.stats().openAi >= 1);

    const HttpReply metrics = httpRequest(port(), "GET", "/metrics");
    QVERIFY(metrics.body.contains("guardrail_evaluation_duration_seconds_bucket{decision=\"flagged\""));
}

void tst_GuardrailsApi::problemLeavesPending()
{
    const QByteArray problem =
        json({{"title", "No clean water in Hill Ward"},
              {"description", "Hill Ward's two hand pumps broke in May; 900 people now carry water from the river."},
              {"domain", "clean_water_sanitation"},
              {"severity", "high"}});
    const HttpReply created = httpRequest(port(), "POST", "/api/v1/problems", problem, {{"Authorization", bearer(m_key)}});
    QCOMPARE(created.status, 201);
    const QString id = created.json().value("data").toObject().value("id").toString();
    auto guardrailStatus = [&] {
        return httpRequest(port(), "GET", "/api/v1/problems/" + id.toUtf8(), {}, {{"Authorization", bearer(m_key)}})
            .json()
            .value("data")
            .toObject()
            .value("guardrailStatus")
            .toString();
    };
    QTRY_COMPARE_WITH_TIMEOUT(guardrailStatus(), QStringLiteral("flagged"), 15000);
    const QJsonObject explanation =
        httpRequest(port(), "GET", "/api/v1/problems/" + id.toUtf8(), {}, {{"Authorization", bearer(m_key)}})
            .json()
            .value("data")
            .toObject()
            .value("guardrailExplanation")
            .toObject();
    QCOMPARE(explanation.value("finalDecision").toString(), QStringLiteral("flagged"));

    bw::db::Database db(m_pg.settings(m_server->database()));
    auto q =
        bw::db::exec(db.connection(), QStringLiteral("SELECT count(*) FROM flagged_content WHERE content_id = ?::uuid"), {id});
    QVERIFY(q && q->next());
    QCOMPARE(q->value(0).toInt(), 1);
    db.releaseThisThread();
}

void tst_GuardrailsApi::validationAndAccess()
{
    const HttpReply anonymous = httpRequest(port(), "POST", "/api/v1/guardrails/evaluate", "{}");
    QCOMPARE(anonymous.status, 401);
    const HttpReply invalid =
        httpRequest(port(), "POST", "/api/v1/guardrails/evaluate", json({{"contentType", "tweet"}, {"contentId", "x"}}),
                    {{"Authorization", bearer(m_key)}});
    QCOMPARE(invalid.status, 422);
    QCOMPARE(errorCode(invalid), QStringLiteral("VALIDATION_ERROR"));
    const QJsonObject fields = invalid.json().value("error").toObject().value("details").toObject().value("fields").toObject();
    QVERIFY(fields.contains("contentType") && fields.contains("contentId") && fields.contains("content"));
    QCOMPARE(httpRequest(port(), "POST", "/api/v1/guardrails/evaluate", "[1]", {{"Authorization", bearer(m_key)}}).status, 400);

    const HttpReply mine = httpRequest(port(), "POST", "/api/v1/guardrails/evaluate",
                                       json({{"contentType", "debate"},
                                             {"contentId", "2b0c3e52-1a3b-4c5d-8e9f-0a1b2c3d4e5f"},
                                             {"content", "I support this, the pilot in the north worked."}}),
                                       {{"Authorization", bearer(m_key)}});
    QCOMPARE(mine.status, 202);
    const QByteArray id = mine.json().value("data").toObject().value("evaluationId").toString().toUtf8();
    QCOMPARE(httpRequest(port(), "GET", "/api/v1/guardrails/status/" + id, {}, {{"Authorization", bearer(m_otherKey)}}).status,
             403);
    QCOMPARE(httpRequest(port(), "GET", "/api/v1/guardrails/status/" + id).status, 401);
    QCOMPARE(httpRequest(port(), "GET", "/api/v1/guardrails/status/not-a-uuid", {}, {{"Authorization", bearer(m_key)}}).status,
             404);
    QCOMPARE(httpRequest(port(), "GET", "/api/v1/guardrails/status/" + id, {}, {{"Authorization", bearer(m_key)}}).status, 200);
}

QTEST_GUILESS_MAIN(tst_GuardrailsApi)
#include "tst_guardrailsapi.moc"
