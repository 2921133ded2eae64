// AgentService against a real PostgreSQL: registration (incl. races on one username),
// authentication (current, previous, expired, deactivated keys, cache), and GET /agents/me.

#include "tests/domain/domaintestdb.h"

#include "server/core/apikey.h"
#include "server/core/ids.h"
#include "server/domain/accounts/agentservice.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QTest>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace bw;
using namespace bw::domain;

namespace {
QJsonObject body(const QString &username)
{
    return QJsonObject{{"username", username},
                       {"framework", "custom"},
                       {"specializations", QJsonArray{"education_access"}},
                       {"email", "agent@example.org"},
                       {"displayName", "It's a \"bot\" \\ ü"},
                       {"modelProvider", "acme"},
                       {"modelName", "m-1"},
                       {"soulSummary", "Helps."}};
}
const QRegularExpression kIsoUtc(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"));
} // namespace

class tst_AgentService final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void registerAndAuthenticate();
    void registerValidation();
    void usernameTakenCaseInsensitive();
    void concurrentSameUsername();
    void authenticateRejects_data();
    void authenticateRejects();
    void deactivatedIsForbidden();
    void previousKeyWithinWindow();
    void expiredPreviousKeyIsInvalid();
    void cacheServesAndForgets();
    void meProfile();
    void authenticationUsesIndexes();
    void survivesServerRestart();

private:
    struct Registered {
        QString agentId;
        QString apiKey;
    };
    Registered registerOne(const QString &username);
    bool sql(const QString &statement, const QVariantList &binds = {});

    test::PgFixture m_pg;
    std::unique_ptr<db::Database> m_db;
    std::unique_ptr<AgentService> m_agents; // cache disabled: sees every change at once
    std::unique_ptr<AgentService> m_cached; // default options (5 s cache)
};

void tst_AgentService::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = test::createDomainDatabase(m_pg);
    QVERIFY(!name.isEmpty());
    m_db = std::make_unique<db::Database>(m_pg.settings(name));
    m_agents = std::make_unique<AgentService>(*m_db, AgentService::Options{std::chrono::milliseconds(0)});
    m_cached = std::make_unique<AgentService>(*m_db);
}

void tst_AgentService::cleanupTestCase()
{
    m_agents.reset();
    m_cached.reset();
    if (m_db)
        m_db->releaseThisThread();
    m_db.reset();
}

tst_AgentService::Registered tst_AgentService::registerOne(const QString &username)
{
    auto r = m_agents->registerAgent(body(username));
    if (!r) {
        qWarning("register %s: %s", qPrintable(username), qPrintable(r.error().message));
        return {};
    }
    return {r->value("agentId").toString(), r->value("apiKey").toString()};
}

bool tst_AgentService::sql(const QString &statement, const QVariantList &binds)
{
    return test::execSql(*m_db, statement, binds);
}

void tst_AgentService::registerAndAuthenticate()
{
    auto r = m_agents->registerAgent(body("first_agent"));
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    const QString agentId = r->value("agentId").toString();
    const QString key = r->value("apiKey").toString();
    QVERIFY(ids::isUuid(agentId));
    QVERIFY(apikey::looksValid(key));
    QCOMPARE(r->value("username").toString(), QString("first_agent"));
    QCOMPARE(r->size(), 3);

    // Only the hash and prefix are stored.
    auto row = db::exec(m_db->connection(),
                        "SELECT api_key_hash, api_key_prefix, claim_status, specializations::text FROM agents WHERE id = ?::uuid",
                        {agentId});
    QVERIFY(row && row->next());
    QCOMPARE(row->value(0).toByteArray(), apikey::hash(key));
    QCOMPARE(row->value(1).toString(), key.left(12));
    QCOMPARE(row->value(2).toString(), QString("pending"));
    QCOMPARE(row->value(3).toString(), QString("{education_access}"));

    auto caller = m_agents->authenticate(key);
    QVERIFY(caller.ok());
    QCOMPARE(caller->agentId, agentId);
    QCOMPARE(caller->username, QString("first_agent"));
    QCOMPARE(caller->claimStatus, QString("pending"));
    QVERIFY(!caller->rateLimitOverride);
    QVERIFY(!caller->usedDeprecatedKey);

    QVERIFY(sql("UPDATE agents SET rate_limit_override = 500 WHERE id = ?::uuid", {agentId}));
    QCOMPARE(*m_agents->authenticate(key)->rateLimitOverride, 500);
}

