// ProblemService against a real PostgreSQL: atomic create (problem + evaluation + job), list
// visibility, keyset pagination under concurrent inserts, cursors, sorts, index use, get visibility.

#include "tests/domain/domaintestdb.h"

#include "server/core/ids.h"
#include "server/db/sqltext.h"
#include "server/domain/accounts/agentservice.h"
#include "server/domain/content/problemlistsql.h"
#include "server/domain/content/problemservice.h"
#include "tests/support/testdb.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <memory>

using namespace bw;
using namespace bw::domain;

namespace {
const QRegularExpression kIsoUtc(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"));

QJsonObject problemBody(const QString &title, const QString &domain = "clean_water_sanitation")
{
    return QJsonObject{{"title", title},
                       {"description", "A description that is comfortably longer than fifty characters, it's true."},
                       {"domain", domain},
                       {"severity", "medium"}};
}

QJsonArray itemsOf(const Page &page)
{
    const QJsonDocument doc = QJsonDocument::fromJson(page.itemsJson);
    return doc.array();
}
} // namespace

class tst_ProblemService final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void createWritesProblemEvaluationAndJob();
    void createIsAtomic();
    void listVisibility();
    void listFilters();
    void paginationWalk_data();
    void paginationWalk();
    void unfilteredWalkHasNoDuplicates();
    void cursorTampering();
    void listJsonMatchesGet();
    void getVisibility();
    void explainUsesIndexes_data();
    void explainUsesIndexes();

private:
    Caller newAgent(const QString &username);
    QString create(const Caller &caller, const QJsonObject &body);
    QStringList seed(const QString &agentId, int count, const QString &domain, const QString &guardrailStatus = "approved");
    int scalar(const QString &sql, const QVariantList &binds = {});
    Page listOrFail(const QMap<QString, QString> &params, const std::optional<Caller> &caller = std::nullopt);

    test::PgFixture m_pg;
    std::unique_ptr<db::Database> m_db;
    std::unique_ptr<AgentService> m_agents;
    std::unique_ptr<ProblemService> m_problems;
    Caller m_alice;
    Caller m_bob;
};

void tst_ProblemService::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = test::createDomainDatabase(m_pg);
    QVERIFY(!name.isEmpty());
    m_db = std::make_unique<db::Database>(m_pg.settings(name));
    m_agents = std::make_unique<AgentService>(*m_db, AgentService::Options{std::chrono::milliseconds(0)});
    m_problems = std::make_unique<ProblemService>(*m_db);
    m_alice = newAgent("alice");
    m_bob = newAgent("bob_the_agent");
    QVERIFY(!m_alice.agentId.isEmpty() && !m_bob.agentId.isEmpty());
}

void tst_ProblemService::cleanupTestCase()
{
    m_problems.reset();
    m_agents.reset();
    if (m_db)
        m_db->releaseThisThread();
    m_db.reset();
}

Caller tst_ProblemService::newAgent(const QString &username)
{
    auto r = m_agents->registerAgent(
        QJsonObject{{"username", username}, {"framework", "custom"}, {"specializations", QJsonArray{"human_rights"}}});
    if (!r)
        return {};
    auto c = m_agents->authenticate(r->value("apiKey").toString());
    return c ? *c : Caller{};
}

QString tst_ProblemService::create(const Caller &caller, const QJsonObject &body)
{
    auto input = ProblemInput::parse(body);
    if (!input) {
        qWarning("invalid test input: %s", QJsonDocument(input.error().details).toJson().constData());
        return {};
    }
    auto r = m_problems->create(caller, *input);
    if (!r) {
        qWarning("create failed: %s", qPrintable(r.error().message));
        return {};
    }
    return r->value("id").toString();
}

QStringList tst_ProblemService::seed(const QString &agentId, int count, const QString &domain, const QString &guardrailStatus)
{
    // Deliberate ties: three rows share each created_at, upvotes/solution_count repeat.
    auto r = db::exec(m_db->connection(),
                      "INSERT INTO problems (reported_by_agent_id, title, description, domain, severity,"
                      " guardrail_status, upvotes, solution_count, status, created_at)"
                      " SELECT ?::uuid, 'Seeded problem ' || i, repeat('d', 60), ?,"
                      " (ARRAY['low','medium','high','critical'])[1 + i % 4], ?, i % 4, i % 3,"
                      " (ARRAY['active','being_addressed'])[1 + i % 2],"
                      " now() - interval '1 hour' - (i / 3) * interval '1 second'"
                      " FROM generate_series(1, ?) AS i RETURNING id::text",
                      {agentId, domain, guardrailStatus, count});
    QStringList ids;
    if (!r) {
        qWarning("seed: %s", qPrintable(r.error().message));
        return ids;
    }
    while (r->next())
        ids << r->value(0).toString();
    return ids;
}

