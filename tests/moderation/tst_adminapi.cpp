// The admin API over real HTTP (api.md §9): session login/logout, who may call what, the flagged
// queue end to end (claim race, non-claimant 403, review publishes the problem to the public API),
// agent controls taking effect at once, jobs and the audit log, the admin rate-limit class.

#include "moderationtestdb.h"

#include "app/runtime.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/moderation/adminauthservice.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace bw;
using namespace bw::test;

namespace {
QString errorCode(const HttpReply &r)
{
    return r.json().value("error").toObject().value("code").toString();
}
QJsonObject data(const HttpReply &r)
{
    return r.json().value("data").toObject();
}
QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}
} // namespace

class tst_AdminApi final : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    std::unique_ptr<db::Database> m_db;
    QString m_adminToken, m_aliceToken, m_bobToken;
    quint16 port() const { return m_server->port(); }
    QSqlDatabase db() { return m_db->connection(); }

    HttpReply call(const QByteArray &method, const QByteArray &target, const QString &token, const QByteArray &body = {})
    {
        QList<QPair<QByteArray, QByteArray>> headers;
        if (!token.isEmpty())
            headers << qMakePair(QByteArray("Authorization"), bearer(token));
        if (!body.isEmpty())
            headers << qMakePair(QByteArray("Content-Type"), QByteArray("application/json"));
        return httpRequest(port(), method, target, body, headers);
    }
    QString login(const QString &email, const QString &password = testPassword())
    {
        const HttpReply r =
            httpRequest(port(), "POST", "/api/v1/admin/auth/login", json({{"email", email}, {"password", password}}));
        return data(r).value("token").toString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start([](Config &c) {
            c.rateLimits.enabled = true; // for the admin rate class; generous elsewhere
            c.rateLimits.registrationPerIp = 1000;
            c.rateLimits.publicPerIp = 1000;
            c.rateLimits.agentPending = 1000;
            c.trustedProxies = {QStringLiteral("127.0.0.1")}; // so tests can speak from other addresses
        }),
                 qPrintable(m_server->lastError()));
        m_db = std::make_unique<db::Database>(m_pg.settings(m_server->database()));
        QVERIFY(ensureFlaggedContent(db()));
        moderation::AdminAuthService auth(*m_db);
        QVERIFY(auth.createUser(
            {QStringLiteral("admin@example.org"), QStringLiteral("admin"), QStringLiteral("Ada Admin"), testPassword()}));
        QVERIFY(auth.createUser({QStringLiteral("alice@example.org"), QStringLiteral("moderator"), {}, testPassword()}));
        QVERIFY(auth.createUser({QStringLiteral("bob@example.org"), QStringLiteral("moderator"), {}, testPassword()}));
        m_adminToken = login(QStringLiteral("admin@example.org"));
        m_aliceToken = login(QStringLiteral("alice@example.org"));
        m_bobToken = login(QStringLiteral("bob@example.org"));
        QVERIFY(!m_adminToken.isEmpty() && !m_aliceToken.isEmpty() && !m_bobToken.isEmpty());
    }
    void cleanupTestCase()
    {
        if (m_db)
            m_db->releaseThisThread();
        m_db.reset();
        QVERIFY(m_server->stop());
    }

    void runtimeActsAsTheApplicationRole()
    {
        // After its migrations the server works as betterworld_app, which cannot rewrite history.
        db::Database *runtimeDb = m_server->runtime().database();
        QVERIFY(runtimeDb);
        QCOMPARE(runtimeDb->sessionRole(), QStringLiteral("betterworld_app"));
        {
            auto who = db::exec(runtimeDb->connection(), QStringLiteral("SELECT current_user"));
            QVERIFY(who && who->next());
            QCOMPARE(who->value(0).toString(), QStringLiteral("betterworld_app"));
            QVERIFY(db::exec(runtimeDb->connection(),
                             QStringLiteral("INSERT INTO audit_log (actor_type, action) VALUES ('system', 'role.check')"))
                        .ok());
            auto update = db::exec(runtimeDb->connection(), QStringLiteral("UPDATE audit_log SET action = 'rewritten'"));
            QVERIFY(!update);
            QCOMPARE(db::sqlState(update.error()), QStringLiteral("42501"));
            auto remove = db::exec(runtimeDb->connection(), QStringLiteral("DELETE FROM audit_log"));
            QVERIFY(!remove);
            QCOMPARE(db::sqlState(remove.error()), QStringLiteral("42501"));
        }
        runtimeDb->releaseThisThread();
    }

    void scheduledOperationsAndSamplesRunInTheServer()
    {
        // The Runtime registers the operations.md schedules on the job system (the leader saves
        // them) and this node's metric sampler writes its first samples right away.
        const QString schedules = QStringLiteral(
            "SELECT string_agg(name, ',' ORDER BY name) FROM job_schedules WHERE name IN "
            "('backup-daily', 'backup-monthly', 'backup-verify-weekly', 'restore-drill-monthly', 'missions-expire', 'metrics-rollup')");
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar(db(), schedules).toString(),
            QStringLiteral("backup-daily,backup-monthly,backup-verify-weekly,metrics-rollup,missions-expire,"
                           "restore-drill-monthly"),
            20000);
        QTRY_VERIFY_WITH_TIMEOUT(scalar(db(), QStringLiteral("SELECT count(*) FROM metric_samples WHERE node <> ''")).toInt() > 0,
                                 20000);
    }

    void loginAndLogout()
    {
        const HttpReply bad = httpRequest(port(), "POST", "/api/v1/admin/auth/login",
                                          json({{"email", "alice@example.org"}, {"password", "not the password"}}));
        QCOMPARE(bad.status, 401);
        QCOMPARE(errorCode(bad), QStringLiteral("UNAUTHORIZED"));
        const HttpReply missing = httpRequest(port(), "POST", "/api/v1/admin/auth/login", json({{"email", "alice@example.org"}}));
        QCOMPARE(missing.status, 422);
        const HttpReply malformed = httpRequest(port(), "POST", "/api/v1/admin/auth/login", "{nope");
        QCOMPARE(malformed.status, 400);

        const HttpReply ok = httpRequest(port(), "POST", "/api/v1/admin/auth/login",
                                         json({{"email", "Alice@Example.org"}, {"password", testPassword()}}));
        QCOMPARE(ok.status, 200);
        QCOMPARE(ok.header("cache-control"), QByteArray("no-store"));
        const QJsonObject session = data(ok);
        const QString token = session.value("token").toString();
        QCOMPARE(token.size(), 64);
        QCOMPARE(session.value("role").toString(), QStringLiteral("moderator"));
        QVERIFY(session.value("expiresAt").toString().endsWith(u'Z'));

        const HttpReply me = call("GET", "/api/v1/admin/auth/me", token);
        QCOMPARE(me.status, 200);
        QCOMPARE(data(me).value("email").toString(), QStringLiteral("alice@example.org"));
        QCOMPARE(me.header("cache-control"), QByteArray("no-store"));
        QCOMPARE(call("POST", "/api/v1/admin/auth/logout", token).status, 200);
        const HttpReply after = call("GET", "/api/v1/admin/auth/me", token);
        QCOMPARE(after.status, 401);
    }

    // Repeated failures pause the guessing address only, answered exactly like any wrong password:
    // no "locked" oracle, and an anonymous client cannot lock the administrator out.
    void failedLoginsPauseTheGuesserNotTheOwner()
    {
        moderation::AdminAuthService auth(*m_db);
        QVERIFY(auth.createUser({QStringLiteral("carol@example.org"), QStringLiteral("admin"), {}, testPassword()}));
        const auto from = [&](const QByteArray &ip, const QString &email, const QString &password) {
            return httpRequest(port(), "POST", "/api/v1/admin/auth/login", json({{"email", email}, {"password", password}}),
                               {{"X-Forwarded-For", ip}});
        };
        for (int i = 0; i < 5; ++i)
            QCOMPARE(from("198.51.100.9", "carol@example.org", QStringLiteral("guess number %1").arg(i)).status, 401);
        const HttpReply paused = from("198.51.100.9", "carol@example.org", testPassword());
        const HttpReply unknown = from("198.51.100.9", "nobody@example.org", testPassword());
        QCOMPARE(paused.status, 401);
        QCOMPARE(paused.json().value("error").toObject().value("code"), unknown.json().value("error").toObject().value("code"));
        QCOMPARE(paused.json().value("error").toObject().value("message"),
                 unknown.json().value("error").toObject().value("message"));
        QVERIFY(!paused.json().value("error").toObject().contains("details"));
        QCOMPARE(from("203.0.113.5", "carol@example.org", testPassword()).status, 200); // the owner, elsewhere
    }

    void adminRoutesNeedASessionToken()
    {
        const auto agent = m_server->registerAgent(QStringLiteral("pretender"));
        QVERIFY(!agent.second.isEmpty());
        QCOMPARE(call("GET", "/api/v1/admin/flagged", {}).status, 401);
        QCOMPARE(call("GET", "/api/v1/admin/flagged", agent.second).status, 401); // an agent key is not a session
        QCOMPARE(call("GET", "/api/v1/admin/flagged", QString(64, u'0')).status, 401);
        const HttpReply scheme =
            httpRequest(port(), "GET", "/api/v1/admin/flagged", {}, {{"Authorization", "Basic Zm9vOmJhcg=="}});
        QCOMPARE(scheme.status, 401);
        // Moderators work the queue; admin-only routes say 403 to them.
        QCOMPARE(call("GET", "/api/v1/admin/flagged", m_aliceToken).status, 200);
        for (const auto &[method, target] :
             QList<QPair<QByteArray, QByteArray>>{{"GET", "/api/v1/admin/jobs"},
                                                  {"GET", "/api/v1/admin/audit-log"},
                                                  {"PATCH", "/api/v1/admin/agents/" + agent.first.toLatin1()}}) {
            const HttpReply r = call(method, target, m_aliceToken, R"({"isActive": false})");
            QCOMPARE(r.status, 403);
            QCOMPARE(errorCode(r), QStringLiteral("FORBIDDEN"));
        }
        QCOMPARE(call("GET", "/api/v1/admin/jobs", m_adminToken).status, 200);
    }

    void flaggedQueueEndToEnd()
    {
        const auto agent = m_server->registerAgent(QStringLiteral("queue_agent"));
        const SeededItem s = seedFlaggedProblem(db(), agent.first, QStringLiteral("Flagged over HTTP"), 7200);
        QVERIFY(!s.flaggedId.isEmpty());
        const QByteArray item = "/api/v1/admin/flagged/" + s.flaggedId.toLatin1();

        // Not public while held for review.
        QCOMPARE(httpRequest(port(), "GET", "/api/v1/problems/" + s.problemId.toLatin1()).status, 403);

        const HttpReply list = call("GET", "/api/v1/admin/flagged?contentType=problem&limit=50", m_aliceToken);
        QCOMPARE(list.status, 200);
        const QJsonArray rows = list.json().value("data").toArray();
        const auto it = std::find_if(rows.begin(), rows.end(),
                                     [&](const QJsonValue &v) { return v.toObject().value("id").toString() == s.flaggedId; });
        QVERIFY(it != rows.end());
        QVERIFY(it->toObject().value("ageSeconds").toInt() >= 7200);
        QCOMPARE(it->toObject().value("ageBadge").toString(), QStringLiteral("normal"));
        QVERIFY(list.json().value("meta").toObject().contains("hasMore"));
        QCOMPARE(call("GET", "/api/v1/admin/flagged?status=bogus", m_aliceToken).status, 422);
        QCOMPARE(call("GET", "/api/v1/admin/flagged?cursor=abc.def", m_aliceToken).status, 400);

        const HttpReply detail = call("GET", item, m_bobToken);
        QCOMPARE(detail.status, 200);
        QCOMPARE(data(detail).value("liveContent").toObject().value("title").toString(), QStringLiteral("Flagged over HTTP"));
        QCOMPARE(data(detail).value("agent").toObject().value("username").toString(), QStringLiteral("queue_agent"));
        QCOMPARE(call("GET", "/api/v1/admin/flagged/" + QByteArray("00000000-0000-4000-8000-000000000000"), m_bobToken).status,
                 404);

        const HttpReply claimed = call("POST", item + "/claim", m_aliceToken);
        QCOMPARE(claimed.status, 200);
        QVERIFY(data(claimed).value("claimActive").toBool());
        const HttpReply taken = call("POST", item + "/claim", m_bobToken);
        QCOMPARE(taken.status, 409);
        QCOMPARE(errorCode(taken), QStringLiteral("ALREADY_CLAIMED"));

        const QByteArray approve = json({{"decision", "approve"}, {"notes", "Evidence links check out."}});
        const HttpReply notMine = call("POST", item + "/review", m_bobToken, approve);
        QCOMPARE(notMine.status, 403);
        const HttpReply shortNotes =
            call("POST", item + "/review", m_aliceToken, json({{"decision", "approve"}, {"notes", "ok"}}));
        QCOMPARE(shortNotes.status, 422);
        QVERIFY(
            shortNotes.json().value("error").toObject().value("details").toObject().value("fields").toObject().contains("notes"));

        const HttpReply reviewed = call("POST", item + "/review", m_aliceToken, approve);
        QCOMPARE(reviewed.status, 200);
        QCOMPARE(data(reviewed).value("status").toString(), QStringLiteral("approved"));
        const HttpReply twice = call("POST", item + "/review", m_aliceToken, approve);
        QCOMPARE(twice.status, 409);
        QCOMPARE(errorCode(twice), QStringLiteral("CONFLICT"));

        // Approval publishes: the public API now serves the problem.
        const HttpReply pub = httpRequest(port(), "GET", "/api/v1/problems/" + s.problemId.toLatin1());
        QCOMPARE(pub.status, 200);
        QCOMPARE(data(pub).value("guardrailStatus").toString(), QStringLiteral("approved"));

        const HttpReply trail =
            call("GET", "/api/v1/admin/audit-log?targetType=flagged_content&targetId=" + s.flaggedId.toLatin1(), m_adminToken);
        QCOMPARE(trail.status, 200);
        const QJsonArray audit = trail.json().value("data").toArray();
        QCOMPARE(audit.size(), 2);
        QCOMPARE(audit.at(0).toObject().value("action").toString(), QStringLiteral("flagged.review")); // newest first
        QCOMPARE(audit.at(1).toObject().value("action").toString(), QStringLiteral("flagged.claim"));
        QCOMPARE(audit.at(0).toObject().value("actorEmail").toString(), QStringLiteral("alice@example.org"));
        QCOMPARE(audit.at(0).toObject().value("ip").toString(), QStringLiteral("127.0.0.1"));
    }

    void releaseOverHttp()
    {
        const auto agent = m_server->registerAgent(QStringLiteral("release_agent"));
        const SeededItem s = seedFlaggedProblem(db(), agent.first, QStringLiteral("Release me"));
        const QByteArray item = "/api/v1/admin/flagged/" + s.flaggedId.toLatin1();
        QCOMPARE(call("POST", item + "/release", m_aliceToken).status, 409);
        QCOMPARE(call("POST", item + "/claim", m_aliceToken).status, 200);
        QCOMPARE(call("POST", item + "/release", m_bobToken).status, 403);
        QCOMPARE(call("POST", item + "/release", m_aliceToken).status, 200);
        QCOMPARE(call("POST", item + "/claim", m_bobToken).status, 200);
        const HttpReply rejected = call("POST", item + "/review", m_bobToken,
                                        json({{"decision", "reject"}, {"notes", "Duplicate of an existing report."}}));
        QCOMPARE(rejected.status, 200);
        QCOMPARE(httpRequest(port(), "GET", "/api/v1/problems/" + s.problemId.toLatin1()).status, 403);
    }

    void agentControlsTakeEffectImmediately()
    {
        const auto [agentId, key] = m_server->registerAgent(QStringLiteral("controlled_one"));
        QVERIFY(!key.isEmpty());
        const QByteArray base = "/api/v1/admin/agents/" + agentId.toLatin1();
        const HttpReply me = call("GET", "/api/v1/agents/me", key); // warms the 5 s auth cache
        QCOMPARE(me.status, 200);
        QCOMPARE(me.header("x-ratelimit-limit"), QByteArray("1000"));

        const HttpReply limited = call("PUT", base + "/rate-limit", m_adminToken, R"({"limit": 7})");
        QCOMPARE(limited.status, 200);
        QCOMPARE(data(limited).value("rateLimitOverride").toInt(), 7);
        QCOMPARE(call("GET", "/api/v1/agents/me", key).header("x-ratelimit-limit"), QByteArray("7"));
        QCOMPARE(call("PUT", base + "/rate-limit", m_adminToken, R"({"limit": 5000})").status, 422);
        QCOMPARE(call("PUT", base + "/rate-limit", m_adminToken, R"({"limit": null})").status, 200);

        const HttpReply verified = call("PATCH", base + "/verification", m_adminToken, R"({"claimStatus": "verified"})");
        QCOMPARE(verified.status, 200);
        QCOMPARE(data(call("GET", "/api/v1/agents/me", key)).value("claimStatus").toString(), QStringLiteral("verified"));

        QCOMPARE(call("PATCH", base, m_adminToken, R"({"isActive": false})").status, 200);
        const HttpReply blocked = call("GET", "/api/v1/agents/me", key);
        QCOMPARE(blocked.status, 403);
        QCOMPARE(call("PATCH", base, m_adminToken, R"({"isActive": true})").status, 200);
        QCOMPARE(call("GET", "/api/v1/agents/me", key).status, 200);
        QCOMPARE(call("PATCH", "/api/v1/admin/agents/00000000-0000-4000-8000-000000000000", m_adminToken, R"({"isActive": true})")
                     .status,
                 404);
        QCOMPARE(call("PATCH", base, m_adminToken, R"({"isActive": "no"})").status, 422);
    }

    void jobsRoutes()
    {
        const QString dead = ids::newUuid();
        QVERIFY(db::exec(db(),
                         QStringLiteral("INSERT INTO jobs (id, queue, kind, state, attempts, last_error, finished_at)"
                                        " VALUES (?::uuid, 'api-test', 'x', 'discarded', 3, 'gave up', now())"),
                         {dead})
                    .ok());
        const HttpReply list = call("GET", "/api/v1/admin/jobs?queue=api-test&state=discarded", m_adminToken);
        QCOMPARE(list.status, 200);
        QCOMPARE(list.json().value("data").toArray().size(), 1);
        QCOMPARE(list.json().value("meta").toObject().value("count").toInt(), 1);
        const HttpReply retried = call("POST", "/api/v1/admin/jobs/" + dead.toLatin1() + "/retry", m_adminToken);
        QCOMPARE(retried.status, 200);
        QCOMPARE(data(retried).value("state").toString(), QStringLiteral("available"));
        QCOMPARE(call("POST", "/api/v1/admin/jobs/" + dead.toLatin1() + "/retry", m_adminToken).status, 409);
        QCOMPARE(call("GET", "/api/v1/admin/jobs?state=melted", m_adminToken).status, 422);
    }

    void adminRateClassIsPerAdmin()
    {
        // Alice has made more admin requests than Bob in this minute; retried if a window boundary
        // falls between the calls.
        HttpReply a1, a2, b1;
        for (int attempt = 0; attempt < 3; ++attempt) {
            a1 = call("GET", "/api/v1/admin/flagged", m_aliceToken);
            a2 = call("GET", "/api/v1/admin/flagged", m_aliceToken);
            b1 = call("GET", "/api/v1/admin/flagged", m_bobToken);
            if (a1.header("x-ratelimit-reset") == b1.header("x-ratelimit-reset"))
                break;
        }
        QCOMPARE(a1.header("x-ratelimit-limit"), QByteArray("300"));
        QCOMPARE(a2.header("x-ratelimit-remaining").toInt(), a1.header("x-ratelimit-remaining").toInt() - 1);
        QVERIFY(b1.header("x-ratelimit-remaining").toInt() > a2.header("x-ratelimit-remaining").toInt()); // its own bucket
    }
};

QTEST_GUILESS_MAIN(tst_AdminApi)
#include "tst_adminapi.moc"
