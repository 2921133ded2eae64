// Agent accounts over real HTTP (api.md §3, §5): registration rules, PATCH /agents/me, public
// profiles, the directory (filters, sort, keyset pagination, cursors), key rotation with the
// 24-hour overlap, and authentication/deactivation answers.
#include "accountstest.h"

#include <QSet>
#include <QTest>
#include <QUrl>

#include <atomic>
#include <thread>
#include <vector>

using namespace bw::test;
using namespace bw::test::accounts;

class tst_AgentProfilesApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    std::unique_ptr<bw::db::Database> m_db;
    quint16 port() const { return m_server->port(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
        m_db = std::make_unique<bw::db::Database>(m_pg.settings(m_server->database()));
    }
    void cleanupTestCase()
    {
        m_db->releaseThisThread();
        m_db.reset();
        QVERIFY(m_server->stop());
    }

    void registrationRules_data()
    {
        QTest::addColumn<QJsonObject>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("field");
        const QJsonArray one{"education_access"};
        QTest::newRow("ok") << registration("rules_ok_1") << 201 << QString();
        QTest::newRow("mixed case is lower-cased") << registration("Rules_Mixed_2") << 201 << QString();
        QTest::newRow("too short") << registration("ab") << 422 << "username";
        QTest::newRow("too long") << registration(QString(101, u'a')) << 422 << "username";
        QTest::newRow("leading underscore") << registration("_rules") << 422 << "username";
        QTest::newRow("trailing underscore") << registration("rules_") << 422 << "username";
        QTest::newRow("double underscore") << registration("ru__les") << 422 << "username";
        QTest::newRow("bad character") << registration("rules-x") << 422 << "username";
        QTest::newRow("reserved") << registration("betterworld") << 422 << "username";
        QTest::newRow("reserved any case") << registration("Admin") << 422 << "username";
        QTest::newRow("missing username") << QJsonObject{{"framework", "custom"}, {"specializations", one}} << 422 << "username";
        QTest::newRow("unknown framework") << registration("rules_fw", one, "skynet") << 422 << "framework";
        QTest::newRow("no specializations") << registration("rules_s0", QJsonArray{}) << 422 << "specializations";
        QTest::newRow("six specializations")
            << registration("rules_s6", QJsonArray{"education_access", "food_security", "elder_care", "human_rights",
                                                   "mental_health_wellbeing", "gender_equality"})
            << 422 << "specializations";
        QTest::newRow("unknown domain") << registration("rules_sx", QJsonArray{"space_travel"}) << 422 << "specializations";
        QTest::newRow("duplicate domain") << registration("rules_sd", QJsonArray{"elder_care", "elder_care"}) << 422
                                          << "specializations";
        QJsonObject longName = registration("rules_dn");
        longName.insert("displayName", QString(201, u'x'));
        QTest::newRow("displayName too long") << longName << 422 << "displayName";
        QJsonObject badEmail = registration("rules_em");
        badEmail.insert("email", "not-an-email");
        QTest::newRow("bad email") << badEmail << 422 << "email";
        QJsonObject longSoul = registration("rules_ss");
        longSoul.insert("soulSummary", QString(2001, u'x'));
        QTest::newRow("soulSummary too long") << longSoul << 422 << "soulSummary";
    }
    void registrationRules()
    {
        QFETCH(QJsonObject, body);
        QFETCH(int, status);
        QFETCH(QString, field);
        const HttpReply r = call(port(), "POST", "/api/v1/auth/agents/register", {}, json(body));
        QCOMPARE(r.status, status);
        if (status == 201) {
            QCOMPARE(data(r).value("username").toString(), body.value("username").toString().toLower());
            QCOMPARE(data(r).value("apiKey").toString().size(), 64);
        } else {
            QCOMPARE(errorCode(r), QStringLiteral("VALIDATION_ERROR"));
            QVERIFY2(errorFields(r).contains(field), r.body.constData());
        }
    }

    void usernamesAreCaseInsensitive()
    {
        QCOMPARE(call(port(), "POST", "/api/v1/auth/agents/register", {}, json(registration("Case_Agent"))).status, 201);
        for (const char *again : {"case_agent", "CASE_AGENT", "cAsE_aGeNt"}) {
            const HttpReply r =
                call(port(), "POST", "/api/v1/auth/agents/register", {}, json(registration(QString::fromLatin1(again))));
            QCOMPARE(r.status, 409);
            QCOMPARE(errorCode(r), QStringLiteral("USERNAME_TAKEN"));
        }
    }

    void patchMe()
    {
        QJsonObject body = registration("patch_agent");
        body.insert("displayName", "Before");
        body.insert("modelName", "m1");
        body.insert("email", "patch@example.org");
        const Agent a = registerAgent(port(), body);
        QVERIFY(!a.key.isEmpty());

        const QJsonObject change{{"displayName", "After"},
                                 {"soulSummary", "I help."},
                                 {"modelProvider", "acme"},
                                 {"modelName", QJsonValue::Null},
                                 {"specializations", QJsonArray{"food_security", "elder_care"}},
                                 {"somethingElse", 1}};
        HttpReply r = call(port(), "PATCH", "/api/v1/agents/me", a.key, json(change));
        QCOMPARE(r.status, 200);
        QJsonObject p = data(r);
        QCOMPARE(p.value("displayName").toString(), QStringLiteral("After"));
        QCOMPARE(p.value("soulSummary").toString(), QStringLiteral("I help."));
        QCOMPARE(p.value("modelProvider").toString(), QStringLiteral("acme"));
        QVERIFY(p.value("modelName").isNull());
        QCOMPARE(p.value("specializations").toArray(), (QJsonArray{"food_security", "elder_care"}));
        QCOMPARE(p.value("email").toString(), QStringLiteral("patch@example.org")); // the owner's view
        QCOMPARE(p.value("username").toString(), QStringLiteral("patch_agent"));

        // Persisted: GET /agents/me agrees.
        r = call(port(), "GET", "/api/v1/agents/me", a.key);
        QCOMPARE(data(r).value("displayName").toString(), QStringLiteral("After"));

        // An empty patch changes nothing.
        r = call(port(), "PATCH", "/api/v1/agents/me", a.key, "{}");
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("soulSummary").toString(), QStringLiteral("I help."));
    }

    void patchMeValidation_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QStringList>("fields");
        QTest::newRow("displayName too long") << json({{"displayName", QString(201, u'x')}}) << 422 << QStringList{"displayName"};
        QTest::newRow("soulSummary too long")
            << json({{"soulSummary", QString(2001, u'x')}}) << 422 << QStringList{"soulSummary"};
        QTest::newRow("modelProvider too long")
            << json({{"modelProvider", QString(51, u'x')}}) << 422 << QStringList{"modelProvider"};
        QTest::newRow("modelName too long") << json({{"modelName", QString(101, u'x')}}) << 422 << QStringList{"modelName"};
        QTest::newRow("wrong type") << json({{"displayName", 5}}) << 422 << QStringList{"displayName"};
        QTest::newRow("empty specializations")
            << json({{"specializations", QJsonArray{}}}) << 422 << QStringList{"specializations"};
        QTest::newRow("null specializations")
            << json({{"specializations", QJsonValue::Null}}) << 422 << QStringList{"specializations"};
        QTest::newRow("unknown domain") << json({{"specializations", QJsonArray{"moon_base"}}}) << 422
                                        << QStringList{"specializations"};
        QTest::newRow("immutable fields") << json({{"username", "x_y"}, {"email", "a@b.org"}, {"claimStatus", "verified"}}) << 422
                                          << QStringList{"username", "email", "claimStatus"};
        QTest::newRow("several at once") << json({{"displayName", QString(201, u'x')}, {"modelName", QString(101, u'x')}}) << 422
                                         << QStringList{"displayName", "modelName"};
        QTest::newRow("malformed JSON") << QByteArray("{\"displayName\":") << 400 << QStringList{};
        QTest::newRow("not an object") << QByteArray("[1]") << 400 << QStringList{};
    }
    void patchMeValidation()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QStringList, fields);
        static const Agent a = registerAgent(port(), registration("patch_validation"));
        const HttpReply r = call(port(), "PATCH", "/api/v1/agents/me", a.key, body);
        QCOMPARE(r.status, status);
        for (const QString &f : fields)
            QVERIFY2(errorFields(r).contains(f), r.body.constData());
        if (status == 400)
            QCOMPARE(errorCode(r), QStringLiteral("BAD_REQUEST"));
    }

    void authenticationAnswers()
    {
        // No header, a malformed header, an unknown key.
        QCOMPARE(call(port(), "PATCH", "/api/v1/agents/me", {}, "{}").status, 401);
        HttpReply r = httpRequest(port(), "PATCH", "/api/v1/agents/me", "{}", {{"Authorization", "Token abc"}});
        QCOMPARE(r.status, 401);
        QCOMPARE(errorCode(r), QStringLiteral("UNAUTHORIZED"));
        r = call(port(), "PATCH", "/api/v1/agents/me", QString(64, u'c'), "{}");
        QCOMPARE(r.status, 401);
        QCOMPARE(errorCode(r), QStringLiteral("API_KEY_INVALID"));
        for (const auto &[method, path] : QList<QPair<QByteArray, QByteArray>>{{"POST", "/api/v1/auth/agents/rotate-key"},
                                                                               {"POST", "/api/v1/auth/agents/verify"},
                                                                               {"POST", "/api/v1/auth/agents/verify/resend"}})
            QCOMPARE(call(port(), method, path).status, 401);

        // A deactivated agent is 403 FORBIDDEN on every authenticated route.
        const Agent a = registerAgent(port(), registration("deactivated_agent"));
        QVERIFY(sql(*m_db, "UPDATE agents SET is_active = false WHERE id = ?::uuid", {a.id}));
        r = call(port(), "GET", "/api/v1/agents/me", a.key);
        QCOMPARE(r.status, 403);
        QCOMPARE(errorCode(r), QStringLiteral("FORBIDDEN"));
        QCOMPARE(call(port(), "PATCH", "/api/v1/agents/me", a.key, "{}").status, 403);
        QCOMPARE(call(port(), "POST", "/api/v1/auth/agents/rotate-key", a.key).status, 403);
    }

    void publicProfile()
    {
        QJsonObject body = registration("public_agent");
        body.insert("email", "secret@example.org");
        body.insert("displayName", "Public Agent");
        const Agent a = registerAgent(port(), body);
        QVERIFY(sql(*m_db, "UPDATE agents SET rate_limit_override = 99 WHERE id = ?::uuid", {a.id}));
        const HttpReply r = call(port(), "GET", QByteArray("/api/v1/agents/") + a.id.toLatin1());
        QCOMPARE(r.status, 200);
        const QJsonObject p = data(r);
        QCOMPARE(p.value("id").toString(), a.id);
        QCOMPARE(p.value("username").toString(), QStringLiteral("public_agent"));
        QCOMPARE(p.value("displayName").toString(), QStringLiteral("Public Agent"));
        QCOMPARE(p.value("claimStatus").toString(), QStringLiteral("pending"));
        for (const char *hidden : {"email", "rateLimitOverride", "apiKeyHash", "apiKeyPrefix", "verificationCodeHash"})
            QVERIFY2(!p.contains(QLatin1String(hidden)), hidden);
        QVERIFY(!r.body.contains("secret@example.org"));

        QCOMPARE(call(port(), "GET", "/api/v1/agents/not-a-uuid").status, 404);
        const HttpReply missing = call(port(), "GET", "/api/v1/agents/00000000-0000-4000-8000-000000000000");
        QCOMPARE(missing.status, 404);
        QCOMPARE(errorCode(missing), QStringLiteral("NOT_FOUND"));
        // "me" is never mistaken for an id.
        QCOMPARE(call(port(), "GET", "/api/v1/agents/me").status, 401);
    }

    void directoryFiltersAndSort()
    {
        // A known population, isolated by a framework nobody else here uses.
        const QList<std::tuple<QString, QJsonArray, double>> population{
            {"dir_a", {"food_security", "elder_care"}, 10.5},
            {"dir_b", {"food_security"}, 90},
            {"dir_c", {"elder_care", "food_security", "human_rights"}, 50.25},
            {"dir_d", {"human_rights"}, 50.25},
        };
        QStringList ids;
        for (const auto &[name, specs, reputation] : population) {
            const Agent a = registerAgent(port(), registration(name, specs, "crewai"));
            QVERIFY(!a.id.isEmpty());
            ids << a.id;
            QVERIFY(sql(*m_db, "UPDATE agents SET reputation_score = ?::numeric WHERE id = ?::uuid",
                        {QString::number(reputation), a.id}));
        }
        const auto usernames = [](const HttpReply &r) {
            QStringList out;
            for (const QJsonValue &v : r.json().value("data").toArray())
                out << v.toObject().value("username").toString();
            return out;
        };

        HttpReply r = call(port(), "GET", "/api/v1/agents?framework=crewai");
        QCOMPARE(r.status, 200);
        QCOMPARE(usernames(r), (QStringList{"dir_d", "dir_c", "dir_b", "dir_a"})); // newest first by default
        const QJsonObject meta = r.json().value("meta").toObject();
        QCOMPARE(meta.value("count").toInt(), 4);
        QCOMPARE(meta.value("hasMore").toBool(), false);
        QVERIFY(meta.value("nextCursor").isNull());
        QVERIFY(!r.body.contains("\"email\""));

        r = call(port(), "GET", "/api/v1/agents?framework=crewai&order=asc");
        QCOMPARE(usernames(r), (QStringList{"dir_a", "dir_b", "dir_c", "dir_d"}));
        r = call(port(), "GET", "/api/v1/agents?framework=crewai&specializations=food_security,elder_care");
        QCOMPARE(usernames(r), (QStringList{"dir_c", "dir_a"})); // all listed must match
        r = call(port(), "GET", "/api/v1/agents?framework=crewai&specializations=human_rights");
        QCOMPARE(usernames(r), (QStringList{"dir_d", "dir_c"}));
        r = call(port(), "GET", "/api/v1/agents?framework=crewai&sort=reputationScore");
        QCOMPARE(r.status, 200);
        const QStringList byReputation = usernames(r);
        QCOMPARE(byReputation.first(), QStringLiteral("dir_b"));
        QCOMPARE(byReputation.last(), QStringLiteral("dir_a"));
        QCOMPARE(r.json().value("data").toArray().first().toObject().value("reputationScore").toDouble(), 90.0);
        r = call(port(), "GET", "/api/v1/agents?framework=crewai&sort=reputationScore&order=asc");
        QCOMPARE(usernames(r).first(), QStringLiteral("dir_a"));

        // isActive filter.
        QVERIFY(sql(*m_db, "UPDATE agents SET is_active = false WHERE id = ?::uuid", {ids[1]}));
        r = call(port(), "GET", "/api/v1/agents?framework=crewai&isActive=true");
        QCOMPARE(usernames(r), (QStringList{"dir_d", "dir_c", "dir_a"}));
        r = call(port(), "GET", "/api/v1/agents?framework=crewai&isActive=false");
        QCOMPARE(usernames(r), QStringList{"dir_b"});
        QVERIFY(sql(*m_db, "UPDATE agents SET is_active = true WHERE id = ?::uuid", {ids[1]}));
    }

    void directoryPaginates_data()
    {
        QTest::addColumn<QByteArray>("query");
        QTest::newRow("createdAt desc") << QByteArray("sort=createdAt&order=desc");
        QTest::newRow("createdAt asc") << QByteArray("sort=createdAt&order=asc");
        QTest::newRow("reputation desc") << QByteArray("sort=reputationScore&order=desc");
        QTest::newRow("reputation asc") << QByteArray("sort=reputationScore&order=asc");
    }
    void directoryPaginates()
    {
        QFETCH(QByteArray, query);
        static bool seeded = false;
        if (!seeded) {
            seeded = true;
            for (int i = 0; i < 23; ++i) {
                const Agent a = registerAgent(port(), registration(QStringLiteral("page_%1").arg(i), {"elder_care"}, "autogen"));
                // Ties on purpose: keyset pagination must still neither skip nor repeat.
                QVERIFY(sql(*m_db, "UPDATE agents SET reputation_score = ?::numeric WHERE id = ?::uuid",
                            {QString::number((i % 4) * 12.5), a.id}));
            }
        }
        QSet<QString> seen;
        QString cursor;
        int pages = 0;
        double lastReputation = query.contains("asc") ? -1 : 1e9;
        do {
            QByteArray target = "/api/v1/agents?framework=autogen&limit=5&" + query;
            if (!cursor.isEmpty())
                target += "&cursor=" + QUrl::toPercentEncoding(cursor);
            const HttpReply r = call(port(), "GET", target);
            QCOMPARE(r.status, 200);
            const QJsonArray items = r.json().value("data").toArray();
            for (const QJsonValue &v : items) {
                QVERIFY2(!seen.contains(v.toObject().value("id").toString()), "an agent was repeated");
                seen.insert(v.toObject().value("id").toString());
                if (query.contains("reputation")) {
                    const double rep = v.toObject().value("reputationScore").toDouble();
                    QVERIFY(query.contains("asc") ? rep >= lastReputation : rep <= lastReputation);
                    lastReputation = rep;
                }
            }
            const QJsonObject meta = r.json().value("meta").toObject();
            QCOMPARE(meta.value("count").toInt(), items.size());
            cursor = meta.value("nextCursor").toString();
            QCOMPARE(meta.value("hasMore").toBool(), !cursor.isEmpty());
            ++pages;
        } while (!cursor.isEmpty() && pages < 10);
        QCOMPARE(seen.size(), 23);
        QCOMPARE(pages, 5);
    }

    void directoryRejectsBadQueries_data()
    {
        QTest::addColumn<QByteArray>("query");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::newRow("limit 0") << QByteArray("limit=0") << 422 << "VALIDATION_ERROR";
        QTest::newRow("limit 101") << QByteArray("limit=101") << 422 << "VALIDATION_ERROR";
        QTest::newRow("limit text") << QByteArray("limit=ten") << 422 << "VALIDATION_ERROR";
        QTest::newRow("bad sort") << QByteArray("sort=username") << 422 << "VALIDATION_ERROR";
        QTest::newRow("bad order") << QByteArray("order=up") << 422 << "VALIDATION_ERROR";
        QTest::newRow("bad framework") << QByteArray("framework=skynet") << 422 << "VALIDATION_ERROR";
        QTest::newRow("bad isActive") << QByteArray("isActive=maybe") << 422 << "VALIDATION_ERROR";
        QTest::newRow("unknown domain") << QByteArray("specializations=food_security,moon_base") << 400 << "INVALID_DOMAIN";
        QTest::newRow("garbage cursor") << QByteArray("cursor=abc") << 400 << "INVALID_CURSOR";
    }
    void directoryRejectsBadQueries()
    {
        QFETCH(QByteArray, query);
        QFETCH(int, status);
        QFETCH(QString, code);
        const HttpReply r = call(port(), "GET", "/api/v1/agents?" + query);
        QCOMPARE(r.status, status);
        QCOMPARE(errorCode(r), code);
    }

    void cursorsAreSignedAndBoundToTheirSort()
    {
        for (int i = 0; i < 3; ++i)
            registerAgent(port(), registration(QStringLiteral("cursor_%1").arg(i), {"elder_care"}, "openclaw"));
        const HttpReply first = call(port(), "GET", "/api/v1/agents?framework=openclaw&limit=1");
        const QString cursor = first.json().value("meta").toObject().value("nextCursor").toString();
        QVERIFY(!cursor.isEmpty());
        // Tampered: flip one character of the payload.
        QString tampered = cursor;
        tampered[2] = tampered[2] == u'A' ? u'B' : u'A';
        HttpReply r =
            call(port(), "GET", "/api/v1/agents?framework=openclaw&limit=1&cursor=" + QUrl::toPercentEncoding(tampered));
        QCOMPARE(r.status, 400);
        QCOMPARE(errorCode(r), QStringLiteral("INVALID_CURSOR"));
        // Valid signature, other sort or order: refused rather than paging wrong.
        r = call(port(), "GET",
                 "/api/v1/agents?framework=openclaw&limit=1&sort=reputationScore&cursor=" + QUrl::toPercentEncoding(cursor));
        QCOMPARE(r.status, 400);
        r = call(port(), "GET", "/api/v1/agents?framework=openclaw&limit=1&order=asc&cursor=" + QUrl::toPercentEncoding(cursor));
        QCOMPARE(r.status, 400);
        // Untouched, with its own sort and order: the next page.
        r = call(port(), "GET", "/api/v1/agents?framework=openclaw&limit=1&cursor=" + QUrl::toPercentEncoding(cursor));
        QCOMPARE(r.status, 200);
        QVERIFY(r.json().value("data").toArray().first().toObject().value("id")
                != first.json().value("data").toArray().first().toObject().value("id"));
    }

    void keyRotation()
    {
        const Agent a = registerAgent(port(), registration("rotating_agent"));
        HttpReply r = call(port(), "POST", "/api/v1/auth/agents/rotate-key", a.key);
        QCOMPARE(r.status, 200);
        const QString newKey = data(r).value("apiKey").toString();
        QCOMPARE(newKey.size(), 64);
        QVERIFY(newKey != a.key);
        const QDateTime expires = QDateTime::fromString(data(r).value("previousKeyExpiresAt").toString(), Qt::ISODateWithMs);
        QVERIFY(expires.isValid());
        const qint64 grace = QDateTime::currentDateTimeUtc().secsTo(expires);
        QVERIFY2(grace > 24 * 3600 - 120 && grace <= 24 * 3600 + 5, qPrintable(QString::number(grace)));

        // The new key: normal. The old key: still works, flagged deprecated.
        r = call(port(), "GET", "/api/v1/agents/me", newKey);
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("x-bw-key-deprecated").isEmpty());
        r = call(port(), "GET", "/api/v1/agents/me", a.key);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-bw-key-deprecated"), QByteArray("true"));
        QCOMPARE(data(r).value("id").toString(), a.id);

        // Rotating again needs the current key.
        r = call(port(), "POST", "/api/v1/auth/agents/rotate-key", a.key);
        QCOMPARE(r.status, 403);
        QCOMPARE(errorCode(r), QStringLiteral("FORBIDDEN"));

        // Stored as hashes with a 12-character prefix: neither key appears in the row.
        const QString row = scalar(*m_db, "SELECT row_to_json(a)::text FROM agents a WHERE id = ?::uuid", {a.id}).toString();
        QVERIFY(!row.contains(newKey) && !row.contains(a.key));
        QCOMPARE(scalar(*m_db, "SELECT api_key_prefix FROM agents WHERE id = ?::uuid", {a.id}).toString(), newKey.left(12));
        QCOMPARE(scalar(*m_db, "SELECT previous_api_key_prefix FROM agents WHERE id = ?::uuid", {a.id}).toString(),
                 a.key.left(12));
    }

    // Ten rotations racing with one key: the first wins, the rest are refused, and both the original
    // key (deprecated, 24 h) and the one handed out work — no rotation demotes a key another just issued.
    void racingRotationsKeepEveryIssuedKeyValid()
    {
        const Agent a = registerAgent(port(), registration("racing_rotator"));
        constexpr int kRacers = 10;
        std::atomic_int ready{0};
        QList<HttpReply> replies(kRacers);
        std::vector<std::thread> racers;
        for (int i = 0; i < kRacers; ++i)
            racers.emplace_back([&, i] {
                ++ready;
                while (ready.load() < kRacers)
                    std::this_thread::yield();
                replies[i] = call(port(), "POST", "/api/v1/auth/agents/rotate-key", a.key);
            });
        for (auto &t : racers)
            t.join();
        QStringList issued;
        for (const HttpReply &r : std::as_const(replies)) {
            QVERIFY2(r.status == 200 || r.status == 409 || r.status == 403, r.body.constData());
            if (r.status == 200)
                issued << data(r).value("apiKey").toString();
        }
        QCOMPARE(issued.size(), 1);
        QCOMPARE(call(port(), "GET", "/api/v1/agents/me", issued.first()).status, 200);
        const HttpReply old = call(port(), "GET", "/api/v1/agents/me", a.key);
        QCOMPARE(old.status, 200);
        QCOMPARE(old.header("x-bw-key-deprecated"), QByteArray("true"));
    }

    void previousKeyExpires()
    {
        const Agent a = registerAgent(port(), registration("expiring_agent"));
        const HttpReply r = call(port(), "POST", "/api/v1/auth/agents/rotate-key", a.key);
        QCOMPARE(r.status, 200);
        // 24 hours later (the old key has not been used since, so nothing is cached for it):
        QVERIFY(
            sql(*m_db, "UPDATE agents SET previous_api_key_expires_at = now() - interval '1 second' WHERE id = ?::uuid", {a.id}));
        const HttpReply old = call(port(), "GET", "/api/v1/agents/me", a.key);
        QCOMPARE(old.status, 401);
        QCOMPARE(errorCode(old), QStringLiteral("API_KEY_INVALID"));
        QCOMPARE(call(port(), "GET", "/api/v1/agents/me", data(r).value("apiKey").toString()).status, 200);
    }
};

QTEST_GUILESS_MAIN(tst_AgentProfilesApi)
#include "tst_agentprofilesapi.moc"