int tst_ProblemService::scalar(const QString &sql, const QVariantList &binds)
{
    const QVariant v = test::scalar(*m_db, sql, binds);
    return v.isValid() ? v.toInt() : -1;
}

Page tst_ProblemService::listOrFail(const QMap<QString, QString> &params, const std::optional<Caller> &caller)
{
    auto q = ProblemQuery::fromQuery(params);
    if (!q) {
        qWarning("query: %s", qPrintable(q.error().message));
        return {};
    }
    auto page = m_problems->list(*q, caller);
    if (!page) {
        qWarning("list: %s %s", qPrintable(page.error().code()), qPrintable(page.error().message));
        return {};
    }
    return *page;
}

void tst_ProblemService::createWritesProblemEvaluationAndJob()
{
    QJsonObject body = problemBody("Flooded wells in the delta");
    body.insert("latitude", 23.8103);
    body.insert("longitude", 90.4125);
    body.insert("geographicScope", "regional");
    body.insert("evidenceLinks", QJsonArray{"https://example.org/report?id=1&x='y'"});
    body.insert("existingSolutions", QJsonArray{QJsonObject{{"name", "chlorine tablets"}}});
    body.insert("selfAudit", QJsonObject{{"aligned", true}, {"domain", "clean_water_sanitation"}});
    auto input = ProblemInput::parse(body);
    QVERIFY(input.ok());
    const int before = scalar("SELECT total_problems_reported FROM agents WHERE id = ?::uuid", {m_alice.agentId});

    auto r = m_problems->create(m_alice, *input);
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    const QString id = r->value("id").toString();
    const QString evaluationId = r->value("guardrailEvaluationId").toString();
    QVERIFY(ids::isUuid(id));
    QVERIFY(ids::isUuid(evaluationId));
    QCOMPARE(r->value("guardrailStatus").toString(), QString("pending"));
    QCOMPARE(r->value("reportedByAgentId").toString(), m_alice.agentId);
    QCOMPARE(r->value("title").toString(), QString("Flooded wells in the delta"));
    QCOMPARE(r->value("latitude").toDouble(), 23.8103);
    QCOMPARE(r->value("longitude").toDouble(), 90.4125);
    QCOMPARE(r->value("evidenceLinks").toArray(), QJsonArray{"https://example.org/report?id=1&x='y'"});
    QCOMPARE(r->value("existingSolutions").toArray().first().toObject().value("name").toString(), QString("chlorine tablets"));
    QCOMPARE(r->value("dataSources").toArray(), QJsonArray{});
    QCOMPARE(r->value("selfAudit").toObject().value("aligned").toBool(), true);
    QCOMPARE(r->value("status").toString(), QString("active"));
    QCOMPARE(r->value("upvotes").toInt(-1), 0);
    QVERIFY(r->value("alignmentScore").isNull());
    QVERIFY(kIsoUtc.match(r->value("createdAt").toString()).hasMatch());

    QCOMPARE(scalar("SELECT count(*) FROM problems WHERE id = ?::uuid AND guardrail_evaluation_id = ?::uuid"
                    " AND guardrail_status = 'pending'",
                    {id, evaluationId}),
             1);
    QCOMPARE(scalar("SELECT count(*) FROM guardrail_evaluations WHERE id = ?::uuid AND content_id = ?::uuid"
                    " AND content_type = 'problem' AND agent_id = ?::uuid AND trust_tier = 'new'"
                    " AND final_decision IS NULL AND submitted_content->>'title' = 'Flooded wells in the delta'"
                    " AND submitted_content->>'severity' = 'medium'",
                    {evaluationId, id, m_alice.agentId}),
             1);
    QCOMPARE(scalar("SELECT count(*) FROM jobs WHERE queue = 'guardrail-evaluation' AND kind = 'evaluate'"
                    " AND state = 'available' AND payload->>'evaluationId' = ?",
                    {evaluationId}),
             1);
    QCOMPARE(scalar("SELECT total_problems_reported FROM agents WHERE id = ?::uuid", {m_alice.agentId}), before + 1);
}