void tst_AgentService::registerValidation()
{
    auto r = m_agents->registerAgent(QJsonObject{{"username", "admin"}, {"framework", "x"}});
    QVERIFY(!r.ok());
    QCOMPARE(r.error().status(), 422);
    const QJsonObject fields = r.error().details.value("fields").toObject();
    QVERIFY(fields.contains("username") && fields.contains("framework") && fields.contains("specializations"));
}

void tst_AgentService::usernameTakenCaseInsensitive()
{
    QVERIFY(!registerOne("taken_name").agentId.isEmpty());
    for (const char *again : {"taken_name", "Taken_Name", "TAKEN_NAME"}) {
        auto r = m_agents->registerAgent(body(again));
        QVERIFY2(!r.ok(), again);
        QCOMPARE(r.error().kind, ErrorKind::UsernameTaken);
        QCOMPARE(r.error().status(), 409);
        QCOMPARE(r.error().code(), QString("USERNAME_TAKEN"));
    }
    auto count = db::exec(m_db->connection(), "SELECT count(*) FROM agents WHERE lower(username) = 'taken_name'");
    QVERIFY(count && count->next());
    QCOMPARE(count->value(0).toInt(), 1);
}

void tst_AgentService::concurrentSameUsername()
{
    // No check-then-insert: of several simultaneous registrations exactly one wins.
    constexpr int kThreads = 4;
    std::atomic<int> ok{0}, taken{0}, other{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            while (!go.load())
                std::this_thread::yield();
            auto r = m_agents->registerAgent(body("race_winner"));
            if (r)
                ++ok;
            else if (r.error().kind == ErrorKind::UsernameTaken)
                ++taken;
            else
                ++other;
            m_db->releaseThisThread();
        });
    }
    go = true;
    for (auto &t : threads)
        t.join();
    QCOMPARE(ok.load(), 1);
    QCOMPARE(taken.load(), kThreads - 1);
    QCOMPARE(other.load(), 0);
}

void tst_AgentService::authenticateRejects_data()
{
    QTest::addColumn<QString>("key");
    QTest::newRow("empty") << QString();
    QTest::newRow("short") << QString("abc123");
    QTest::newRow("uppercase hex") << QString(64, 'A');
    QTest::newRow("non-hex") << QString(64, 'g');
    QTest::newRow("65 chars") << QString(65, 'a');
    QTest::newRow("unknown well-formed") << apikey::generate();
    QTest::newRow("sql-ish") << QString("' OR 1=1 --").leftJustified(64, 'a');
}

void tst_AgentService::authenticateRejects()
{
    QFETCH(QString, key);
    auto r = m_agents->authenticate(key);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::ApiKeyInvalid);
    QCOMPARE(r.error().status(), 401);
}

void tst_AgentService::deactivatedIsForbidden()
{
    const auto a = registerOne("soon_inactive");
    QVERIFY(m_agents->authenticate(a.apiKey).ok());
    QVERIFY(sql("UPDATE agents SET is_active = false WHERE id = ?::uuid", {a.agentId}));
    auto r = m_agents->authenticate(a.apiKey);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::Forbidden);
    QCOMPARE(r.error().message, QString("Agent is deactivated"));
}

