// ClaimService against a real PostgreSQL (humans.md §3): the claim rules and their error codes, the
// deadline formula, abandoning frees the slot, the expiry job, the human's own list, and the race
// for the last slot — many threads, each on its own connection, exactly one winner.

#include "humanstestdb.h"

#include "server/db/database.h"
#include "server/domain/claimsledger/claimservice.h"
#include "server/domain/missions/missionservice.h"
#include "tests/domain/domaintestdb.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

using namespace bw;
using namespace bw::test;
using bw::domain::ClaimQuery;
using bw::domain::ClaimService;

class tst_ClaimService final : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<ClaimService> m_claims;
    QString m_agent;
    int m_humans = 0;

    QSqlDatabase db() { return m_database->connection(); }
    QString human() { return seedHuman(db(), QStringLiteral("human%1").arg(++m_humans)); }
    int claimCount(const QString &missionId)
    {
        return scalar(db(), QStringLiteral("SELECT current_claim_count FROM missions WHERE id = ?::uuid"), {missionId}).toInt();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        const QString name = createDomainDatabase(m_pg);
        QVERIFY(!name.isEmpty());
        m_database = std::make_unique<db::Database>(m_pg.settings(name));
        m_claims = std::make_unique<ClaimService>(*m_database);
        m_agent = seedAgent(db(), {QStringLiteral("mission_author")});
        QVERIFY(!m_agent.isEmpty());
    }
    void cleanupTestCase()
    {
        m_claims.reset();
        if (m_database)
            m_database->releaseThisThread();
    }

    void claimAnOpenMission()
    {
        const QString h = human(), mission = seedMission(db(), m_agent, {.maxClaims = 2});
        auto r = m_claims->claim(h, mission);
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        QCOMPARE(r->status, QStringLiteral("active"));
        QCOMPARE(r->missionId, mission);
        QVERIFY(r->deadlineAt.endsWith(u'Z'));
        QCOMPARE(claimCount(mission), 1);
        const QJsonObject json = r->toJson();
        QCOMPARE(json.value("claimId").toString(), r->claimId);

        auto again = m_claims->claim(h, mission);
        QVERIFY(!again);
        QCOMPARE(again.error().code(), QStringLiteral("ALREADY_CLAIMED"));
        QCOMPARE(again.error().status(), 409);
        QCOMPARE(claimCount(mission), 1);
    }

    void onlyApprovedOpenUnexpiredMissions_data()
    {
        QTest::addColumn<QString>("guardrail");
        QTest::addColumn<QString>("status");
        QTest::addColumn<QString>("expiresIn");
        QTest::addColumn<int>("httpStatus");
        QTest::newRow("pending review") << "pending"
                                        << "open"
                                        << "30 days" << 404;
        QTest::newRow("rejected") << "rejected"
                                  << "open"
                                  << "30 days" << 404;
        QTest::newRow("archived") << "approved"
                                  << "archived"
                                  << "30 days" << 409;
        QTest::newRow("expired status") << "approved"
                                        << "expired"
                                        << "30 days" << 409;
        QTest::newRow("past its expiry") << "approved"
                                         << "open"
                                         << "-1 minute" << 409;
    }
    void onlyApprovedOpenUnexpiredMissions()
    {
        QFETCH(QString, guardrail);
        QFETCH(QString, status);
        QFETCH(QString, expiresIn);
        QFETCH(int, httpStatus);
        const QString mission =
            seedMission(db(), m_agent, {.expiresIn = expiresIn, .guardrailStatus = guardrail, .status = status});
        auto r = m_claims->claim(human(), mission);
        QVERIFY(!r);
        QCOMPARE(r.error().status(), httpStatus);
        QCOMPARE(claimCount(mission), 0);
    }

    void unknownIds()
    {
        const QString mission = seedMission(db(), m_agent);
        QCOMPARE(m_claims->claim(human(), ids::newUuid()).error().kind, ErrorKind::NotFound);
        QCOMPARE(m_claims->claim(human(), QStringLiteral("not-a-uuid")).error().kind, ErrorKind::NotFound);
        QCOMPARE(m_claims->claim(ids::newUuid(), mission).error().kind, ErrorKind::NotFound);
    }

    void missionFull()
    {
        const QString mission = seedMission(db(), m_agent, {.maxClaims = 2});
        QVERIFY(m_claims->claim(human(), mission));
        QVERIFY(m_claims->claim(human(), mission));
        auto third = m_claims->claim(human(), mission);
        QVERIFY(!third);
        QCOMPARE(third.error().code(), QStringLiteral("MISSION_FULL"));
        QCOMPARE(third.error().status(), 409);
        QCOMPARE(claimCount(mission), 2);
    }

    void atMostThreeActiveClaimsPerHuman()
    {
        const QString h = human();
        for (int i = 0; i < ClaimService::kMaxActiveClaimsPerHuman; ++i)
            QVERIFY(m_claims->claim(h, seedMission(db(), m_agent)));
        const QString fourth = seedMission(db(), m_agent);
        auto r = m_claims->claim(h, fourth);
        QVERIFY(!r);
        QCOMPARE(r.error().code(), QStringLiteral("CLAIM_LIMIT_REACHED"));
        QCOMPARE(r.error().status(), 409);
        QCOMPARE(claimCount(fourth), 0);
        // A submitted claim is no longer "active": it does not count against the three.
        QVERIFY(execSql(db(),
                        QStringLiteral("UPDATE mission_claims SET status = 'submitted', submitted_at = now()"
                                       " WHERE id = (SELECT id FROM mission_claims WHERE human_id = ?::uuid LIMIT 1)"),
                        {h}));
        QVERIFY(m_claims->claim(h, fourth));
    }

    void deadlineFormula_data()
    {
        QTest::addColumn<int>("durationMinutes");
        QTest::addColumn<QString>("expiresIn");
        QTest::addColumn<int>("expectedHours");
        QTest::newRow("short mission: 24 h floor") << 60 << "30 days" << 24;
        QTest::newRow("8 h mission × 3") << 480 << "30 days" << 24;
        QTest::newRow("1 day mission × 3") << 1440 << "30 days" << 72;
        QTest::newRow("one week mission × 3") << 10080 << "60 days" << 21 * 24;
        QTest::newRow("capped at the mission's expiry") << 1440 << "10 hours" << 10;
    }
    void deadlineFormula()
    {
        QFETCH(int, durationMinutes);
        QFETCH(QString, expiresIn);
        QFETCH(int, expectedHours);
        const QString mission = seedMission(db(), m_agent, {.durationMinutes = durationMinutes, .expiresIn = expiresIn});
        auto r = m_claims->claim(human(), mission);
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        // claimed_at and the deadline's now() are the same transaction time: the difference is exact
        // (the mission's expiry was set a moment earlier, so allow that moment).
        const double seconds = scalar(db(),
                                      QStringLiteral("SELECT extract(epoch FROM deadline_at - claimed_at)::float8"
                                                     " FROM mission_claims WHERE id = ?::uuid"),
                                      {r->claimId})
                                   .toDouble();
        QVERIFY2(qAbs(seconds - expectedHours * 3600.0) < 5.0, qPrintable(QString::number(seconds)));
        const QDateTime deadline = QDateTime::fromString(r->deadlineAt, Qt::ISODateWithMs);
        QVERIFY(deadline.isValid());
    }

    void abandonFreesTheSlot()
    {
        const QString alice = human(), bob = human(), mission = seedMission(db(), m_agent, {.maxClaims = 1});
        auto claimed = m_claims->claim(alice, mission);
        QVERIFY(claimed);
        QCOMPARE(m_claims->claim(bob, mission).error().kind, ErrorKind::MissionFull);

        // Someone else's claim, or the wrong mission in the path: not found.
        QCOMPARE(m_claims->abandon(bob, claimed->claimId).error().kind, ErrorKind::NotFound);
        QCOMPARE(m_claims->abandon(alice, claimed->claimId, seedMission(db(), m_agent)).error().kind, ErrorKind::NotFound);

        auto abandoned = m_claims->abandon(alice, claimed->claimId, mission, QStringLiteral("Rain all week"));
        QVERIFY2(abandoned, qPrintable(abandoned ? QString() : abandoned.error().message));
        QCOMPARE(abandoned->value("status").toString(), QStringLiteral("abandoned"));
        QCOMPARE(abandoned->value("reason").toString(), QStringLiteral("Rain all week"));
        QVERIFY(!abandoned->value("closedAt").toString().isEmpty());
        QCOMPARE(claimCount(mission), 0);

        auto twice = m_claims->abandon(alice, claimed->claimId);
        QVERIFY(!twice);
        QCOMPARE(twice.error().kind, ErrorKind::Conflict);
        QCOMPARE(claimCount(mission), 0);

        QVERIFY(m_claims->claim(bob, mission));
        // Abandoned: Alice may try again once a slot is free.
        QCOMPARE(m_claims->claim(alice, mission).error().kind, ErrorKind::MissionFull);
    }

    void expiryJobExpiresOverdueClaims()
    {
        const QString alice = human(), bob = human(), mission = seedMission(db(), m_agent, {.maxClaims = 2});
        auto overdue = m_claims->claim(alice, mission);
        auto onTime = m_claims->claim(bob, mission);
        QVERIFY(overdue && onTime);
        QCOMPARE(claimCount(mission), 2);
        QVERIFY(execSql(db(),
                        QStringLiteral("UPDATE mission_claims SET deadline_at = now() - interval '1 minute' WHERE id = ?::uuid"),
                        {overdue->claimId}));

        auto expired = m_claims->expireOverdue(1); // batches of one: the loop runs until nothing is left
        QVERIFY2(expired, qPrintable(expired ? QString() : expired.error().message));
        QCOMPARE(*expired, 1);
        QCOMPARE(
            scalar(db(), QStringLiteral("SELECT status FROM mission_claims WHERE id = ?::uuid"), {overdue->claimId}).toString(),
            QStringLiteral("expired"));
        QCOMPARE(
            scalar(db(), QStringLiteral("SELECT status FROM mission_claims WHERE id = ?::uuid"), {onTime->claimId}).toString(),
            QStringLiteral("active"));
        QCOMPARE(claimCount(mission), 1);
        QCOMPARE(*m_claims->expireOverdue(), 0);
        QVERIFY(m_claims->claim(human(), mission)); // the freed slot
    }

    void listMineFiltersAndPages()
    {
        const QString h = human();
        QStringList claimIds;
        for (int i = 0; i < 3; ++i) {
            auto r = m_claims->claim(h, seedMission(db(), m_agent));
            QVERIFY(r);
            claimIds << r->claimId;
        }
        QVERIFY(m_claims->abandon(h, claimIds.first()));

        auto all = ClaimQuery::fromQuery({{QStringLiteral("limit"), QStringLiteral("2")}});
        QVERIFY(all);
        auto first = m_claims->listMine(h, *all);
        QVERIFY2(first, qPrintable(first ? QString() : first.error().message));
        QCOMPARE(first->count, 2);
        QVERIFY(first->hasMore);
        const QJsonArray items = QJsonDocument::fromJson(first->itemsJson).array();
        QCOMPARE(items.at(0).toObject().value("claimId").toString(), claimIds.at(2)); // newest first
        QCOMPARE(items.at(0).toObject().value("mission").toObject().value("tokenReward").toInt(), 25);
        all->cursor = first->nextCursor;
        auto second = m_claims->listMine(h, *all);
        QVERIFY(second);
        QCOMPARE(second->count, 1);
        QVERIFY(!second->hasMore);

        auto abandonedOnly = ClaimQuery::fromQuery({{QStringLiteral("status"), QStringLiteral("abandoned")}});
        QVERIFY(abandonedOnly);
        auto abandoned = m_claims->listMine(h, *abandonedOnly);
        QVERIFY(abandoned);
        QCOMPARE(abandoned->count, 1);
        QVERIFY(!ClaimQuery::fromQuery({{QStringLiteral("status"), QStringLiteral("won")}}));
        auto tampered = *all;
        tampered.cursor = QStringLiteral("garbage");
        QCOMPARE(m_claims->listMine(h, tampered).error().kind, ErrorKind::InvalidCursor);
        // Nobody else's claims.
        auto other = m_claims->listMine(human(), ClaimQuery{});
        QVERIFY(other);
        QCOMPARE(other->count, 0);
    }

    void agentsSeeTheCountNotTheClaimers()
    {
        const QString h = human(), mission = seedMission(db(), m_agent, {.maxClaims = 3});
        QVERIFY(m_claims->claim(h, mission));
        domain::MissionService missions(*m_database);
        auto owner = missions.get(mission, domain::Caller{m_agent, QStringLiteral("mission_author"), QStringLiteral("verified")});
        QVERIFY(owner);
        const QJsonObject json = QJsonDocument::fromJson(*owner).object();
        QCOMPARE(json.value("currentClaimCount").toInt(), 1);
        QVERIFY2(!owner->contains(h.toLatin1()), owner->constData());
    }

    void lastSlotRace()
    {
        // 20 humans, each on a connection of their own, released together at a barrier.
        constexpr int kContenders = 20;
        for (int maxClaims : {1, 3}) {
            const QString mission = seedMission(db(), m_agent, {.maxClaims = maxClaims});
            QStringList contenders;
            for (int i = 0; i < kContenders; ++i)
                contenders << human();
            std::barrier start(kContenders);
            std::atomic_int wins{0}, full{0}, other{0};
            std::vector<std::thread> threads;
            for (int i = 0; i < kContenders; ++i) {
                threads.emplace_back([&, id = contenders.at(i)] {
                    m_database->connection(); // connect before the barrier: the race is the claim
                    start.arrive_and_wait();
                    auto r = m_claims->claim(id, mission);
                    if (r)
                        ++wins;
                    else if (r.error().kind == ErrorKind::MissionFull)
                        ++full;
                    else
                        ++other;
                    m_database->releaseThisThread();
                });
            }
            for (auto &t : threads)
                t.join();
            QCOMPARE(wins.load(), maxClaims);
            QCOMPARE(full.load(), kContenders - maxClaims);
            QCOMPARE(other.load(), 0);
            QCOMPARE(claimCount(mission), maxClaims);
            QCOMPARE(
                scalar(db(), QStringLiteral("SELECT count(*) FROM mission_claims WHERE mission_id = ?::uuid"), {mission}).toInt(),
                maxClaims);
        }
    }
};

QTEST_GUILESS_MAIN(tst_ClaimService)
#include "tst_claimservice.moc"