void tst_ProblemService::createIsAtomic()
{
    const auto counts = [this] {
        return QList<int>{scalar("SELECT count(*) FROM problems"), scalar("SELECT count(*) FROM guardrail_evaluations"),
                          scalar("SELECT count(*) FROM jobs"), scalar("SELECT sum(total_problems_reported) FROM agents")};
    };
    const QList<int> before = counts();
    auto input = ProblemInput::parse(problemBody("An agent that does not exist"));
    QVERIFY(input.ok());

    // Fails inside the statement (foreign keys): nothing of it may remain.
    Caller ghost = m_alice;
    ghost.agentId = ids::newUuid();
    auto r = m_problems->create(ghost, *input);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::Unauthorized);
    QCOMPARE(counts(), before);

    // A value PostgreSQL refuses (NUL inside JSON) → 422, and again nothing written.
    QJsonObject body = problemBody("Unstorable characters inside");
    body.insert("dataSources", QJsonArray{QString(QString("nul") + QChar(0) + "inside")});
    input = ProblemInput::parse(body);
    QVERIFY(input.ok());
    r = m_problems->create(m_alice, *input);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().status(), 422);
    QCOMPARE(counts(), before);
}

void tst_ProblemService::listVisibility()
{
    const Caller carol = newAgent("carol");
    QStringList mine;
    for (int i = 0; i < 3; ++i)
        mine << create(carol, problemBody(QString("Carol's problem number %1").arg(i), "elder_care"));
    QVERIFY(!mine.contains(QString()));
    QVERIFY(db::exec(m_db->connection(), "UPDATE problems SET guardrail_status = 'approved' WHERE id = ?::uuid", {mine[0]}));
    QVERIFY(db::exec(m_db->connection(), "UPDATE problems SET guardrail_status = 'rejected' WHERE id = ?::uuid", {mine[1]}));
    seed(m_bob.agentId, 4, "elder_care", "pending");
    seed(m_bob.agentId, 2, "elder_care", "approved");

    const Page pub = listOrFail({{"domain", "elder_care"}, {"limit", "100"}});
    QCOMPARE(pub.count, 3);
    QVERIFY(!pub.hasMore);
    QVERIFY(pub.nextCursor.isEmpty());
    QSet<QString> seen;
    for (const QJsonValue &v : itemsOf(pub)) {
        QCOMPARE(v.toObject().value("guardrailStatus").toString(), QString("approved"));
        seen.insert(v.toObject().value("id").toString());
    }
    QVERIFY(seen.contains(mine[0]) && !seen.contains(mine[1]) && !seen.contains(mine[2]));

    // A caller without mine=true sees the public list too.
    QCOMPARE(listOrFail({{"domain", "elder_care"}}, carol).count, 3);

    const Page own = listOrFail({{"mine", "true"}}, carol);
    QCOMPARE(own.count, 3);
    QSet<QString> ownIds;
    QSet<QString> states;
    for (const QJsonValue &v : itemsOf(own)) {
        ownIds.insert(v.toObject().value("id").toString());
        states.insert(v.toObject().value("guardrailStatus").toString());
    }
    QCOMPARE(ownIds, QSet<QString>(mine.begin(), mine.end()));
    QCOMPARE(states, (QSet<QString>{"approved", "rejected", "pending"}));

    auto q = ProblemQuery::fromQuery({{"mine", "true"}});
    auto anonymous = m_problems->list(*q, std::nullopt);
    QVERIFY(!anonymous.ok());
    QCOMPARE(anonymous.error().kind, ErrorKind::Unauthorized);
    QCOMPARE(anonymous.error().status(), 401);
}

