// AdminOpsService against a real PostgreSQL: agent controls (rate-limit override, claim status,
// activation — audited, cache hook called), jobs (list, dead-letter redrive), the audit-log read,
// and the append-only audit log (trigger, and grants for the restricted application role).

#include "moderationtestdb.h"

#include "server/moderation/adminauthservice.h"
#include "server/moderation/adminopsservice.h"
#include "tests/support/pgfixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace bw;
using namespace bw::moderation;
using namespace bw::test;

namespace {
QJsonArray items(const JsonPage &page)
{
    return QJsonDocument::fromJson(page.itemsJson).array();
}
} // namespace

class tst_AdminOpsService final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void rateLimitOverride();
    void rateLimitBodies_data();
    void rateLimitBodies();
    void claimStatusAndActivation();
    void moderatorsCannotUseAdminControls();
    void unknownAgentIs404();
    void jobsListAndRedrive();
    void auditLogReadsNewestFirstWithFilters();
    void auditLogIsAppendOnly();
    void appRoleCannotRewriteAuditLog();

private:
    QSqlDatabase db() { return m_database->connection(); }
    PgFixture m_pg;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<AdminAuthService> m_auth;
    std::unique_ptr<AdminOpsService> m_ops;
    QStringList m_forgotten;
    AdminCaller m_admin;
    AdminCaller m_moderator;
    QString m_agent;
};

void tst_AdminOpsService::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<db::Database>(m_pg.settings(name));
    m_auth = std::make_unique<AdminAuthService>(*m_database);
    m_ops = std::make_unique<AdminOpsService>(
        *m_database, AdminOpsService::Options{.agentChanged = [this](const QString &id) { m_forgotten << id; }});
    auto admin = makeAdmin(*m_auth, QStringLiteral("ops@example.org"), QStringLiteral("admin"));
    auto moderator = makeAdmin(*m_auth, QStringLiteral("mod@example.org"), QStringLiteral("moderator"));
    QVERIFY(admin && moderator);
    m_admin = *admin;
    m_moderator = *moderator;
    m_agent = insertAgent(db(), QStringLiteral("controlled_agent"));
    QVERIFY(!m_agent.isEmpty());
}

void tst_AdminOpsService::cleanupTestCase()
{
    m_ops.reset();
    m_auth.reset();
    if (m_database)
        m_database->releaseThisThread();
    m_database.reset();
}

void tst_AdminOpsService::rateLimitOverride()
{
    m_forgotten.clear();
    auto set = m_ops->setRateLimitOverride(m_admin, m_agent, 250);
    QVERIFY2(set, qPrintable(set ? QString() : set.error().message));
    QCOMPARE(set->value("rateLimitOverride").toInt(), 250);
    QCOMPARE(set->value("id").toString(), m_agent);
    QCOMPARE(m_forgotten, QStringList{m_agent}); // the auth cache is told
    auto cleared = m_ops->setRateLimitOverride(m_admin, m_agent, std::nullopt);
    QVERIFY(cleared);
    QVERIFY(cleared->value("rateLimitOverride").isNull());
    QVERIFY(scalar(db(), QStringLiteral("SELECT rate_limit_override FROM agents WHERE id = ?::uuid"), {m_agent}).isNull());

    auto q = db::exec(db(),
                      QStringLiteral("SELECT before::text, after::text, actor_id::text FROM audit_log"
                                     " WHERE action = 'agent.rate_limit' AND target_id = ? ORDER BY id"),
                      {m_agent});
    QVERIFY(q);
    QVERIFY(q->next());
    QCOMPARE(q->value(0).toString(), QStringLiteral("{\"rateLimitOverride\": null}"));
    QCOMPARE(q->value(1).toString(), QStringLiteral("{\"rateLimitOverride\": 250}"));
    QCOMPARE(q->value(2).toString(), m_admin.moderatorId);
    QVERIFY(q->next());
    QCOMPARE(q->value(0).toString(), QStringLiteral("{\"rateLimitOverride\": 250}"));
    QCOMPARE(q->value(1).toString(), QStringLiteral("{\"rateLimitOverride\": null}"));

    QCOMPARE(m_ops->setRateLimitOverride(m_admin, m_agent, 0).error().kind, ErrorKind::Validation);
    QCOMPARE(m_ops->setRateLimitOverride(m_admin, m_agent, 1001).error().kind, ErrorKind::Validation);
}

