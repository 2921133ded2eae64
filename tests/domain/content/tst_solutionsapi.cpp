// Problems PATCH/DELETE, solutions and debates over real HTTP: happy paths, validation families,
// authentication and ownership, visibility of non-approved content, scores and counters, keyset
// pagination while rows are inserted concurrently.
#include "tests/domain/content/contentapi.h"

#include <QSet>
#include <QUrl>

#include <atomic>
#include <thread>

using namespace bw::test;
using namespace bw::test::content;

class tst_SolutionsApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    std::unique_ptr<bw::db::Database> m_db;
    Agent m_alice, m_bob;

    quint16 port() const { return m_server->port(); }

    QString createProblem(const Agent &who, bool approve,
                          const QString &title = QStringLiteral("Flooded school yard every spring"))
    {
        const HttpReply r = call(port(), "POST", "/api/v1/problems", who, problemBody(title));
        if (r.status != 201) {
            qWarning("problem create: %s", qPrintable(describe(r)));
            return {};
        }
        const QString id = dataOf(r).value("id").toString();
        if (approve)
            runSql(*m_db, "UPDATE problems SET guardrail_status = 'approved' WHERE id = ?::uuid", {id});
        return id;
    }
    QString createSolution(const Agent &who, const QString &problemId, bool approve)
    {
        const HttpReply r = call(port(), "POST", "/api/v1/solutions", who, solutionBody(problemId));
        if (r.status != 201) {
            qWarning("solution create: %s", qPrintable(describe(r)));
            return {};
        }
        const QString id = dataOf(r).value("id").toString();
        if (approve)
            runSql(*m_db, "UPDATE solutions SET guardrail_status = 'approved' WHERE id = ?::uuid", {id});
        return id;
    }
    int count(const QString &sql, const QVariantList &binds = {})
    {
        const QVariantList v = runSql(*m_db, sql, binds);
        return v.isEmpty() ? -1 : v.first().toInt();
    }
    static QString debateText(int i)
    {
        return QStringLiteral("Contribution %1: the drainage channel needs a permit from the river authority first.").arg(i);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
        std::tie(m_alice.id, m_alice.key) = m_server->registerAgent(QStringLiteral("content_alice"));
        std::tie(m_bob.id, m_bob.key) = m_server->registerAgent(QStringLiteral("content_bob"));
        QVERIFY(!m_alice.key.isEmpty() && !m_bob.key.isEmpty());
        m_db = std::make_unique<bw::db::Database>(m_pg.settings(m_server->database()));
    }
    void cleanupTestCase()
    {
        if (m_db)
            m_db->releaseThisThread();
        m_db.reset();
        QVERIFY(m_server->stop());
    }

    // ---- problems: PATCH and DELETE ----------------------------------------------------------

    void problemPatchReEvaluates()
    {
        const QString id = createProblem(m_alice, true);
        QVERIFY(!id.isEmpty());
        const QString firstEvaluation =
            runSql(*m_db, "SELECT guardrail_evaluation_id::text FROM problems WHERE id = ?::uuid", {id}).value(0).toString();
        const QString path = "/api/v1/problems/" + id;

        QCOMPARE(call(port(), "PATCH", path, {}, QJsonObject{{"title", "An anonymous edit attempt"}}).status, 401);
        QCOMPARE(call(port(), "PATCH", path, m_bob, QJsonObject{{"title", "Someone else's edit attempt"}}).status, 403);
        QCOMPARE(call(port(), "PATCH", "/api/v1/problems/00000000-0000-4000-8000-00000000dead", m_alice,
                      QJsonObject{{"title", "Editing nothing at all here"}})
                     .status,
                 404);
        QCOMPARE(
            call(port(), "PATCH", "/api/v1/problems/not-a-uuid", m_alice, QJsonObject{{"title", "Editing nothing at all here"}})
                .status,
            404);

        HttpReply r =
            call(port(), "PATCH", path, m_alice, QJsonObject{{"title", "short"}, {"severity", "extreme"}, {"latitude", 12}});
        QCOMPARE(r.status, 422);
        for (const char *f : {"title", "severity", "longitude"})
            QVERIFY2(fieldsOf(r).contains(QLatin1String(f)), qPrintable(describe(r)));
        QCOMPARE(call(port(), "PATCH", path, m_alice, QJsonObject{}).status, 422);

        r = call(port(), "PATCH", path, m_alice,
                 QJsonObject{{"title", "Flooded school yard, now with photos"}, {"locationName", "Valley"}});
        QCOMPARE(r.status, 200);
        const QJsonObject row = dataOf(r);
        QCOMPARE(row.value("title").toString(), QStringLiteral("Flooded school yard, now with photos"));
        QCOMPARE(row.value("locationName").toString(), QStringLiteral("Valley"));
        QCOMPARE(row.value("severity").toString(), QStringLiteral("high")); // untouched
        QCOMPARE(row.value("guardrailStatus").toString(), QStringLiteral("pending"));
        QVERIFY(row.value("guardrailEvaluationId").toString() != firstEvaluation);
        // A new evaluation and job, written with the edit.
        QCOMPARE(
            count("SELECT count(*) FROM guardrail_evaluations WHERE content_id = ?::uuid AND content_type = 'problem'", {id}), 2);
        QCOMPARE(count("SELECT count(*) FROM jobs WHERE queue = 'guardrail-evaluation' AND payload->>'evaluationId' = ?",
                       {row.value("guardrailEvaluationId").toString()}),
                 1);
        QCOMPARE(runSql(*m_db, "SELECT submitted_content->>'title' FROM guardrail_evaluations WHERE id = ?::uuid",
                        {row.value("guardrailEvaluationId").toString()})
                     .value(0)
                     .toString(),
                 QStringLiteral("Flooded school yard, now with photos"));
        // Pending again: hidden from the public until re-approved.
        QCOMPARE(call(port(), "GET", path).status, 403);
        QCOMPARE(call(port(), "GET", path, m_alice).status, 200);
    }

    void problemDelete()
    {
        const QString id = createProblem(m_alice, true);
        const QString solutionId = createSolution(m_bob, id, true);
        QVERIFY(!solutionId.isEmpty());
        const QString path = "/api/v1/problems/" + id;
        QCOMPARE(call(port(), "DELETE", path).status, 401);
        QCOMPARE(call(port(), "DELETE", path, m_bob).status, 403);
        const HttpReply r = call(port(), "DELETE", path, m_alice);
        QCOMPARE(r.status, 200);
        QCOMPARE(dataOf(r).value("deleted").toBool(), true);
        QCOMPARE(call(port(), "GET", path, m_alice).status, 404);
        QCOMPARE(call(port(), "GET", "/api/v1/solutions/" + solutionId, m_bob).status, 404); // cascaded
        QCOMPARE(call(port(), "DELETE", path, m_alice).status, 404);
    }

    // ---- solutions -------------------------------------------------------------------------------

    void solutionCreateRules()
    {
        const QString approved = createProblem(m_alice, true);
        const QString bobsPending = createProblem(m_bob, false);
        const QString archived = createProblem(m_alice, true);
        runSql(*m_db, "UPDATE problems SET status = 'archived' WHERE id = ?::uuid", {archived});

        QCOMPARE(call(port(), "POST", "/api/v1/solutions", {}, solutionBody(approved)).status, 401);
        HttpReply r = call(port(), "POST", "/api/v1/solutions", m_alice, solutionBody("00000000-0000-4000-8000-00000000beef"));
        QCOMPARE(r.status, 404);
        QCOMPARE(call(port(), "POST", "/api/v1/solutions", m_alice, solutionBody(bobsPending)).status, 403);
        r = call(port(), "POST", "/api/v1/solutions", m_alice, solutionBody(archived));
        QCOMPARE(r.status, 409);
        QCOMPARE(codeOf(r), QStringLiteral("CONFLICT"));
        // Validation: every offending field at once.
        QJsonObject bad = solutionBody(approved);
        bad.insert("title", "short");
        bad.insert("approach", "short");
        bad.insert("expectedImpact", QJsonObject{{"metric", "x"}});
        bad.insert("requiredLocations", QJsonArray{1});
        r = call(port(), "POST", "/api/v1/solutions", m_alice, bad);
        QCOMPARE(r.status, 422);
        for (const char *f : {"title", "approach", "expectedImpact.value", "expectedImpact.timeframe", "requiredLocations"})
            QVERIFY2(fieldsOf(r).contains(QLatin1String(f)), qPrintable(describe(r)));
        QCOMPARE(call(port(), "POST", "/api/v1/solutions", m_alice, QJsonObject{}).status, 422);

        // Own pending problem: allowed (the owner sees it).
        QVERIFY(!createSolution(m_bob, bobsPending, false).isEmpty());

        const int before = count("SELECT total_solutions_proposed FROM agents WHERE id = ?::uuid", {m_alice.id});
        r = call(port(), "POST", "/api/v1/solutions", m_alice, solutionBody(approved));
        QCOMPARE(r.status, 201);
        const QJsonObject s = dataOf(r);
        QCOMPARE(s.value("problemId").toString(), approved);
        QCOMPARE(s.value("proposedByAgentId").toString(), m_alice.id);
        QCOMPARE(s.value("guardrailStatus").toString(), QStringLiteral("pending"));
        QCOMPARE(s.value("status").toString(), QStringLiteral("proposed"));
        QCOMPARE(s.value("compositeScore").toDouble(), 0.0);
        QCOMPARE(s.value("expectedImpact").toObject().value("value").toInt(), 20);
        QCOMPARE(s.value("estimatedCost").toObject().value("currency").toString(), QStringLiteral("USD"));
        QCOMPARE(s.value("requiredSkills").toArray().size(), 2);
        QCOMPARE(s.value("agentDebateCount").toInt(), 0);
        QCOMPARE(count("SELECT solution_count FROM problems WHERE id = ?::uuid", {approved}), 1);
        QCOMPARE(count("SELECT total_solutions_proposed FROM agents WHERE id = ?::uuid", {m_alice.id}), before + 1);
        QCOMPARE(count("SELECT count(*) FROM jobs j JOIN guardrail_evaluations e ON e.id::text = j.payload->>'evaluationId'"
                       " WHERE e.content_id = ?::uuid AND e.content_type = 'solution'",
                       {s.value("id").toString()}),
                 1);
    }

    void solutionVisibility()
    {
        const QString problem = createProblem(m_alice, true);
        const QString id = createSolution(m_alice, problem, false);
        const QString path = "/api/v1/solutions/" + id;
        QCOMPARE(call(port(), "GET", path).status, 403);
        QCOMPARE(call(port(), "GET", path, m_bob).status, 403);
        HttpReply r = call(port(), "GET", path, m_alice);
        QCOMPARE(r.status, 200);
        QVERIFY(dataOf(r).contains("guardrailExplanation"));
        QCOMPARE(call(port(), "GET", "/api/v1/solutions/00000000-0000-4000-8000-00000000beef").status, 404);

        auto listed = [&](const Agent &who, const QString &query) {
            const HttpReply l = call(port(), "GET", "/api/v1/solutions?limit=100&problemId=" + problem + query, who);
            for (const auto &v : itemsOf(l)) {
                if (v.toObject().value("id").toString() == id)
                    return true;
            }
            return false;
        };
        QVERIFY(!listed({}, {}));
        QVERIFY(!listed(m_bob, {}));
        QVERIFY(listed(m_alice, "&mine=true"));
        QVERIFY(!listed(m_bob, "&mine=true"));
        QCOMPARE(call(port(), "GET", "/api/v1/solutions?mine=true").status, 401);

        runSql(*m_db, "UPDATE solutions SET guardrail_status = 'approved' WHERE id = ?::uuid", {id});
        QVERIFY(listed({}, {}));
        r = call(port(), "GET", path);
        QCOMPARE(r.status, 200);
        QVERIFY(!dataOf(r).contains("guardrailExplanation"));
    }

    void solutionListParameters_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("field");
        QTest::newRow("limit 0") << "limit=0" << 422 << "limit";
        QTest::newRow("limit 101") << "limit=101" << 422 << "limit";
        QTest::newRow("problemId") << "problemId=nope" << 422 << "problemId";
        QTest::newRow("status") << "status=done" << 422 << "status";
        QTest::newRow("sort") << "sort=random" << 422 << "sort";
        QTest::newRow("mine") << "mine=maybe" << 422 << "mine";
        QTest::newRow("cursor") << "cursor=garbage" << 400 << "";
        QTest::newRow("votes alias") << "sort=votes" << 200 << "";
    }
    void solutionListParameters()
    {
        QFETCH(QString, query);
        QFETCH(int, status);
        QFETCH(QString, field);
        const HttpReply r = call(port(), "GET", "/api/v1/solutions?" + query);
        QCOMPARE(r.status, status);
        if (status == 422)
            QVERIFY(fieldsOf(r).contains(field));
        if (status == 400)
            QCOMPARE(codeOf(r), QStringLiteral("INVALID_CURSOR"));
    }

    void solutionScores()
    {
        const QString problem = createProblem(m_alice, true);
        QStringList ids;
        const QList<QList<int>> scores{{80, 70, 60}, {100, 100, 100}, {10, 20, 30}};
        for (const auto &s : scores) {
            const QString id = createSolution(m_bob, problem, true);
            ids << id;
            runSql(*m_db,
                   "UPDATE solutions SET impact_score = ?, feasibility_score = ?, cost_efficiency_score = ?,"
                   " composite_score = 1 WHERE id = ?::uuid",
                   {s[0], s[1], s[2], id});
        }
        // composite = 0.40·impact + 0.35·feasibility + 0.25·cost-efficiency, whatever the writer set.
        HttpReply r = call(port(), "GET", "/api/v1/solutions/" + ids[0]);
        QCOMPARE(dataOf(r).value("compositeScore").toDouble(), 71.5);
        QCOMPARE(dataOf(r).value("impactScore").toDouble(), 80.0);
        r = call(port(), "GET", "/api/v1/solutions?sort=score&limit=3&problemId=" + problem);
        QCOMPARE(r.status, 200);
        QStringList order;
        for (const auto &v : itemsOf(r))
            order << v.toObject().value("id").toString();
        QCOMPARE(order, (QStringList{ids[1], ids[0], ids[2]}));
        // Keyset cursor on the score sort.
        r = call(port(), "GET", "/api/v1/solutions?sort=score&limit=2&problemId=" + problem);
        QVERIFY(metaOf(r).value("hasMore").toBool());
        r = call(port(), "GET",
                 "/api/v1/solutions?sort=score&limit=2&problemId=" + problem
                     + "&cursor=" + enc(metaOf(r).value("nextCursor").toString()));
        QCOMPARE(itemsOf(r).size(), 1);
        QCOMPARE(itemsOf(r).at(0).toObject().value("id").toString(), ids[2]);
        // A cursor of another sort is refused.
        const QString recentCursor = metaOf(call(port(), "GET", "/api/v1/solutions?limit=1")).value("nextCursor").toString();
        QCOMPARE(call(port(), "GET", "/api/v1/solutions?sort=score&cursor=" + enc(recentCursor)).status, 400);

        // An edit resets the scores and the review.
        r = call(port(), "PATCH", "/api/v1/solutions/" + ids[0], m_bob, QJsonObject{{"timelineEstimate", "8 months"}});
        QCOMPARE(r.status, 200);
        QCOMPARE(dataOf(r).value("compositeScore").toDouble(), 0.0);
        QCOMPARE(dataOf(r).value("impactScore").toDouble(), 0.0);
        QCOMPARE(dataOf(r).value("guardrailStatus").toString(), QStringLiteral("pending"));
        QCOMPARE(dataOf(r).value("timelineEstimate").toString(), QStringLiteral("8 months"));
    }

    void solutionPatchAndDelete()
    {
        const QString problem = createProblem(m_alice, true);
        const QString id = createSolution(m_bob, problem, true);
        const QString path = "/api/v1/solutions/" + id;
        QCOMPARE(call(port(), "PATCH", path, {}, QJsonObject{{"timelineEstimate", "1 year"}}).status, 401);
        QCOMPARE(call(port(), "PATCH", path, m_alice, QJsonObject{{"timelineEstimate", "1 year"}}).status, 403);
        QCOMPARE(call(port(), "PATCH", "/api/v1/solutions/00000000-0000-4000-8000-00000000beef", m_bob,
                      QJsonObject{{"timelineEstimate", "1 year"}})
                     .status,
                 404);
        HttpReply r = call(port(), "PATCH", path, m_bob,
                           QJsonObject{{"approach", "short"}, {"estimatedCost", QJsonObject{{"amount", "a lot"}}}});
        QCOMPARE(r.status, 422);
        QVERIFY(fieldsOf(r).contains("approach") && fieldsOf(r).contains("estimatedCost.amount"));
        r = call(port(), "PATCH", path, m_bob, QJsonObject{{"estimatedCost", QJsonValue::Null}});
        QCOMPARE(r.status, 200);
        QVERIFY(dataOf(r).value("estimatedCost").isNull());

        // A live mission blocks the delete; an archived one does not.
        runSql(*m_db, "UPDATE solutions SET guardrail_status = 'approved' WHERE id = ?::uuid", {id});
        r = call(port(), "POST", "/api/v1/missions", m_bob, missionBody(id, 1, 2));
        QCOMPARE(r.status, 201);
        const QString mission = dataOf(r).value("id").toString();
        QCOMPARE(call(port(), "DELETE", path, m_bob).status, 409);
        QCOMPARE(call(port(), "DELETE", "/api/v1/problems/" + problem, m_alice).status, 409);
        QCOMPARE(call(port(), "DELETE", "/api/v1/missions/" + mission, m_bob).status, 200);

        QCOMPARE(call(port(), "DELETE", path, m_alice).status, 403);
        QCOMPARE(count("SELECT solution_count FROM problems WHERE id = ?::uuid", {problem}), 1);
        r = call(port(), "DELETE", path, m_bob);
        QCOMPARE(r.status, 200);
        QCOMPARE(dataOf(r).value("deleted").toBool(), true);
        QCOMPARE(call(port(), "GET", path, m_bob).status, 404);
        QCOMPARE(count("SELECT solution_count FROM problems WHERE id = ?::uuid", {problem}), 0);
        QCOMPARE(count("SELECT count(*) FROM missions WHERE id = ?::uuid AND solution_id IS NULL", {mission}), 1);

        // Archived problem: edits are refused.
        const QString other = createSolution(m_bob, problem, true);
        runSql(*m_db, "UPDATE problems SET status = 'archived' WHERE id = ?::uuid", {problem});
        QCOMPARE(call(port(), "PATCH", "/api/v1/solutions/" + other, m_bob, QJsonObject{{"timelineEstimate", "2 years"}}).status,
                 409);
    }

    void paginationWhileInserting()
    {
        // 45 approved solutions on one problem; while we page through them 10 at a time, another
        // connection keeps inserting approved ones. Keyset order (created_at, id): every original
        // row exactly once, no duplicates at all.
        const QString problem = createProblem(m_alice, true);
        runSql(
            *m_db,
            "INSERT INTO solutions (problem_id, proposed_by_agent_id, title, description, approach, guardrail_status, created_at)"
            " SELECT ?::uuid, ?::uuid, 'Seeded ' || g, 'd', 'a', 'approved', now() - g * interval '1 minute'"
            " FROM generate_series(1, 45) g",
            {problem, m_alice.id});
        QSet<QString> original;
        for (const QVariant &v : runSql(*m_db, "SELECT id::text FROM solutions WHERE problem_id = ?::uuid", {problem}))
            original.insert(v.toString());
        QCOMPARE(original.size(), 45);

        std::atomic_bool stop{false};
        std::atomic_int inserted{0};
        const auto settings = m_pg.settings(m_server->database());
        std::thread writer([&] {
            bw::db::Database db(settings);
            while (!stop) {
                runSql(db,
                       "INSERT INTO solutions (problem_id, proposed_by_agent_id, title, description, approach, guardrail_status)"
                       " VALUES (?::uuid, ?::uuid, 'Concurrent', 'd', 'a', 'approved')",
                       {problem, m_alice.id});
                ++inserted;
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            db.releaseThisThread();
        });
        QSet<QString> seen;
        QString cursor;
        int pages = 0;
        bool ok = true;
        for (;;) {
            QString target = "/api/v1/solutions?limit=10&problemId=" + problem;
            if (!cursor.isEmpty())
                target += "&cursor=" + enc(cursor);
            const HttpReply r = call(port(), "GET", target);
            if (r.status != 200) {
                ok = false;
                break;
            }
            for (const auto &v : itemsOf(r)) {
                const QString id = v.toObject().value("id").toString();
                if (seen.contains(id))
                    ok = false;
                seen.insert(id);
            }
            ++pages;
            if (!metaOf(r).value("hasMore").toBool())
                break;
            cursor = metaOf(r).value("nextCursor").toString();
            QTest::qWait(20);
        }
        stop = true;
        writer.join();
        QVERIFY2(ok, "a page failed or repeated a row");
        QVERIFY(inserted > 0);
        QVERIFY2(seen.contains(original), "a row that existed from the start was skipped");
        QVERIFY(pages >= 5);
    }

    // ---- debates -----------------------------------------------------------------------------------

    void debateRules()
    {
        const QString problem = createProblem(m_alice, true);
        const QString pendingSolution = createSolution(m_alice, problem, false);
        const QString solution = createSolution(m_alice, problem, true);
        const QString path = "/api/v1/solutions/" + solution + "/debates";
        const QJsonObject body{{"stance", "support"}, {"content", debateText(0)}};

        QCOMPARE(call(port(), "POST", path, {}, body).status, 401);
        QCOMPARE(call(port(), "POST", "/api/v1/solutions/00000000-0000-4000-8000-00000000beef/debates", m_bob, body).status, 404);
        QCOMPARE(call(port(), "POST", "/api/v1/solutions/" + pendingSolution + "/debates", m_bob, body).status, 403);
        QCOMPARE(call(port(), "GET", "/api/v1/solutions/" + pendingSolution + "/debates").status, 403);
        QCOMPARE(call(port(), "GET", "/api/v1/solutions/" + pendingSolution + "/debates", m_alice).status, 200);
        HttpReply r = call(port(), "POST", path, m_bob,
                           QJsonObject{{"stance", "agree"}, {"content", "too short"}, {"evidenceLinks", QJsonArray{"nope"}}});
        QCOMPARE(r.status, 422);
        for (const char *f : {"stance", "content", "evidenceLinks"})
            QVERIFY2(fieldsOf(r).contains(QLatin1String(f)), qPrintable(describe(r)));

        // The first debate moves the solution to debating and counts.
        r = call(port(), "POST", path, m_bob, body);
        QCOMPARE(r.status, 201);
        QJsonObject first = dataOf(r);
        QCOMPARE(first.value("guardrailStatus").toString(), QStringLiteral("pending"));
        QCOMPARE(first.value("depth").toInt(), 1);
        QCOMPARE(first.value("agent").toObject().value("username").toString(), QStringLiteral("content_bob"));
        QVERIFY(!first.value("guardrailEvaluationId").toString().isEmpty());
        QCOMPARE(runSql(*m_db, "SELECT status FROM solutions WHERE id = ?::uuid", {solution}).value(0).toString(),
                 QStringLiteral("debating"));
        QCOMPARE(count("SELECT agent_debate_count FROM solutions WHERE id = ?::uuid", {solution}), 1);
        QCOMPARE(count("SELECT count(*) FROM jobs WHERE payload->>'evaluationId' = ?",
                       {first.value("guardrailEvaluationId").toString()}),
                 1);

        // Replies down to depth 5; a sixth level is refused.
        QString parent = first.value("id").toString();
        for (int depth = 2; depth <= 5; ++depth) {
            r = call(port(), "POST", path, depth % 2 ? m_bob : m_alice,
                     QJsonObject{{"stance", "question"}, {"content", debateText(depth)}, {"parentDebateId", parent}});
            QCOMPARE(r.status, 201);
            QCOMPARE(dataOf(r).value("depth").toInt(), depth);
            QCOMPARE(dataOf(r).value("parentDebateId").toString(), parent);
            parent = dataOf(r).value("id").toString();
        }
        r = call(port(), "POST", path, m_bob,
                 QJsonObject{{"stance", "oppose"}, {"content", debateText(6)}, {"parentDebateId", parent}});
        QCOMPARE(r.status, 422);
        QVERIFY(fieldsOf(r).contains("parentDebateId"));
        r = call(port(), "POST", path, m_bob,
                 QJsonObject{{"stance", "oppose"},
                             {"content", debateText(7)},
                             {"parentDebateId", "00000000-0000-4000-8000-00000000beef"}});
        QCOMPARE(r.status, 422);
        QVERIFY(fieldsOf(r).contains("parentDebateId"));
        // A parent on another solution.
        const QString otherSolution = createSolution(m_alice, problem, true);
        r = call(port(), "POST", "/api/v1/solutions/" + otherSolution + "/debates", m_bob,
                 QJsonObject{{"stance", "modify"}, {"content", debateText(8)}, {"parentDebateId", first.value("id").toString()}});
        QCOMPARE(r.status, 422);
        QCOMPARE(count("SELECT agent_debate_count FROM solutions WHERE id = ?::uuid", {solution}), 5);
    }

    void debateListVisibility()
    {
        const QString problem = createProblem(m_alice, true);
        const QString solution = createSolution(m_alice, problem, true);
        const QString path = "/api/v1/solutions/" + solution + "/debates";
        QStringList bobs, alices;
        for (int i = 0; i < 3; ++i)
            bobs << dataOf(call(port(), "POST", path, m_bob, QJsonObject{{"stance", "support"}, {"content", debateText(i)}}))
                        .value("id")
                        .toString();
        for (int i = 0; i < 2; ++i)
            alices << dataOf(call(port(), "POST", path, m_alice, QJsonObject{{"stance", "question"}, {"content", debateText(i)}}))
                          .value("id")
                          .toString();
        runSql(*m_db, "UPDATE debates SET guardrail_status = 'approved' WHERE id = ?::uuid", {bobs[0]});

        auto ids = [&](const Agent &who, const QString &query = {}) {
            QStringList out;
            const HttpReply r = call(port(), "GET", path + "?limit=100" + query, who);
            for (const auto &v : itemsOf(r))
                out << v.toObject().value("id").toString();
            return out;
        };
        QCOMPARE(ids({}), QStringList{bobs[0]}); // public: approved only
        QCOMPARE(ids(m_bob).size(), 3);          // bob: approved + his own pending
        QCOMPARE(ids(m_alice).size(), 3);        // alice: bob's approved + her 2 pending
        QCOMPARE(ids(m_alice, "&stance=question").size(), 2);
        QCOMPARE(call(port(), "GET", path + "?stance=agree").status, 422);
        const HttpReply r = call(port(), "GET", path + "?limit=1", m_bob);
        QCOMPARE(itemsOf(r).size(), 1);
        QVERIFY(metaOf(r).value("hasMore").toBool());
        const QJsonObject item = itemsOf(r).at(0).toObject();
        QCOMPARE(item.value("agent").toObject().value("id").toString(), m_bob.id);
        // Newest first, and the cursor continues where the page ended.
        const HttpReply next =
            call(port(), "GET", path + "?limit=100&cursor=" + enc(metaOf(r).value("nextCursor").toString()), m_bob);
        QCOMPARE(itemsOf(next).size(), 2);
        QVERIFY(!QStringList({itemsOf(next).at(0).toObject().value("id").toString(),
                              itemsOf(next).at(1).toObject().value("id").toString()})
                     .contains(item.value("id").toString()));
    }
};

QTEST_GUILESS_MAIN(tst_SolutionsApi)
#include "tst_solutionsapi.moc"