void tst_ProblemService::listFilters()
{
    seed(m_bob.agentId, 40, "gender_equality");
    const Page high = listOrFail({{"domain", "gender_equality"}, {"severity", "high"}, {"limit", "100"}});
    QCOMPARE(high.count, 10);
    for (const QJsonValue &v : itemsOf(high))
        QCOMPARE(v.toObject().value("severity").toString(), QString("high"));
    const Page addressed = listOrFail({{"domain", "gender_equality"}, {"status", "being_addressed"}, {"limit", "100"}});
    QCOMPARE(addressed.count, 20);
    for (const QJsonValue &v : itemsOf(addressed))
        QCOMPARE(v.toObject().value("status").toString(), QString("being_addressed"));
    QCOMPARE(listOrFail({{"domain", "gender_equality"}, {"status", "resolved"}}).count, 0);
    QCOMPARE(listOrFail({{"domain", "gender_equality"}, {"status", "resolved"}}).itemsJson, QByteArray("[]"));
}

void tst_ProblemService::paginationWalk_data()
{
    QTest::addColumn<QString>("sort");
    QTest::addColumn<QString>("domain");
    // clang-format off
    QTest::newRow("recent") << "recent" << "biodiversity_conservation";
    QTest::newRow("upvotes") << "upvotes" << "sustainable_energy";
    QTest::newRow("solutions") << "solutions" << "digital_inclusion";
    // clang-format on
}

void tst_ProblemService::paginationWalk()
{
    QFETCH(QString, sort);
    QFETCH(QString, domain);
    const QStringList initial = seed(m_bob.agentId, 150, domain);
    QCOMPARE(initial.size(), 150);
    const QString key = sort == "upvotes" ? "upvotes" : sort == "solutions" ? "solutionCount" : QString();

    QStringList walked;
    QString cursor;
    QJsonObject previous;
    int pages = 0;
    do {
        QMap<QString, QString> params{{"domain", domain}, {"sort", sort}, {"limit", "7"}};
        if (!cursor.isEmpty())
            params.insert("cursor", cursor);
        const Page page = listOrFail(params);
        const QJsonArray items = itemsOf(page);
        QCOMPARE(items.size(), page.count);
        QVERIFY(page.count <= 7);
        QCOMPARE(page.hasMore, !page.nextCursor.isEmpty());
        for (const QJsonValue &v : items) {
            const QJsonObject o = v.toObject();
            walked << o.value("id").toString();
            // Non-increasing by (key, createdAt); createdAt has ms precision in JSON, so ties allowed.
            if (!previous.isEmpty()) {
                if (!key.isEmpty()) {
                    QVERIFY(o.value(key).toInt() <= previous.value(key).toInt());
                    if (o.value(key).toInt() == previous.value(key).toInt())
                        QVERIFY(o.value("createdAt").toString() <= previous.value("createdAt").toString());
                } else {
                    QVERIFY(o.value("createdAt").toString() <= previous.value("createdAt").toString());
                }
            }
            previous = o;
        }
        cursor = page.nextCursor;
        // Concurrent writers between pages: new rows (newest, and with high and low counters).
        seed(m_alice.agentId, 2, domain);
        QVERIFY(db::exec(m_db->connection(),
                         "INSERT INTO problems (reported_by_agent_id, title, description, domain, severity,"
                         " guardrail_status, upvotes, solution_count) VALUES (?::uuid, 'Concurrent newcomer',"
                         " repeat('x', 60), ?, 'low', 'approved', 99, 99), (?::uuid, 'Concurrent newcomer',"
                         " repeat('x', 60), ?, 'low', 'approved', 0, 0)",
                         {m_alice.agentId, domain, m_alice.agentId, domain}));
        QVERIFY(++pages < 200);
    } while (!cursor.isEmpty());

    const QSet<QString> unique(walked.begin(), walked.end());
    QCOMPARE(unique.size(), walked.size()); // no duplicates
    for (const QString &id : initial)       // no gaps among rows that existed before the walk
        QVERIFY2(unique.contains(id), qPrintable(id));
}

void tst_ProblemService::unfilteredWalkHasNoDuplicates()
{
    const int total = scalar("SELECT count(*) FROM problems WHERE guardrail_status = 'approved'");
    QStringList walked;
    QString cursor;
    do {
        QMap<QString, QString> params{{"limit", "100"}};
        if (!cursor.isEmpty())
            params.insert("cursor", cursor);
        const Page page = listOrFail(params);
        for (const QJsonValue &v : itemsOf(page))
            walked << v.toObject().value("id").toString();
        cursor = page.nextCursor;
    } while (!cursor.isEmpty());
    QCOMPARE(walked.size(), total);
    QCOMPARE(QSet<QString>(walked.begin(), walked.end()).size(), total);
}