void tst_AdminOpsService::rateLimitBodies_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<int>("limit"); // -1: null
    QTest::newRow("number") << QByteArray(R"({"limit": 10})") << true << 10;
    QTest::newRow("max") << QByteArray(R"({"limit": 1000})") << true << 1000;
    QTest::newRow("null") << QByteArray(R"({"limit": null})") << true << -1;
    QTest::newRow("missing") << QByteArray(R"({})") << false << 0;
    QTest::newRow("zero") << QByteArray(R"({"limit": 0})") << false << 0;
    QTest::newRow("fraction") << QByteArray(R"({"limit": 2.5})") << false << 0;
    QTest::newRow("string") << QByteArray(R"({"limit": "10"})") << false << 0;
    QTest::newRow("too big") << QByteArray(R"({"limit": 1001})") << false << 0;
}

void tst_AdminOpsService::rateLimitBodies()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, valid);
    QFETCH(int, limit);
    auto r = AdminOpsService::parseRateLimitBody(QJsonDocument::fromJson(body).object());
    QCOMPARE(r.ok(), valid);
    if (valid)
        QCOMPARE(r->value_or(-1), limit);
    else
        QCOMPARE(r.error().kind, ErrorKind::Validation);
}

void tst_AdminOpsService::claimStatusAndActivation()
{
    m_forgotten.clear();
    auto verified = m_ops->setClaimStatus(m_admin, m_agent, QStringLiteral("verified"));
    QVERIFY(verified);
    QCOMPARE(verified->value("claimStatus").toString(), QStringLiteral("verified"));
    QCOMPARE(m_ops->setClaimStatus(m_admin, m_agent, QStringLiteral("royal")).error().kind, ErrorKind::Validation);
    auto off = m_ops->setActive(m_admin, m_agent, false);
    QVERIFY(off);
    QCOMPARE(off->value("isActive").toBool(), false);
    QVERIFY(!scalar(db(), QStringLiteral("SELECT is_active FROM agents WHERE id = ?::uuid"), {m_agent}).toBool());
    QVERIFY(m_ops->setActive(m_admin, m_agent, true));
    QCOMPARE(m_forgotten.size(), 3);
    QCOMPARE(scalar(db(),
                    QStringLiteral("SELECT after::text FROM audit_log WHERE action = 'agent.active' AND target_id = ?"
                                   " ORDER BY id LIMIT 1"),
                    {m_agent})
                 .toString(),
             QStringLiteral("{\"isActive\": false}"));
    QCOMPARE(scalar(db(),
                    QStringLiteral("SELECT before::text FROM audit_log WHERE action = 'agent.verification' AND target_id = ?"),
                    {m_agent})
                 .toString(),
             QStringLiteral("{\"claimStatus\": \"pending\"}"));
    QVERIFY(!AdminOpsService::parseActiveBody(QJsonObject{{"isActive", "yes"}}));
    QVERIFY(*AdminOpsService::parseActiveBody(QJsonObject{{"isActive", true}}));
    QVERIFY(!AdminOpsService::parseClaimStatusBody(QJsonObject{}));
}

void tst_AdminOpsService::moderatorsCannotUseAdminControls()
{
    m_forgotten.clear();
    QCOMPARE(m_ops->setRateLimitOverride(m_moderator, m_agent, 5).error().kind, ErrorKind::Forbidden);
    QCOMPARE(m_ops->setActive(m_moderator, m_agent, false).error().kind, ErrorKind::Forbidden);
    QCOMPARE(m_ops->listJobs(m_moderator, JobQuery{}).error().kind, ErrorKind::Forbidden);
    QCOMPARE(m_ops->retryJob(m_moderator, ids::newUuid()).error().kind, ErrorKind::Forbidden);
    QCOMPARE(m_ops->auditLog(m_moderator, AuditQuery{}).error().kind, ErrorKind::Forbidden);
    QVERIFY(m_forgotten.isEmpty());
}

