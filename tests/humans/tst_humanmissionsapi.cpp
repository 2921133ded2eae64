// What people do with missions and ImpactTokens over real HTTP (humans.md §3, §6): claim, the
// claim rules as the API answers them, their own list, abandon (the slot frees at once); balance,
// spend with an idempotency key, no overdraft, history newest first; only human tokens get in.
#include "humanstest.h"

#include "server/domain/claimsledger/ledgerservice.h"
#include "server/moderation/adminauthservice.h"
#include "tests/domain/claimsledger/humanstestdb.h"

#include <QTest>

using namespace bw::test;
using namespace bw::test::humans;

class tst_HumanMissionsApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    std::unique_ptr<HumansClient> m_client;
    std::unique_ptr<bw::db::Database> m_db;
    QString m_agentKey;
    QString m_agentId;
    quint16 port() const { return m_server->port(); }

    static QJsonArray items(const HttpReply &r) { return r.json().value("data").toArray(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
        m_client = std::make_unique<HumansClient>(*m_server);
        m_db = std::make_unique<bw::db::Database>(m_pg.settings(m_server->database()));
        std::tie(m_agentId, m_agentKey) = m_server->registerAgent(QStringLiteral("mission_maker"));
        QVERIFY(!m_agentKey.isEmpty());
    }
    void cleanupTestCase()
    {
        if (m_db)
            m_db->releaseThisThread();
        m_db.reset();
        QVERIFY(m_server->stop());
    }

    void claimListAbandon()
    {
        const QString mission = seedMission(m_db->connection(), m_agentId, MissionSeed{.maxClaims = 1});
        QVERIFY(!mission.isEmpty());
        const QByteArray claimPath = "/api/v1/missions/" + mission.toLatin1() + "/claim";
        const Session ana = m_client->signUp(QStringLiteral("ana@example.org"));
        const Session ben = m_client->signUp(QStringLiteral("ben@example.org"));
        QVERIFY(!ana.access.isEmpty() && !ben.access.isEmpty());

        QCOMPARE(post(port(), claimPath, {}).status, 401);
        QCOMPARE(post(port(), claimPath, {}, m_agentKey).status, 403); // agents never claim
        HttpReply r = post(port(), claimPath, {}, ana.access);
        QCOMPARE(r.status, 201);
        const QString claimId = data(r).value("claimId").toString();
        QCOMPARE(data(r).value("status").toString(), QStringLiteral("active"));
        QVERIFY(data(r).value("deadlineAt").toString().endsWith(u'Z'));
        QCOMPARE(errorCode(post(port(), claimPath, {}, ana.access)), QStringLiteral("ALREADY_CLAIMED"));
        QCOMPARE(errorCode(post(port(), claimPath, {}, ben.access)), QStringLiteral("MISSION_FULL"));

        r = call(port(), "GET", "/api/v1/missions/mine?status=active", ana.access);
        QCOMPARE(r.status, 200);
        QCOMPARE(items(r).size(), 1);
        QCOMPARE(items(r).at(0).toObject().value("claimId").toString(), claimId);
        QCOMPARE(call(port(), "GET", "/api/v1/missions/mine?status=lost", ana.access).status, 422);
        QCOMPARE(items(call(port(), "GET", "/api/v1/missions/mine", ben.access)).size(), 0);

        const QByteArray claimTarget = "/api/v1/missions/" + mission.toLatin1() + "/claims/" + claimId.toLatin1();
        QCOMPARE(call(port(), "PATCH", claimTarget, ana.access, {{"action", "finish"}}).status, 422);
        QCOMPARE(call(port(), "PATCH", claimTarget, ben.access, {{"action", "abandon"}}).status, 404); // not Ben's
        r = call(port(), "PATCH", claimTarget, ana.access, {{"action", "abandon"}});
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("status").toString(), QStringLiteral("abandoned"));
        QCOMPARE(items(call(port(), "GET", "/api/v1/missions/mine?status=abandoned", ana.access)).size(), 1);
        QCOMPARE(post(port(), claimPath, {}, ben.access).status, 201); // the slot was freed at once
    }

    // Without SMTP, moderators read the codes held for people and pass them on (the only way in).
    void moderatorsSeeHeldCodes()
    {
        bw::moderation::AdminAuthService admins(*m_db);
        QVERIFY(admins.createUser(
            {QStringLiteral("mod@example.org"), QStringLiteral("moderator"), {}, QStringLiteral("a moderator's passphrase")}));
        const HttpReply login =
            post(port(), "/api/v1/admin/auth/login", {{"email", "mod@example.org"}, {"password", "a moderator's passphrase"}});
        QCOMPARE(login.status, 200);
        const QString modToken = data(login).value("token").toString();
        QCOMPARE(m_client->registerHuman(QStringLiteral("dora@example.org"), QStringLiteral("correct horse battery")).status,
                 201);

        const HttpReply r = call(port(), "GET", "/api/v1/admin/humans/codes", modToken);
        QCOMPARE(r.status, 200);
        QJsonObject dora;
        for (const auto &v : data(r).value("codes").toArray())
            if (v.toObject().value("email").toString() == QLatin1String("dora@example.org"))
                dora = v.toObject();
        QCOMPARE(dora.value("purpose").toString(), QStringLiteral("verify"));
        const QString code = dora.value("code").toString();
        QCOMPARE(code.size(), 6);
        QCOMPARE(m_client->verify(QStringLiteral("dora@example.org"), code).status, 200); // the code works

        const HttpReply signedIn = m_client->login(QStringLiteral("dora@example.org"), QStringLiteral("correct horse battery"));
        QCOMPARE(signedIn.status, 200);
        const Session dorasSession = HumansClient::sessionOf(signedIn);
        QVERIFY(!dorasSession.access.isEmpty());
        QVERIFY(call(port(), "GET", "/api/v1/admin/humans/codes", dorasSession.access).status >= 401); // people never
        QCOMPARE(call(port(), "GET", "/api/v1/admin/humans/codes").status, 401);
    }

    void balanceSpendHistory()
    {
        const Session carla = m_client->signUp(QStringLiteral("carla@example.org"));
        QVERIFY(!carla.access.isEmpty());
        HttpReply r = call(port(), "GET", "/api/v1/tokens/balance", carla.access);
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("balance").toString(), QStringLiteral("0.00000000"));

        const QString humanId =
            bw::test::scalar(m_db->connection(), "SELECT id::text FROM humans WHERE email = 'carla@example.org'").toString();
        bw::domain::LedgerService ledger(*m_db);
        QVERIFY(ledger.credit(humanId, QStringLiteral("10"), QStringLiteral("grant"), QStringLiteral("test"),
                              QStringLiteral("Welcome grant"), QStringLiteral("grant-carla")));

        const QJsonObject spend{{"amount", 4}, {"purpose", "Seedlings for the park"}, {"idempotencyKey", "spend-1"}};
        r = post(port(), "/api/v1/tokens/spend", spend, carla.access);
        QCOMPARE(r.status, 201);
        QCOMPARE(data(r).value("balanceAfter").toString(), QStringLiteral("6.00000000"));
        r = post(port(), "/api/v1/tokens/spend", spend, carla.access); // the same key: replayed, nothing moves
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("replayed").toBool(), true);
        r = post(port(), "/api/v1/tokens/spend", {{"amount", 100}, {"purpose", "Too much"}, {"idempotencyKey", "spend-2"}},
                 carla.access);
        QCOMPARE(r.status, 409);
        QCOMPARE(errorCode(r), QStringLiteral("INSUFFICIENT_BALANCE"));
        r = post(port(), "/api/v1/tokens/spend", {{"amount", -1}, {"purpose", ""}}, carla.access);
        QCOMPARE(r.status, 422);
        QVERIFY(errorFields(r).contains("amount") && errorFields(r).contains("purpose")
                && errorFields(r).contains("idempotencyKey"));
        QCOMPARE(post(port(), "/api/v1/tokens/spend", spend, m_agentKey).status, 403);

        r = call(port(), "GET", "/api/v1/tokens/balance", carla.access);
        QCOMPARE(data(r).value("balance").toString(), QStringLiteral("6.00000000"));
        QCOMPARE(data(r).value("earnedTotal").toString(), QStringLiteral("10.00000000"));
        QCOMPARE(data(r).value("spentTotal").toString(), QStringLiteral("4.00000000"));
        r = call(port(), "GET", "/api/v1/tokens/transactions?limit=10", carla.access);
        QCOMPARE(r.status, 200);
        QCOMPARE(items(r).size(), 2);
        QCOMPARE(items(r).at(0).toObject().value("balanceAfter").toString(), QStringLiteral("6.00000000")); // newest first
        QCOMPARE(items(r).at(1).toObject().value("balanceAfter").toString(), QStringLiteral("10.00000000"));
    }
};

QTEST_GUILESS_MAIN(tst_HumanMissionsApi)
#include "tst_humanmissionsapi.moc"
