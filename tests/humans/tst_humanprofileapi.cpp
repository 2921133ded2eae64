// A person's profile over real HTTP (humans.md §2), the separation of human tokens and agent keys,
// and the per-human rate limit (rate_limit/human) with its headers. The server runs with rate
// limits on: a small per-human limit, and a per-IP login limit high enough for the set-up.
#include "humanstest.h"

#include <QTest>

using namespace bw::test;
using namespace bw::test::humans;

namespace {
constexpr int kHumanLimit = 25;
}

class tst_HumanProfileApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    std::unique_ptr<HumansClient> m_client;
    Session m_me; // shared by the validation rows: each row is one request (< kHumanLimit in total)
    quint16 port() const { return m_server->port(); }

    HttpReply patch(const QString &token, const QJsonObject &body)
    {
        return call(port(), "PATCH", "/api/v1/humans/me", token, body);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start([](bw::Config &c) {
            c.rateLimits.enabled = true;
            c.rateLimits.humanPerMinute = kHumanLimit;
            c.rateLimits.registrationPerIp = 10000;
            c.rateLimits.publicPerIp = 10000;
            c.rateLimits.agentPending = 10000;
        }),
                 qPrintable(m_server->lastError()));
        m_client = std::make_unique<HumansClient>(*m_server);
    }
    void cleanupTestCase() { QVERIFY(m_server->stop()); }

    void patchAndRead()
    {
        const Session s = m_client->signUp("profile@example.org");
        QVERIFY(!s.access.isEmpty());
        HttpReply r = call(port(), "GET", "/api/v1/humans/me", s.access);
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("serviceRadiusKm").toInt(), 10); // the default
        QVERIFY(data(r).value("latitude").isNull());
        QCOMPARE(data(r).value("skills").toArray(), QJsonArray());

        r = patch(s.access, {{"displayName", "  Ada L.  "},
                             {"bio", "I fix things."},
                             {"skills", QJsonArray{"plumbing", "first aid", "Plumbing"}},
                             {"languages", QJsonArray{"en", "es"}},
                             {"city", "Lisbon"},
                             {"latitude", 38.7223},
                             {"longitude", -9.1393},
                             {"serviceRadiusKm", 200}});
        QCOMPARE(r.status, 200);
        QJsonObject me = data(r);
        QCOMPARE(me.value("displayName").toString(), QStringLiteral("Ada L."));
        QCOMPARE(me.value("bio").toString(), QStringLiteral("I fix things."));
        QCOMPARE(me.value("skills").toArray(), (QJsonArray{"plumbing", "first aid"})); // duplicates dropped
        QCOMPARE(me.value("languages").toArray(), (QJsonArray{"en", "es"}));
        QCOMPARE(me.value("city").toString(), QStringLiteral("Lisbon"));
        QCOMPARE(me.value("latitude").toDouble(), 38.7223);
        QCOMPARE(me.value("longitude").toDouble(), -9.1393);
        QCOMPARE(me.value("serviceRadiusKm").toInt(), 200);
        QCOMPARE(data(call(port(), "GET", "/api/v1/humans/me", s.access)), me); // persisted

        // Partial update; null clears the clearable fields, both coordinates together.
        r = patch(s.access, {{"bio", QJsonValue::Null}, {"latitude", QJsonValue::Null}, {"longitude", QJsonValue::Null}});
        QCOMPARE(r.status, 200);
        me = data(r);
        QVERIFY(me.value("bio").isNull());
        QVERIFY(me.value("latitude").isNull() && me.value("longitude").isNull());
        QCOMPARE(me.value("city").toString(), QStringLiteral("Lisbon"));
        QCOMPARE(me.value("serviceRadiusKm").toInt(), 200);
    }

    void validation_data()
    {
        QTest::addColumn<QJsonObject>("body");
        QTest::addColumn<QStringList>("fields");
        QJsonArray skills21, languages11;
        for (int i = 0; i < 21; ++i)
            skills21.append(QStringLiteral("skill %1").arg(i));
        for (int i = 0; i < 11; ++i)
            languages11.append(QStringLiteral("l%1").arg(i));
        QTest::newRow("displayName empty") << QJsonObject{{"displayName", ""}} << QStringList{"displayName"};
        QTest::newRow("displayName 101") << QJsonObject{{"displayName", QString(101, u'x')}} << QStringList{"displayName"};
        QTest::newRow("displayName null") << QJsonObject{{"displayName", QJsonValue::Null}} << QStringList{"displayName"};
        QTest::newRow("bio 501") << QJsonObject{{"bio", QString(501, u'b')}} << QStringList{"bio"};
        QTest::newRow("skills 21") << QJsonObject{{"skills", skills21}} << QStringList{"skills"};
        QTest::newRow("skills not strings") << QJsonObject{{"skills", QJsonArray{1, 2}}} << QStringList{"skills"};
        QTest::newRow("languages 11") << QJsonObject{{"languages", languages11}} << QStringList{"languages"};
        QTest::newRow("latitude alone") << QJsonObject{{"latitude", 10.0}} << QStringList{"longitude"};
        QTest::newRow("longitude alone") << QJsonObject{{"longitude", 10.0}} << QStringList{"latitude"};
        QTest::newRow("latitude 91") << QJsonObject{{"latitude", 91.0}, {"longitude", 0.0}} << QStringList{"latitude"};
        QTest::newRow("longitude -181") << QJsonObject{{"latitude", 0.0}, {"longitude", -181.0}} << QStringList{"longitude"};
        QTest::newRow("one coordinate null")
            << QJsonObject{{"latitude", QJsonValue::Null}, {"longitude", 1.0}} << QStringList{"latitude"};
        QTest::newRow("radius 0") << QJsonObject{{"serviceRadiusKm", 0}} << QStringList{"serviceRadiusKm"};
        QTest::newRow("radius 201") << QJsonObject{{"serviceRadiusKm", 201}} << QStringList{"serviceRadiusKm"};
        QTest::newRow("radius fraction") << QJsonObject{{"serviceRadiusKm", 1.5}} << QStringList{"serviceRadiusKm"};
        QTest::newRow("email") << QJsonObject{{"email", "other@example.org"}} << QStringList{"email"};
        QTest::newRow("unknown") << QJsonObject{{"favouriteColour", "green"}} << QStringList{"favouriteColour"};
        QTest::newRow("several at once") << QJsonObject{{"bio", QString(501, u'b')}, {"serviceRadiusKm", 0}}
                                         << QStringList{"bio", "serviceRadiusKm"};
    }
    void validation()
    {
        QFETCH(QJsonObject, body);
        QFETCH(QStringList, fields);
        if (m_me.access.isEmpty())
            m_me = m_client->signUp("validation@example.org");
        QVERIFY(!m_me.access.isEmpty());
        const HttpReply r = patch(m_me.access, body);
        QCOMPARE(r.status, 422);
        QCOMPARE(errorCode(r), QStringLiteral("VALIDATION_ERROR"));
        QStringList got = errorFields(r).keys();
        got.sort();
        QCOMPARE(got, fields);
    }

    void humanTokensAndAgentKeysDoNotMix()
    {
        const Session human = m_client->signUp("mixed@example.org");
        QVERIFY(!human.access.isEmpty());
        const auto agent = m_server->registerAgent("mixed_agent");
        QVERIFY(!agent.second.isEmpty());
        QCOMPARE(call(port(), "GET", "/api/v1/agents/me", agent.second).status, 200);

        HttpReply r = call(port(), "GET", "/api/v1/humans/me", agent.second); // an agent key on a human route
        QCOMPARE(r.status, 403);
        QCOMPARE(errorCode(r), QStringLiteral("FORBIDDEN"));
        r = call(port(), "GET", "/api/v1/agents/me", human.access); // a human token on an agent route
        QCOMPARE(r.status, 403);
        QCOMPARE(errorCode(r), QStringLiteral("FORBIDDEN"));
        r = post(port(), "/api/v1/auth/agents/rotate-key", {}, human.access);
        QCOMPARE(r.status, 403);
        r = call(port(), "GET", "/api/v1/humans/me"); // none
        QCOMPARE(r.status, 401);
        r = call(port(), "GET", "/api/v1/humans/me", "bwh_" + QString(64, u'0')); // well-formed, unknown
        QCOMPARE(r.status, 401);
        r = call(port(), "GET", "/api/v1/humans/me", "garbage"); // neither kind
        QCOMPARE(r.status, 401);
        // A refresh token is not an access token.
        QCOMPARE(call(port(), "GET", "/api/v1/humans/me", human.refresh).status, 401);
    }

    // rate_limit/human: kHumanLimit requests per minute per human, with the api.md §4 headers.
    // Fixed windows: if a window ends mid-run (seen in X-RateLimit-Reset), count again in the next.
    void perHumanRateLimit()
    {
        const Session s = m_client->signUp("busy@example.org");
        QVERIFY(!s.access.isEmpty());
        const Session other = m_client->signUp("calm@example.org");
        for (int attempt = 0; attempt < 3; ++attempt) {
            QByteArray reset;
            int firstRemaining = -1;
            int allowed = 0;
            HttpReply r;
            for (int i = 0; i <= kHumanLimit + 1; ++i) {
                r = call(port(), "GET", "/api/v1/humans/me", s.access);
                if (reset.isEmpty()) {
                    reset = r.header("x-ratelimit-reset");
                    firstRemaining = r.header("x-ratelimit-remaining").toInt();
                }
                if (r.header("x-ratelimit-reset") != reset || r.status != 200)
                    break; // a new window began (start over), or the limit answered
                QCOMPARE(r.header("x-ratelimit-limit"), QByteArray::number(kHumanLimit));
                QCOMPARE(r.header("x-ratelimit-remaining").toInt(), firstRemaining - allowed);
                ++allowed;
            }
            if (r.header("x-ratelimit-reset") != reset)
                continue;
            QCOMPARE(r.status, 429);
            QCOMPARE(errorCode(r), QStringLiteral("RATE_LIMITED"));
            QCOMPARE(allowed, firstRemaining + 1); // exactly what the headers promised
            QCOMPARE(r.header("x-ratelimit-limit"), QByteArray::number(kHumanLimit));
            QCOMPARE(r.header("x-ratelimit-remaining"), QByteArray("0"));
            const int retryAfter = r.header("retry-after").toInt();
            QVERIFY2(retryAfter >= 1 && retryAfter <= 60, r.header("retry-after").constData());
            const QJsonObject details = errorOf(r).value("details").toObject();
            QCOMPARE(details.value("limit").toInt(), kHumanLimit);
            QCOMPARE(details.value("window").toInt(), 60);
            // Per human: someone else is not affected.
            const HttpReply calm = call(port(), "GET", "/api/v1/humans/me", other.access);
            QCOMPARE(calm.status, 200);
            QVERIFY(calm.header("x-ratelimit-remaining").toInt() > 0);
            return;
        }
        QFAIL("the rate-limit window rolled over on every attempt");
    }
};

QTEST_GUILESS_MAIN(tst_HumanProfileApi)
#include "tst_humanprofileapi.moc"