void tst_AdminOpsService::unknownAgentIs404()
{
    QCOMPARE(m_ops->setActive(m_admin, ids::newUuid(), false).error().kind, ErrorKind::NotFound);
    QCOMPARE(m_ops->setActive(m_admin, QStringLiteral("x"), false).error().kind, ErrorKind::NotFound);
}

void tst_AdminOpsService::jobsListAndRedrive()
{
    const QString dead = ids::newUuid(), running = ids::newUuid(), clash = ids::newUuid();
    QVERIFY(
        db::exec(db(),
                 QStringLiteral(
                     "INSERT INTO jobs (id, queue, kind, state, attempts, last_error, finished_at, unique_key, created_at) VALUES"
                     " (?::uuid, 'test-queue', 'explode', 'discarded', 3, 'boom', now(), NULL, now() - interval '3 minutes'),"
                     " (?::uuid, 'test-queue', 'work', 'running', 1, NULL, NULL, NULL, now() - interval '2 minutes'),"
                     " (?::uuid, 'test-queue', 'dup', 'discarded', 3, 'boom', now(), 'k1', now() - interval '1 minute'),"
                     " (gen_random_uuid(), 'test-queue', 'dup', 'available', 0, NULL, NULL, 'k1', now())"),
                 {dead, running, clash})
            .ok());

    JobQuery q;
    q.queue = QStringLiteral("test-queue");
    auto all = m_ops->listJobs(m_admin, q);
    QVERIFY2(all, qPrintable(all ? QString() : all.error().message));
    QCOMPARE(all->count, 4);
    q.state = QStringLiteral("discarded");
    q.limit = 1;
    auto page1 = m_ops->listJobs(m_admin, q);
    QVERIFY(page1);
    QCOMPARE(items(*page1).at(0).toObject().value("id").toString(), clash); // newest first
    QVERIFY(page1->hasMore);
    q.cursor = page1->nextCursor;
    auto page2 = m_ops->listJobs(m_admin, q);
    QVERIFY(page2);
    const QJsonObject job = items(*page2).at(0).toObject();
    QCOMPARE(job.value("id").toString(), dead);
    QCOMPARE(job.value("lastError").toString(), QStringLiteral("boom"));
    QCOMPARE(job.value("attempts").toInt(), 3);
    QVERIFY(!page2->hasMore);

    auto retried = m_ops->retryJob(m_admin, dead);
    QVERIFY2(retried, qPrintable(retried ? QString() : retried.error().message));
    QCOMPARE(retried->value("state").toString(), QStringLiteral("available"));
    QCOMPARE(retried->value("attempts").toInt(), 0);
    QVERIFY(retried->value("finishedAt").isNull());
    QCOMPARE(scalar(db(),
                    QStringLiteral("SELECT before->>'lastError' FROM audit_log WHERE action = 'job.retry' AND target_id = ?"),
                    {dead})
                 .toString(),
             QStringLiteral("boom"));

    QCOMPARE(m_ops->retryJob(m_admin, running).error().kind, ErrorKind::Conflict);
    QCOMPARE(m_ops->retryJob(m_admin, dead).error().kind, ErrorKind::Conflict);  // available now
    QCOMPARE(m_ops->retryJob(m_admin, clash).error().kind, ErrorKind::Conflict); // a live job holds its unique key
    QCOMPARE(m_ops->retryJob(m_admin, ids::newUuid()).error().kind, ErrorKind::NotFound);
    QCOMPARE(JobQuery::fromQuery({{"state", "exploded"}}).error().kind, ErrorKind::Validation);
}

