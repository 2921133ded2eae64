// Missions over real HTTP: the agent side (create from an own approved solution, own list, read,
// PATCH under the version lock — including two racing PATCHes —, archive) and the marketplace
// (GET /missions shape, filters, rounded coordinates, distance, cursors under concurrent inserts)
// and GET /missions/nearby.
#include "tests/domain/content/contentapi.h"

#include <QSet>
#include <QUrl>

#include <atomic>
#include <cmath>
#include <thread>

using namespace bw::test;
using namespace bw::test::content;

class tst_MissionsApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    std::unique_ptr<bw::db::Database> m_db;
    Agent m_alice, m_bob;
    QString m_problem, m_solution, m_bobsSolution;

    quint16 port() const { return m_server->port(); }

    QString approvedSolution(const Agent &who)
    {
        HttpReply r = call(port(), "POST", "/api/v1/solutions", who, solutionBody(m_problem));
        const QString id = dataOf(r).value("id").toString();
        runSql(*m_db, "UPDATE solutions SET guardrail_status = 'approved' WHERE id = ?::uuid", {id});
        return id;
    }
    QString createMission(const Agent &who, const QString &solution, double lat, double lng, int reward = 30, bool approve = true)
    {
        const HttpReply r = call(port(), "POST", "/api/v1/missions", who, missionBody(solution, lat, lng, reward));
        if (r.status != 201) {
            qWarning("mission create: %s", qPrintable(describe(r)));
            return {};
        }
        const QString id = dataOf(r).value("id").toString();
        if (approve)
            runSql(*m_db, "UPDATE missions SET guardrail_status = 'approved' WHERE id = ?::uuid", {id});
        return id;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
        std::tie(m_alice.id, m_alice.key) = m_server->registerAgent(QStringLiteral("mission_alice"));
        std::tie(m_bob.id, m_bob.key) = m_server->registerAgent(QStringLiteral("mission_bob"));
        QVERIFY(!m_alice.key.isEmpty() && !m_bob.key.isEmpty());
        m_db = std::make_unique<bw::db::Database>(m_pg.settings(m_server->database()));
        const HttpReply p = call(port(), "POST", "/api/v1/problems", m_alice,
                                 problemBody("Flooded school yard every spring", "disaster_response"));
        QCOMPARE(p.status, 201);
        m_problem = dataOf(p).value("id").toString();
        runSql(*m_db, "UPDATE problems SET guardrail_status = 'approved' WHERE id = ?::uuid", {m_problem});
        m_solution = approvedSolution(m_alice);
        m_bobsSolution = approvedSolution(m_bob);
        QVERIFY(!m_solution.isEmpty() && !m_bobsSolution.isEmpty());
    }
    void cleanupTestCase()
    {
        if (m_db)
            m_db->releaseThisThread();
        m_db.reset();
        QVERIFY(m_server->stop());
    }

    void createRules()
    {
        const QJsonObject body = missionBody(m_solution, 12.3456789, -45.6789);
        QCOMPARE(call(port(), "POST", "/api/v1/missions", {}, body).status, 401);
        QCOMPARE(
            call(port(), "POST", "/api/v1/missions", m_alice, missionBody("00000000-0000-4000-8000-00000000beef", 1, 2)).status,
            404);
        QCOMPARE(call(port(), "POST", "/api/v1/missions", m_bob, body).status, 403); // not bob's solution
        const HttpReply pending = call(port(), "POST", "/api/v1/solutions", m_alice, solutionBody(m_problem));
        QCOMPARE(
            call(port(), "POST", "/api/v1/missions", m_alice, missionBody(dataOf(pending).value("id").toString(), 1, 2)).status,
            403);

        QJsonObject bad = body;
        bad.remove("requiredLongitude");
        bad.insert("locationRadiusKm", 500);
        bad.insert("estimatedDurationMinutes", 5);
        bad.insert("tokenReward", 0);
        bad.insert("instructions", QJsonArray{});
        bad.insert("evidenceRequired", QJsonArray{QJsonObject{{"type", "smell"}, {"description", "x"}}});
        bad.insert("expiresAt", "yesterday");
        HttpReply r = call(port(), "POST", "/api/v1/missions", m_alice, bad);
        QCOMPARE(r.status, 422);
        for (const char *f : {"requiredLatitude", "locationRadiusKm", "estimatedDurationMinutes", "tokenReward", "instructions",
                              "evidenceRequired.0.type", "expiresAt"})
            QVERIFY2(fieldsOf(r).contains(QLatin1String(f)), qPrintable(describe(r)));

        r = call(port(), "POST", "/api/v1/missions", m_alice, body);
        QCOMPARE(r.status, 201);
        const QJsonObject m = dataOf(r);
        QCOMPARE(m.value("guardrailStatus").toString(), QStringLiteral("pending"));
        QVERIFY(!m.value("guardrailEvaluationId").toString().isEmpty());
        QCOMPARE(m.value("status").toString(), QStringLiteral("open"));
        QCOMPARE(m.value("version").toInt(), 1);
        QCOMPARE(m.value("domain").toString(), QStringLiteral("disaster_response")); // the problem's
        QCOMPARE(m.value("requiredLatitude").toDouble(), 12.3456789);
        QCOMPARE(m.value("instructions").toArray().at(1).toObject().value("optional").toBool(), true);
        QCOMPARE(m.value("evidenceRequired").toArray().at(0).toObject().value("required").toBool(), true);
        QCOMPARE(m.value("slotsAvailable").toInt(), 3);
        QCOMPARE(runSql(*m_db, "SELECT count(*) FROM jobs WHERE payload->>'evaluationId' = ?",
                        {m.value("guardrailEvaluationId").toString()})
                     .value(0)
                     .toInt(),
                 1);
        // Defaults: radius 5 km, intermediate.
        QJsonObject minimal = missionBody(m_solution, 1, 2);
        minimal.remove("locationRadiusKm");
        minimal.remove("difficulty");
        r = call(port(), "POST", "/api/v1/missions", m_alice, minimal);
        QCOMPARE(r.status, 201);
        QCOMPARE(dataOf(r).value("locationRadiusKm").toInt(), 5);
        QCOMPARE(dataOf(r).value("difficulty").toString(), QStringLiteral("intermediate"));
    }

    void readAndOwnList()
    {
        const QString id = createMission(m_alice, m_solution, 48.8566123, 2.3522456, 30, false);
        const QString path = "/api/v1/missions/" + id;
        QCOMPARE(call(port(), "GET", path).status, 404); // pending: nobody else sees it
        QCOMPARE(call(port(), "GET", path, m_bob).status, 404);
        HttpReply r = call(port(), "GET", path, m_alice);
        QCOMPARE(r.status, 200);
        QCOMPARE(dataOf(r).value("requiredLatitude").toDouble(), 48.8566123);
        QVERIFY(dataOf(r).contains("guardrailExplanation"));

        runSql(*m_db, "UPDATE missions SET guardrail_status = 'approved' WHERE id = ?::uuid", {id});
        r = call(port(), "GET", path, m_bob);
        QCOMPARE(r.status, 200);
        QVERIFY(!dataOf(r).contains("requiredLatitude"));
        QCOMPARE(dataOf(r).value("approximateLatitude").toDouble(), 48.86);
        QCOMPARE(dataOf(r).value("approximateLongitude").toDouble(), 2.35);
        QVERIFY(dataOf(r).contains("instructions"));

        // GET /missions/agent: the caller's own, any state, newest first, paginated.
        QCOMPARE(call(port(), "GET", "/api/v1/missions/agent").status, 401);
        QSet<QString> mine;
        QString cursor;
        for (int guard = 0; guard < 50; ++guard) {
            QString target = "/api/v1/missions/agent?limit=2";
            if (!cursor.isEmpty())
                target += "&cursor=" + enc(cursor);
            r = call(port(), "GET", target, m_alice);
            QCOMPARE(r.status, 200);
            for (const auto &v : itemsOf(r)) {
                QCOMPARE(v.toObject().value("createdByAgentId").toString(), m_alice.id);
                QVERIFY(!mine.contains(v.toObject().value("id").toString()));
                mine.insert(v.toObject().value("id").toString());
            }
            if (!metaOf(r).value("hasMore").toBool())
                break;
            cursor = metaOf(r).value("nextCursor").toString();
        }
        QCOMPARE(
            mine.size(),
            runSql(*m_db, "SELECT count(*) FROM missions WHERE created_by_agent_id = ?::uuid", {m_alice.id}).value(0).toInt());
        QVERIFY(mine.contains(id));
        for (const auto &v : itemsOf(call(port(), "GET", "/api/v1/missions/agent?limit=100", m_bob)))
            QVERIFY(!mine.contains(v.toObject().value("id").toString()));
        QCOMPARE(call(port(), "GET", "/api/v1/missions/agent?status=lost", m_alice).status, 422);
        QCOMPARE(call(port(), "GET", "/api/v1/missions/agent?status=open&limit=100", m_alice).status, 200);
    }

    void patchUnderVersionLock()
    {
        const QString id = createMission(m_alice, m_solution, 10, 10);
        const QString path = "/api/v1/missions/" + id;
        QCOMPARE(call(port(), "PATCH", path, {}, QJsonObject{{"tokenReward", 50}}).status, 401);
        QCOMPARE(call(port(), "PATCH", path, m_bob, QJsonObject{{"version", 1}, {"tokenReward", 50}}).status, 403);
        QCOMPARE(call(port(), "PATCH", "/api/v1/missions/00000000-0000-4000-8000-00000000beef", m_alice,
                      QJsonObject{{"version", 1}, {"tokenReward", 50}})
                     .status,
                 404);
        HttpReply r = call(port(), "PATCH", path, m_alice, QJsonObject{{"tokenReward", -5}, {"requiredLatitude", 5}});
        QCOMPARE(r.status, 422);
        QVERIFY(fieldsOf(r).contains("tokenReward") && fieldsOf(r).contains("requiredLatitude"));

        r = call(port(), "PATCH", path, m_alice,
                 QJsonObject{{"version", 1}, {"tokenReward", 50}, {"requiredLatitude", 20}, {"requiredLongitude", 30}});
        QCOMPARE(r.status, 200);
        QCOMPARE(dataOf(r).value("version").toInt(), 2);
        QCOMPARE(dataOf(r).value("tokenReward").toInt(), 50);
        QCOMPARE(dataOf(r).value("guardrailStatus").toString(), QStringLiteral("pending"));
        QCOMPARE(dataOf(r).value("title").toString(), QStringLiteral("Photograph the flooded yard")); // untouched
        QVERIFY(runSql(*m_db, "SELECT earth_distance(earth, ll_to_earth(20, 30)) FROM missions WHERE id = ?::uuid", {id})
                    .value(0)
                    .toDouble()
                < 1e-6);

        // A stale version is a conflict; without a version (body or If-Match) nothing is written.
        r = call(port(), "PATCH", path, m_alice, QJsonObject{{"version", 1}, {"tokenReward", 60}});
        QCOMPARE(r.status, 409);
        QCOMPARE(codeOf(r), QStringLiteral("CONFLICT"));
        r = call(port(), "PATCH", path, m_alice, QJsonObject{{"tokenReward", 60}});
        QCOMPARE(r.status, 422);
        QVERIFY(fieldsOf(r).contains("version"));
        QCOMPARE(call(port(), "PATCH", path, m_alice, QJsonObject{{"tokenReward", 60}}, {{"If-Match", "\"1\""}}).status, 409);
        r = call(port(), "PATCH", path, m_alice, QJsonObject{{"tokenReward", 60}}, {{"If-Match", "\"2\""}});
        QCOMPARE(r.status, 200);
        QCOMPARE(dataOf(r).value("version").toInt(), 3);

        // Active claims block edits and the archive.
        runSql(*m_db, "UPDATE missions SET current_claim_count = 1 WHERE id = ?::uuid", {id});
        QCOMPARE(call(port(), "PATCH", path, m_alice, QJsonObject{{"version", 3}, {"tokenReward", 70}}).status, 409);
        QCOMPARE(call(port(), "DELETE", path, m_alice).status, 409);
        runSql(*m_db, "UPDATE missions SET current_claim_count = 0 WHERE id = ?::uuid", {id});
    }

    void racingPatchesOneConflict()
    {
        // Two PATCHes carrying the same version, sent at the same moment: exactly one wins.
        for (int round = 0; round < 5; ++round) {
            const QString id = createMission(m_alice, m_solution, 10, 10);
            const QString target = "/api/v1/missions/" + id;
            std::atomic_int ready{0};
            int statuses[2] = {0, 0};
            auto racer = [&](int i) {
                const QByteArray body =
                    QJsonDocument(QJsonObject{{"version", 1}, {"tokenReward", 100 + i}}).toJson(QJsonDocument::Compact);
                HttpConnection c(port());
                ++ready;
                while (ready < 2)
                    std::this_thread::yield();
                const auto r = c.request("PATCH", target.toUtf8(), body,
                                         {{"Authorization", bearer(m_alice.key)}, {"Content-Type", "application/json"}});
                statuses[i] = r ? r->status : -1;
            };
            std::thread a(racer, 0), b(racer, 1);
            a.join();
            b.join();
            QList<int> got{statuses[0], statuses[1]};
            std::sort(got.begin(), got.end());
            QCOMPARE(got, (QList<int>{200, 409}));
            QCOMPARE(runSql(*m_db, "SELECT version FROM missions WHERE id = ?::uuid", {id}).value(0).toInt(), 2);
        }
    }

    void archive()
    {
        const QString id = createMission(m_alice, m_solution, 10, 10);
        const QString path = "/api/v1/missions/" + id;
        QCOMPARE(call(port(), "DELETE", path).status, 401);
        QCOMPARE(call(port(), "DELETE", path, m_bob).status, 403);
        HttpReply r = call(port(), "DELETE", path, m_alice);
        QCOMPARE(r.status, 200);
        QCOMPARE(dataOf(r).value("deleted").toBool(), true);
        QCOMPARE(dataOf(r).value("status").toString(), QStringLiteral("archived"));
        r = call(port(), "GET", path, m_alice);
        QCOMPARE(r.status, 200); // soft delete: still there for its creator
        QCOMPARE(dataOf(r).value("status").toString(), QStringLiteral("archived"));
        QCOMPARE(call(port(), "DELETE", path, m_alice).status, 200); // idempotent
        QCOMPARE(call(port(), "PATCH", path, m_alice, QJsonObject{{"version", 1}, {"tokenReward", 5}}).status, 409);
        for (const auto &v : dataOf(call(port(), "GET", "/api/v1/missions?limit=100")).value("missions").toArray())
            QVERIFY(v.toObject().value("id").toString() != id);
    }

    void marketplace()
    {
        runSql(*m_db, "UPDATE missions SET status = 'archived'"); // start from an empty marketplace
        const QString cheap = createMission(m_alice, m_solution, 37.77491234, -122.41941234, 10);
        const QString rich = createMission(m_bob, m_bobsSolution, 37.80, -122.27, 90);
        const QString far = createMission(m_alice, m_solution, 40.7128, -74.0060, 50);
        const QString pending = createMission(m_alice, m_solution, 37.7749, -122.4194, 20, false);
        const QString claimed = createMission(m_alice, m_solution, 37.7749, -122.4194, 20);
        runSql(*m_db, "UPDATE missions SET status = 'claimed' WHERE id = ?::uuid", {claimed});
        const QString expired = createMission(m_alice, m_solution, 37.7749, -122.4194, 20);
        runSql(*m_db, "UPDATE missions SET expires_at = now() - interval '1 minute' WHERE id = ?::uuid", {expired});

        HttpReply r = call(port(), "GET", "/api/v1/missions");
        QCOMPARE(r.status, 200);
        const QJsonObject data = dataOf(r);
        QVERIFY(data.contains("missions") && data.contains("nextCursor") && data.contains("hasMore"));
        QVERIFY(!r.json().contains("meta"));
        QStringList ids;
        for (const auto &v : data.value("missions").toArray())
            ids << v.toObject().value("id").toString();
        QCOMPARE(ids, (QStringList{far, rich, cheap})); // newest first; pending/claimed/expired hidden
        const QJsonObject card = data.value("missions").toArray().at(2).toObject();
        QCOMPARE(card.value("approximateLatitude").toDouble(), 37.77);
        QCOMPARE(card.value("approximateLongitude").toDouble(), -122.42);
        QVERIFY(!card.contains("requiredLatitude") && !card.contains("requiredLongitude") && !card.contains("instructions"));
        QCOMPARE(card.value("slotsAvailable").toInt(), 3);

        auto list = [&](const QString &query) {
            QStringList out;
            const HttpReply l = call(port(), "GET", "/api/v1/missions?" + query);
            if (l.status != 200)
                out << QString::number(l.status);
            for (const auto &v : dataOf(l).value("missions").toArray())
                out << v.toObject().value("id").toString();
            return out;
        };
        QCOMPARE(list("sort=tokenReward"), (QStringList{rich, far, cheap}));
        QCOMPARE(list("minReward=20&maxReward=60"), QStringList{far});
        QCOMPARE(list("domain=disaster_response&difficulty=beginner&skills=photography&maxDuration=90").size(), 3);
        QCOMPARE(list("skills=photography,welding"), QStringList());
        QCOMPARE(list("difficulty=expert"), QStringList());
        QCOMPARE(list("domain=elder_care"), QStringList());
        // Geo: within 25 km of San Francisco, nearest first, with distanceKm.
        QCOMPARE(list("lat=37.7749&lng=-122.4194&radiusKm=25&sort=distance"), (QStringList{cheap, rich}));
        QCOMPARE(list("lat=37.7749&lng=-122.4194&radiusKm=5"), QStringList{cheap});
        r = call(port(), "GET", "/api/v1/missions?lat=37.7749&lng=-122.4194&radiusKm=25&sort=distance");
        const QJsonArray near = dataOf(r).value("missions").toArray();
        // Measured to the public point (37.77, -122.42), ~0.55 km from the exact one the center sits on.
        QCOMPARE(near.at(0).toObject().value("distanceKm").toDouble(), 0.5);
        QVERIFY(std::abs(near.at(1).toObject().value("distanceKm").toDouble() - 13.2) < 1.0);
        // Parameter errors.
        QCOMPARE(call(port(), "GET", "/api/v1/missions?sort=distance").status, 422);
        QCOMPARE(call(port(), "GET", "/api/v1/missions?skills=%00").status, 422); // was a 500 (NUL into jsonb)
        QCOMPARE(call(port(), "GET", "/api/v1/missions?skills=welding,a%01b").status, 422);
        QCOMPARE(call(port(), "GET", "/api/v1/missions?lat=10").status, 422);
        QCOMPARE(call(port(), "GET", "/api/v1/missions?lat=10&lng=10&radiusKm=201").status, 422);
        QCOMPARE(call(port(), "GET", "/api/v1/missions?lat=10&lng=10&radiusKm=0").status, 422);
        QCOMPARE(codeOf(call(port(), "GET", "/api/v1/missions?domain=space")), QStringLiteral("INVALID_DOMAIN"));
        QCOMPARE(codeOf(call(port(), "GET", "/api/v1/missions?cursor=nope")), QStringLiteral("INVALID_CURSOR"));
        Q_UNUSED(pending);
    }

    // Filters, distances and order see only the public point (rounded to 2 decimals): bisecting
    // radiusKm or distanceKm from chosen centers recovers that point, never the exact one.
    void geoQueriesSeeOnlyThePublicPoint()
    {
        runSql(*m_db, "UPDATE missions SET status = 'archived'");
        const QString hidden = createMission(m_alice, m_solution, 37.7749, -122.4249, 10); // public: 37.77, -122.42
        // 0.70 km north of the exact point, but 1.3 km from the public one: outside a 1 km radius.
        const auto near = [&](const char *center, const char *extra) {
            return dataOf(call(port(), "GET",
                               QStringLiteral("/api/v1/missions?%1%2").arg(QLatin1String(center), QLatin1String(extra))))
                .value("missions")
                .toArray();
        };
        QCOMPARE(near("lat=37.7812&lng=-122.4249", "&radiusKm=1").size(), 0);
        QCOMPARE(near("lat=37.7812&lng=-122.4249", "&radiusKm=2").size(), 1);
        // Standing on the exact point, the distance is the one to the public point, not 0.
        const QJsonArray atExact = near("lat=37.7749&lng=-122.4249", "&radiusKm=5&sort=distance");
        QCOMPARE(atExact.size(), 1);
        QCOMPARE(atExact.at(0).toObject().value("id").toString(), hidden);
        QCOMPARE(atExact.at(0).toObject().value("distanceKm").toDouble(), 0.7);
        // Two centers equally far from the public point get the same distance, whatever the exact point.
        const double north = near("lat=37.78&lng=-122.42", "&radiusKm=5").at(0).toObject().value("distanceKm").toDouble();
        const double south = near("lat=37.76&lng=-122.42", "&radiusKm=5").at(0).toObject().value("distanceKm").toDouble();
        QCOMPARE(north, south);
        const QJsonArray nearby = itemsOf(call(port(), "GET", "/api/v1/missions/nearby?lat=37.7749&lng=-122.4249&radius=5"));
        QCOMPARE(nearby.size(), 1);
        QCOMPARE(nearby.at(0).toObject().value("distanceKm").toDouble(), 0.7);
    }

    void nearby()
    {
        runSql(*m_db, "UPDATE missions SET status = 'archived'");
        QStringList byDistance;
        for (int i = 0; i < 7; ++i) // 0, 1.1, 2.2 … km north of the center
            byDistance << createMission(m_bob, m_bobsSolution, 37.7749 + i * 0.01, -122.4194, 10 + i);
        const QString outside = createMission(m_bob, m_bobsSolution, 38.5, -122.4194);

        HttpReply r = call(port(), "GET", "/api/v1/missions/nearby?lat=37.7749&lng=-122.4194&radius=50&limit=3");
        QCOMPARE(r.status, 200);
        QStringList got;
        double last = -1;
        QString cursor;
        for (int guard = 0; guard < 10; ++guard) {
            QCOMPARE(r.status, 200);
            QCOMPARE(metaOf(r).value("count").toInt(), int(itemsOf(r).size()));
            for (const auto &v : itemsOf(r)) {
                got << v.toObject().value("id").toString();
                const double km = v.toObject().value("distanceKm").toDouble();
                QVERIFY(km >= last);
                last = km;
                QVERIFY(v.toObject().contains("approximateLatitude"));
                QVERIFY(!v.toObject().contains("requiredLatitude"));
            }
            if (!metaOf(r).value("hasMore").toBool())
                break;
            cursor = metaOf(r).value("nextCursor").toString();
            r = call(port(), "GET", "/api/v1/missions/nearby?lat=37.7749&lng=-122.4194&radius=50&limit=3&cursor=" + enc(cursor));
        }
        QCOMPARE(got, byDistance);
        QVERIFY(!got.contains(outside));
        QCOMPARE(itemsOf(call(port(), "GET", "/api/v1/missions/nearby?lat=37.7749&lng=-122.4194&radius=100&limit=100")).size(),
                 8);

        r = call(port(), "GET", "/api/v1/missions/nearby?lng=-122.4194");
        QCOMPARE(r.status, 422);
        QVERIFY(fieldsOf(r).contains("lat"));
        QCOMPARE(call(port(), "GET", "/api/v1/missions/nearby?lat=1&lng=1&radius=201").status, 422);
        QCOMPARE(call(port(), "GET", "/api/v1/missions/nearby?lat=1&lng=1&radius=0.5").status, 422);
        QCOMPARE(call(port(), "GET", "/api/v1/missions/nearby?lat=95&lng=1").status, 422);
        QCOMPARE(call(port(), "GET", "/api/v1/missions/nearby?lat=1&lng=1&limit=0").status, 422);
        // Default radius 25 km.
        QCOMPARE(itemsOf(call(port(), "GET", "/api/v1/missions/nearby?lat=37.7749&lng=-122.4194&limit=100")).size(), 7);
    }

    void marketplacePaginationWhileInserting()
    {
        runSql(*m_db, "UPDATE missions SET status = 'archived'");
        runSql(*m_db,
               "INSERT INTO missions (solution_id, created_by_agent_id, title, description, domain, estimated_duration_minutes,"
               " token_reward, guardrail_status, expires_at, created_at, required_latitude, required_longitude)"
               " SELECT ?::uuid, ?::uuid, 'Seeded ' || g, 'Seeded mission', 'disaster_response', 60, 10, 'approved',"
               " now() + interval '1 day', now() - g * interval '1 minute', 37.7 + g * 0.001, -122.4"
               " FROM generate_series(1, 55) g",
               {m_solution, m_alice.id});
        QSet<QString> original;
        for (const QVariant &v : runSql(*m_db, "SELECT id::text FROM missions WHERE status = 'open'"))
            original.insert(v.toString());
        QCOMPARE(original.size(), 55);

        std::atomic_bool stop{false};
        const auto settings = m_pg.settings(m_server->database());
        const QString solution = m_solution, agent = m_alice.id;
        std::thread writer([&] {
            bw::db::Database db(settings);
            while (!stop) {
                runSql(
                    db,
                    "INSERT INTO missions (solution_id, created_by_agent_id, title, description, domain, estimated_duration_minutes,"
                    " token_reward, guardrail_status, expires_at, required_latitude, required_longitude)"
                    " VALUES (?::uuid, ?::uuid, 'Concurrent', 'Inserted meanwhile', 'disaster_response', 60, 10, 'approved',"
                    " now() + interval '1 day', 37.75, -122.4)",
                    {solution, agent});
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            db.releaseThisThread();
        });
        for (const QString &base : {QStringLiteral("/api/v1/missions?limit=10"),
                                    QStringLiteral("/api/v1/missions?limit=10&lat=37.75&lng=-122.4&radiusKm=50&sort=distance")}) {
            QSet<QString> seen;
            QString cursor;
            bool ok = true;
            for (int guard = 0; guard < 200; ++guard) {
                const HttpReply r = call(port(), "GET", cursor.isEmpty() ? base : base + "&cursor=" + enc(cursor));
                if (r.status != 200) {
                    ok = false;
                    break;
                }
                for (const auto &v : dataOf(r).value("missions").toArray()) {
                    const QString id = v.toObject().value("id").toString();
                    if (base.contains("distance") && !original.contains(id))
                        continue; // concurrent rows at the center may land on any later page
                    ok = ok && !seen.contains(id);
                    seen.insert(id);
                }
                if (!dataOf(r).value("hasMore").toBool())
                    break;
                cursor = dataOf(r).value("nextCursor").toString();
                QTest::qWait(10);
            }
            QVERIFY2(ok, qPrintable(base));
            QVERIFY2(seen.contains(original), qPrintable(base + ": a row that existed from the start was skipped"));
        }
        stop = true;
        writer.join();
    }
};

QTEST_GUILESS_MAIN(tst_MissionsApi)
#include "tst_missionsapi.moc"