void tst_ProblemService::cursorTampering()
{
    seed(m_bob.agentId, 5, "food_security");
    const Page first = listOrFail({{"domain", "food_security"}, {"limit", "2"}});
    QVERIFY(first.hasMore);
    const QString good = first.nextCursor;

    const auto tryCursor = [this](const QString &cursor, const QString &sort) {
        auto q = ProblemQuery::fromQuery({{"domain", "food_security"}, {"limit", "2"}, {"sort", sort}, {"cursor", cursor}});
        return m_problems->list(*q, std::nullopt);
    };
    QVERIFY(tryCursor(good, "recent").ok());

    QString flipped = good;
    flipped[3] = flipped[3] == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
    for (const QString &bad : QStringList{flipped, good.left(good.size() - 1), "abc", "a.b", good + "x"}) {
        auto r = tryCursor(bad, "recent");
        QVERIFY2(!r.ok(), qPrintable(bad));
        QCOMPARE(r.error().kind, ErrorKind::InvalidCursor);
        QCOMPARE(r.error().status(), 400);
        QCOMPARE(r.error().code(), QString("INVALID_CURSOR"));
    }
    // A genuine cursor of another sort order is not a position in this one.
    auto other = tryCursor(good, "upvotes");
    QVERIFY(!other.ok());
    QCOMPARE(other.error().kind, ErrorKind::InvalidCursor);
}

void tst_ProblemService::listJsonMatchesGet()
{
    const QString id = create(m_alice, problemBody("Same JSON from list and get", "mental_health_wellbeing"));
    QVERIFY(db::exec(m_db->connection(),
                     "UPDATE problems SET guardrail_status = 'approved', alignment_score = 0.85"
                     " WHERE id = ?::uuid",
                     {id}));
    const Page page = listOrFail({{"domain", "mental_health_wellbeing"}});
    QCOMPARE(page.count, 1);
    const QJsonObject fromList = itemsOf(page).first().toObject();
    auto fromGet = m_problems->get(id, std::nullopt);
    QVERIFY(fromGet.ok());
    QCOMPARE(fromList, *fromGet);
    QCOMPARE(fromList.value("alignmentScore").toDouble(), 0.85);
    QVERIFY(kIsoUtc.match(fromList.value("updatedAt").toString()).hasMatch());
}

void tst_ProblemService::getVisibility()
{
    const QString pending = create(m_alice, problemBody("Pending problem for visibility"));
    QVERIFY(!pending.isEmpty());

    auto anon = m_problems->get(pending, std::nullopt);
    QVERIFY(!anon.ok());
    QCOMPARE(anon.error().kind, ErrorKind::Forbidden);
    auto other = m_problems->get(pending, m_bob);
    QCOMPARE(other.error().kind, ErrorKind::Forbidden);

    auto owner = m_problems->get(pending, m_alice);
    QVERIFY(owner.ok());
    QCOMPARE(owner->value("guardrailStatus").toString(), QString("pending"));
    QVERIFY(owner->contains("guardrailExplanation"));
    QVERIFY(owner->value("guardrailExplanation").isNull());

    QVERIFY(db::exec(m_db->connection(),
                     "UPDATE guardrail_evaluations SET final_decision = 'flagged',"
                     " layer_a_result = '{\"passed\": true, \"matches\": []}', layer_b_result = '{\"alignmentScore\": 0.5}'"
                     " WHERE content_id = ?::uuid",
                     {pending}));
    QVERIFY(db::exec(m_db->connection(), "UPDATE problems SET guardrail_status = 'flagged' WHERE id = ?::uuid", {pending}));
    owner = m_problems->get(pending, m_alice);
    QVERIFY(owner.ok());
    const QJsonObject explanation = owner->value("guardrailExplanation").toObject();
    QCOMPARE(explanation.value("finalDecision").toString(), QString("flagged"));
    QCOMPARE(explanation.value("layerAResult").toObject().value("passed").toBool(), true);
    QCOMPARE(explanation.value("layerBResult").toObject().value("alignmentScore").toDouble(), 0.5);
    QCOMPARE(m_problems->get(pending, m_bob).error().kind, ErrorKind::Forbidden);

    QVERIFY(db::exec(m_db->connection(), "UPDATE problems SET guardrail_status = 'approved' WHERE id = ?::uuid", {pending}));
    auto pub = m_problems->get(pending, std::nullopt);
    QVERIFY(pub.ok());
    QVERIFY(!pub->contains("guardrailExplanation"));
    QVERIFY(!m_problems->get(pending, m_bob)->contains("guardrailExplanation"));

    for (const QString &bad : {QString("not-a-uuid"), QString("'; DROP TABLE problems; --"), ids::newUuid()}) {
        auto r = m_problems->get(bad, m_alice);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::NotFound);
    }
}