void tst_AdminOpsService::auditLogReadsNewestFirstWithFilters()
{
    const QString agent = insertAgent(db(), QStringLiteral("audit_target"));
    for (int i = 1; i <= 5; ++i)
        QVERIFY(m_ops->setRateLimitOverride(m_admin, agent, i * 10));
    AuditQuery q;
    q.targetType = QStringLiteral("agent");
    q.targetId = agent;
    q.limit = 2;
    QList<int> limits;
    for (int guard = 0; guard < 5; ++guard) {
        auto page = m_ops->auditLog(m_admin, q);
        QVERIFY2(page, qPrintable(page ? QString() : page.error().message));
        for (const QJsonValue &row : items(*page)) {
            const QJsonObject o = row.toObject();
            QCOMPARE(o.value("action").toString(), QStringLiteral("agent.rate_limit"));
            QCOMPARE(o.value("actorEmail").toString(), QStringLiteral("ops@example.org"));
            QCOMPARE(o.value("actorType").toString(), QStringLiteral("moderator"));
            QCOMPARE(o.value("ip").toString(), QStringLiteral("127.0.0.1"));
            QVERIFY(o.value("at").toString().endsWith(u'Z'));
            limits << o.value("after").toObject().value("rateLimitOverride").toInt();
        }
        if (!page->hasMore)
            break;
        q.cursor = page->nextCursor;
    }
    QCOMPARE(limits, (QList<int>{50, 40, 30, 20, 10}));

    AuditQuery byActor;
    byActor.actorId = m_moderator.moderatorId;
    byActor.action = QStringLiteral("admin.login");
    auto logins = m_ops->auditLog(m_admin, byActor);
    QVERIFY(logins);
    QCOMPARE(logins->count, 1);
    QCOMPARE(AuditQuery::fromQuery({{"actorType", "robot"}}).error().kind, ErrorKind::Validation);
    AuditQuery tampered;
    tampered.cursor = QStringLiteral("abc.def");
    QCOMPARE(m_ops->auditLog(m_admin, tampered).error().kind, ErrorKind::InvalidCursor);
}

void tst_AdminOpsService::auditLogIsAppendOnly()
{
    QVERIFY(scalar(db(), QStringLiteral("SELECT count(*) FROM audit_log")).toInt() > 0);
    for (const char *sql : {"UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"}) {
        auto r = db::exec(db(), QString::fromLatin1(sql));
        QVERIFY2(!r, sql);
        QCOMPARE(db::sqlState(r.error()), QStringLiteral("42501"));
    }
}

void tst_AdminOpsService::appRoleCannotRewriteAuditLog()
{
    // Migration 0006 creates the NOLOGIN role betterworld_app (the embedded cluster's user may
    // create roles). As that role, even with the trigger disabled, history cannot be rewritten.
    QVERIFY(scalar(db(), QStringLiteral("SELECT count(*) FROM pg_roles WHERE rolname = 'betterworld_app'")).toInt() == 1);
    db::Transaction tx(db());
    QVERIFY(tx.begin_status());
    QVERIFY(db::exec(db(), QStringLiteral("ALTER TABLE audit_log DISABLE TRIGGER USER")).ok());
    QVERIFY(db::exec(db(), QStringLiteral("SET LOCAL ROLE betterworld_app")).ok());
    QVERIFY(db::exec(db(), QStringLiteral("SAVEPOINT s")).ok());
    auto update = db::exec(db(), QStringLiteral("UPDATE audit_log SET action = 'rewritten'"));
    QVERIFY(!update);
    QCOMPARE(db::sqlState(update.error()), QStringLiteral("42501"));
    QVERIFY(update.error().message.contains(QLatin1String("permission denied")));
    QVERIFY(db::exec(db(), QStringLiteral("ROLLBACK TO SAVEPOINT s")).ok());
    auto del = db::exec(db(), QStringLiteral("DELETE FROM audit_log"));
    QVERIFY(!del);
    QCOMPARE(db::sqlState(del.error()), QStringLiteral("42501"));
    QVERIFY(db::exec(db(), QStringLiteral("ROLLBACK TO SAVEPOINT s")).ok());
    // …while everything the application does still works under the role.
    QVERIFY(db::exec(db(), QStringLiteral("INSERT INTO audit_log (actor_type, action) VALUES ('system', 'role.check')")).ok());
    QVERIFY(db::exec(db(), QStringLiteral("SELECT count(*) FROM audit_log")).ok());
    QVERIFY(db::exec(db(), QStringLiteral("UPDATE agents SET reputation_score = reputation_score WHERE id = ?::uuid"), {m_agent})
                .ok());
    QVERIFY(db::exec(db(), QStringLiteral("UPDATE moderators SET failed_logins = failed_logins")).ok());
    QVERIFY(db::exec(db(), QStringLiteral("DELETE FROM admin_sessions WHERE false")).ok());
    QVERIFY(tx.rollback());
}

QTEST_GUILESS_MAIN(tst_AdminOpsService)
#include "tst_adminopsservice.moc"
