// Agent registration, authentication and rate limits over real HTTP (api.md §3–5).
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace bw::test;

namespace {
QByteArray registration(const QString &username, const QJsonArray &specializations = {QStringLiteral("healthcare_improvement")})
{
    return QJsonDocument(QJsonObject{{"username", username},
                                     {"framework", "langchain"},
                                     {"specializations", specializations},
                                     {"displayName", QString("Agent " + username)},
                                     {"email", QString(username + "@example.org")}})
        .toJson();
}
QString errorCode(const HttpReply &r)
{
    return r.json().value("error").toObject().value("code").toString();
}
} // namespace

class tst_AgentsApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    quint16 port() const { return m_server->port(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
    }
    void cleanupTestCase() { QVERIFY(m_server->stop()); }

    void registerThenMe()
    {
        const HttpReply reg = httpRequest(port(), "POST", "/api/v1/auth/agents/register", registration("flow_agent"));
        QCOMPARE(reg.status, 201);
        const QJsonObject data = reg.json().value("data").toObject();
        QCOMPARE(data.value("username").toString(), QStringLiteral("flow_agent"));
        const QString key = data.value("apiKey").toString();
        QCOMPARE(key.size(), 64);
        QVERIFY(!data.value("agentId").toString().isEmpty());

        const HttpReply me = httpRequest(port(), "GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(key)}});
        QCOMPARE(me.status, 200);
        const QJsonObject profile = me.json().value("data").toObject();
        QCOMPARE(profile.value("id").toString(), data.value("agentId").toString());
        QCOMPARE(profile.value("username").toString(), QStringLiteral("flow_agent"));
        QCOMPARE(profile.value("framework").toString(), QStringLiteral("langchain"));
        QCOMPARE(profile.value("claimStatus").toString(), QStringLiteral("pending"));
        QCOMPARE(profile.value("specializations").toArray(), QJsonArray{"healthcare_improvement"});
        QVERIFY(profile.value("createdAt").toString().endsWith(u'Z'));
        QVERIFY(!profile.contains("apiKeyHash"));
        QCOMPARE(me.header("cache-control"), QByteArray("no-store"));
    }

    void duplicateUsernameIsCaseInsensitive409()
    {
        QCOMPARE(httpRequest(port(), "POST", "/api/v1/auth/agents/register", registration("dup_agent")).status, 201);
        const HttpReply again = httpRequest(port(), "POST", "/api/v1/auth/agents/register", registration("DUP_AGENT"));
        QVERIFY(again.status == 409 || again.status == 422); // upper case fails the pattern first…
        const HttpReply same = httpRequest(port(), "POST", "/api/v1/auth/agents/register", registration("dup_agent"));
        QCOMPARE(same.status, 409);
        QCOMPARE(errorCode(same), QStringLiteral("USERNAME_TAKEN"));
    }

    void validationIs422WithFields()
    {
        const QByteArray body =
            QJsonDocument(QJsonObject{{"username", "x"}, {"framework", "skynet"}, {"specializations", QJsonArray{}}}).toJson();
        const HttpReply r = httpRequest(port(), "POST", "/api/v1/auth/agents/register", body);
        QCOMPARE(r.status, 422);
        QCOMPARE(errorCode(r), QStringLiteral("VALIDATION_ERROR"));
        const QJsonObject fields = r.json().value("error").toObject().value("details").toObject().value("fields").toObject();
        QVERIFY(fields.contains("username"));
        QVERIFY(fields.contains("framework"));
        QVERIFY(fields.contains("specializations"));
        QVERIFY(fields.value("username").toArray().size() >= 1);

        const HttpReply reserved = httpRequest(port(), "POST", "/api/v1/auth/agents/register", registration("admin"));
        QCOMPARE(reserved.status, 422);
    }

    void authFailures()
    {
        HttpReply r = httpRequest(port(), "GET", "/api/v1/agents/me");
        QCOMPARE(r.status, 401);
        QCOMPARE(errorCode(r), QStringLiteral("UNAUTHORIZED"));
        r = httpRequest(port(), "GET", "/api/v1/agents/me", {}, {{"Authorization", "Basic Zm9vOmJhcg=="}});
        QCOMPARE(r.status, 401);
        QCOMPARE(errorCode(r), QStringLiteral("UNAUTHORIZED"));
        r = httpRequest(port(), "GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(QString(64, u'a'))}});
        QCOMPARE(r.status, 401);
        QCOMPARE(errorCode(r), QStringLiteral("API_KEY_INVALID"));
        r = httpRequest(port(), "GET", "/api/v1/agents/me", {}, {{"Authorization", "Bearer short"}});
        QCOMPARE(r.status, 401);
        QCOMPARE(errorCode(r), QStringLiteral("API_KEY_INVALID"));
        // A present-but-invalid key is 401 even on a public route.
        r = httpRequest(port(), "GET", "/api/v1/problems", {}, {{"Authorization", bearer(QString(64, u'b'))}});
        QCOMPARE(r.status, 401);
    }

    void rateLimitsAndHeaders()
    {
        ApiServer limited(m_pg);
        QVERIFY2(limited.start([](bw::Config &c) {
            c.rateLimits.enabled = true;
            c.rateLimits.publicPerIp = 5;
            c.rateLimits.registrationPerIp = 3;
            c.rateLimits.agentPending = 4;
        }),
                 qPrintable(limited.lastError()));
        // Registration: 3 per IP per window.
        QString key;
        for (int i = 0; i < 3; ++i) {
            const HttpReply r = httpRequest(limited.port(), "POST", "/api/v1/auth/agents/register",
                                            registration(QStringLiteral("rl_agent_%1").arg(i)));
            QCOMPARE(r.status, 201);
            QCOMPARE(r.header("x-ratelimit-limit"), QByteArray("3"));
            QCOMPARE(r.header("x-ratelimit-remaining"), QByteArray::number(2 - i));
            QVERIFY(r.header("x-ratelimit-reset").toLongLong() > QDateTime::currentSecsSinceEpoch() - 1);
            key = r.json().value("data").toObject().value("apiKey").toString();
        }
        HttpReply r = httpRequest(limited.port(), "POST", "/api/v1/auth/agents/register", registration("rl_agent_x"));
        QCOMPARE(r.status, 429);
        QCOMPARE(errorCode(r), QStringLiteral("RATE_LIMITED"));
        QVERIFY(r.header("retry-after").toInt() >= 1);
        const QJsonObject details = r.json().value("error").toObject().value("details").toObject();
        QCOMPARE(details.value("limit").toInt(), 3);
        QCOMPARE(details.value("window").toInt(), 60);
        QVERIFY(details.value("retryAfter").toInt() >= 1);

        // Public per IP: 5.
        int okCount = 0;
        for (int i = 0; i < 7; ++i)
            okCount += httpRequest(limited.port(), "GET", "/api/v1/problems").status == 200;
        QCOMPARE(okCount, 5);

        // A pending agent: 4 per minute, counted per agent (not per IP).
        int agentOk = 0;
        for (int i = 0; i < 6; ++i) {
            const HttpReply me = httpRequest(limited.port(), "GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(key)}});
            agentOk += me.status == 200;
            if (me.status == 200)
                QCOMPARE(me.header("x-ratelimit-limit"), QByteArray("4"));
        }
        QCOMPARE(agentOk, 4);
        // Health is exempt.
        for (int i = 0; i < 10; ++i)
            QCOMPARE(httpRequest(limited.port(), "GET", "/health").status, 200);
        QVERIFY(limited.stop());
    }
};

QTEST_GUILESS_MAIN(tst_AgentsApi)
#include "tst_agentsapi.moc"