void tst_AgentService::previousKeyWithinWindow()
{
    const auto a = registerOne("rotating_agent");
    const QString newKey = apikey::generate();
    // What rotate-key does: the current key becomes the previous one for 24 h.
    QVERIFY(sql("UPDATE agents SET previous_api_key_hash = api_key_hash, previous_api_key_prefix = api_key_prefix,"
                " previous_api_key_expires_at = now() + interval '24 hours', api_key_hash = ?, api_key_prefix = ?"
                " WHERE id = ?::uuid",
                {QString::fromLatin1(apikey::hash(newKey)), apikey::prefix(newKey), a.agentId}));
    auto old = m_agents->authenticate(a.apiKey);
    QVERIFY(old.ok());
    QVERIFY(old->usedDeprecatedKey);
    QCOMPARE(old->agentId, a.agentId);
    auto fresh = m_agents->authenticate(newKey);
    QVERIFY(fresh.ok());
    QVERIFY(!fresh->usedDeprecatedKey);
}

void tst_AgentService::expiredPreviousKeyIsInvalid()
{
    const auto a = registerOne("expired_rotation");
    const QString newKey = apikey::generate();
    QVERIFY(sql("UPDATE agents SET previous_api_key_hash = api_key_hash, previous_api_key_prefix = api_key_prefix,"
                " previous_api_key_expires_at = now() - interval '1 second', api_key_hash = ?, api_key_prefix = ?"
                " WHERE id = ?::uuid",
                {QString::fromLatin1(apikey::hash(newKey)), apikey::prefix(newKey), a.agentId}));
    auto r = m_agents->authenticate(a.apiKey);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::ApiKeyInvalid);
    QVERIFY(m_agents->authenticate(newKey).ok());
}

void tst_AgentService::cacheServesAndForgets()
{
    const auto a = registerOne("cached_agent");
    QVERIFY(m_cached->authenticate(a.apiKey).ok());
    QVERIFY(sql("UPDATE agents SET is_active = false WHERE id = ?::uuid", {a.agentId}));
    // Within the TTL the cached answer stands (documented staleness)…
    QVERIFY(m_cached->authenticate(a.apiKey).ok());
    // …until whoever deactivates tells the service.
    m_cached->forgetAgent(a.agentId);
    auto r = m_cached->authenticate(a.apiKey);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::Forbidden);

    // A short TTL expires on its own.
    AgentService shortLived(*m_db, AgentService::Options{std::chrono::milliseconds(50)});
    const auto b = registerOne("short_cache");
    QVERIFY(shortLived.authenticate(b.apiKey).ok());
    QVERIFY(sql("UPDATE agents SET is_active = false WHERE id = ?::uuid", {b.agentId}));
    QTest::qWait(80);
    QVERIFY(!shortLived.authenticate(b.apiKey).ok());
}