void tst_ProblemService::explainUsesIndexes_data()
{
    QTest::addColumn<QString>("params"); // query string
    QTest::addColumn<bool>("withCursor");
    QTest::addColumn<bool>("mine");
    for (const char *p : {"", "domain=poverty_reduction", "domain=poverty_reduction&severity=high", "status=resolved",
                          "sort=upvotes", "sort=solutions", "sort=upvotes&domain=poverty_reduction", "limit=100"}) {
        QTest::addRow("%s", *p ? p : "default") << QString(p) << false << false;
        QTest::addRow("%s cursor", *p ? p : "default") << QString(p) << true << false;
    }
    QTest::newRow("mine") << "" << false << true;
    QTest::newRow("mine cursor") << "domain=poverty_reduction" << true << true;
}

void tst_ProblemService::explainUsesIndexes()
{
    QFETCH(QString, params);
    QFETCH(bool, withCursor);
    QFETCH(bool, mine);

    static bool seeded = false;
    if (!seeded) {
        // A few thousand rows over several domains, states and agents; then fresh statistics.
        const Caller dave = newAgent("dave_many");
        for (const char *d : {"poverty_reduction", "education_access", "healthcare_improvement", "food_security"}) {
            QCOMPARE(seed(dave.agentId, 1200, d, "approved").size(), 1200);
            QCOMPARE(seed(dave.agentId, 300, d, "pending").size(), 300);
            QCOMPARE(seed(m_bob.agentId, 300, d, "approved").size(), 300);
        }
        // Some resolved rows (~8 %), so the status filter sees a realistic distribution. (A status
        // that matches almost nothing has no index of its own: PostgreSQL may then rightly scan.)
        QVERIFY(db::exec(m_db->connection(), "UPDATE problems SET status = 'resolved'"
                                             " WHERE upvotes = 1 AND solution_count = 2"));
        QVERIFY(db::exec(m_db->connection(), "ANALYZE problems"));
        seeded = true;
    }

    QMap<QString, QString> map;
    for (const QString &pair : params.split('&', Qt::SkipEmptyParts))
        map.insert(pair.section('=', 0, 0), pair.section('=', 1));
    if (mine)
        map.insert("mine", "true");
    auto q = ProblemQuery::fromQuery(map);
    QVERIFY(q.ok());
    std::optional<QJsonObject> position;
    if (withCursor)
        position = QJsonObject{
            {"o", ProblemQuery::sortName(q->sort)}, {"c", "2026-01-01T00:00:00.000000Z"}, {"i", ids::newUuid()}, {"k", 2}};
    const ProblemListSql built = ProblemListSql::build(*q, m_bob.agentId, position);
    auto r = db::exec(m_db->connection(), "EXPLAIN " + db::inlineBinds(built.sql, built.binds));
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    QString plan;
    while (r->next())
        plan += r->value(0).toString() + '\n';
    if (qEnvironmentVariableIsSet("BW_SHOW_PLANS"))
        qInfo("%s", qPrintable(plan));
    QVERIFY2(!plan.contains("Seq Scan on problems"), qPrintable(plan));
    // Rows come out of the index in page order: no sort of the candidate rows of problems p
    // (sorting the ≤ 101 fetched rows by pg.rn afterwards is fine).
    QVERIFY2(!plan.contains("Sort Key: p."), qPrintable(plan));
    QVERIFY2(plan.contains("Index Scan") || plan.contains("Index Only Scan") || plan.contains("Bitmap Index Scan"),
             qPrintable(plan));

    // And the service runs the same statement successfully.
    QVERIFY(m_problems->list(*q, m_bob).ok());
}

QTEST_GUILESS_MAIN(tst_ProblemService)
#include "tst_problemservice.moc"