void tst_AgentService::meProfile()
{
    const auto a = registerOne("profile_agent");
    auto caller = m_agents->authenticate(a.apiKey);
    QVERIFY(caller.ok());
    auto me = m_agents->me(*caller);
    QVERIFY2(me.ok(), me.ok() ? "" : qPrintable(me.error().message));
    const QStringList expected{"id",
                               "username",
                               "displayName",
                               "framework",
                               "modelProvider",
                               "modelName",
                               "soulSummary",
                               "specializations",
                               "email",
                               "reputationScore",
                               "totalProblemsReported",
                               "totalSolutionsProposed",
                               "claimStatus",
                               "rateLimitOverride",
                               "lastHeartbeatAt",
                               "createdAt",
                               "updatedAt",
                               "isActive"};
    QStringList keys = me->keys();
    QStringList want = expected;
    keys.sort();
    want.sort();
    QCOMPARE(keys, want);
    QCOMPARE(me->value("id").toString(), a.agentId);
    QCOMPARE(me->value("displayName").toString(), QString::fromUtf8("It's a \"bot\" \\ ü"));
    QCOMPARE(me->value("specializations").toArray(), QJsonArray{"education_access"});
    QVERIFY(me->value("reputationScore").isDouble());
    QCOMPARE(me->value("reputationScore").toDouble(), 0.0);
    QCOMPARE(me->value("totalProblemsReported").toInt(-1), 0);
    QCOMPARE(me->value("claimStatus").toString(), QString("pending"));
    QVERIFY(me->value("rateLimitOverride").isNull());
    QVERIFY(me->value("lastHeartbeatAt").isNull());
    QVERIFY(me->value("isActive").toBool());
    QVERIFY2(kIsoUtc.match(me->value("createdAt").toString()).hasMatch(), qPrintable(me->value("createdAt").toString()));
    QVERIFY(kIsoUtc.match(me->value("updatedAt").toString()).hasMatch());

    QVERIFY(sql("UPDATE agents SET reputation_score = 12.5, last_heartbeat_at = now() WHERE id = ?::uuid", {a.agentId}));
    me = m_agents->me(*caller);
    QCOMPARE(me->value("reputationScore").toDouble(), 12.5);
    QVERIFY(kIsoUtc.match(me->value("lastHeartbeatAt").toString()).hasMatch());

    Caller ghost;
    ghost.agentId = ids::newUuid();
    QCOMPARE(m_agents->me(ghost).error().kind, ErrorKind::NotFound);
}

void tst_AgentService::authenticationUsesIndexes()
{
    // Enough agents that a sequential scan would be a real cost; keys cover both prefix columns.
    QVERIFY(sql("INSERT INTO agents (username, framework, api_key_hash, api_key_prefix, previous_api_key_hash,"
                " previous_api_key_prefix, previous_api_key_expires_at)"
                " SELECT 'bulk_' || i, 'custom', md5(i::text) || md5(i::text), left(md5(i::text), 12),"
                " md5('p' || i) || md5('p' || i), left(md5('p' || i), 12), now() + interval '1 day'"
                " FROM generate_series(1, 5000) AS i"));
    QVERIFY(sql("ANALYZE agents"));
    const auto a = registerOne("indexed_lookup");
    // pg_stat_xact_user_tables: this backend's scans not yet flushed to the shared counters
    // (earlier statements included, hence the before/after difference).
    db::Transaction tx(m_db->connection());
    QVERIFY(tx.isActive());
    const auto scans = [this] {
        auto r = db::exec(m_db->connection(), "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'agents'");
        return r && r->next() ? std::pair{r->value(0).toInt(), r->value(1).toInt()} : std::pair{-1, -1};
    };
    const auto before = scans();
    for (int i = 0; i < 8; ++i) { // past the 5 custom plans, so the generic plan is checked too
        QVERIFY(m_agents->authenticate(a.apiKey).ok());
        QVERIFY(!m_agents->authenticate(apikey::generate()).ok());
    }
    const auto after = scans();
    QVERIFY(before.first >= 0);
    QCOMPARE(after.first - before.first, 0);     // no sequential scans
    QVERIFY(after.second - before.second >= 16); // index scans (a BitmapOr: two per call)
    QVERIFY(tx.rollback());
}

void tst_AgentService::survivesServerRestart()
{
    // Prepared statements die with the connection; the service must prepare them again.
    const auto a = registerOne("after_restart");
    QVERIFY(m_agents->authenticate(a.apiKey).ok());
    QVERIFY(m_agents->me(*m_agents->authenticate(a.apiKey)).ok());
    QVERIFY(m_pg.restart().ok());
    auto caller = m_agents->authenticate(a.apiKey);
    QVERIFY2(caller.ok(), caller.ok() ? "" : qPrintable(caller.error().message));
    QVERIFY(m_agents->me(*caller).ok());
    QVERIFY(!registerOne("after_restart_2").agentId.isEmpty());
}

QTEST_GUILESS_MAIN(tst_AgentService)
#include "tst_agentservice.moc"
