// ReviewService against a real PostgreSQL: the queue (order, age, filters, keyset pages), detail,
// claims (racing moderators, renewal, lease expiry), release, review (claimant only, notes,
// already decided, publishing the content in one transaction) and the audit trail of each action.

#include "moderationtestdb.h"

#include "server/moderation/adminauthservice.h"
#include "server/moderation/reviewservice.h"
#include "tests/support/pgfixture.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QTest>

#include <atomic>
#include <barrier>
#include <mutex>
#include <thread>

using namespace bw;
using namespace bw::moderation;
using namespace bw::test;

namespace {
ReviewDecision decision(const QString &d, const QString &notes = QStringLiteral("Checked the sources; fine."))
{
    return ReviewDecision{d, notes};
}
} // namespace

class tst_ReviewService final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void listOldestFirstWithAge();
    void listFiltersAndPages();
    void listRejectsBadInput_data();
    void listRejectsBadInput();
    void detailHasEverythingNeeded();
    void racingClaimsOneWins();
    void claimRenewsOwnLease();
    void leaseExpiryLetsAnotherClaim();
    void reviewByNonClaimantIsForbidden();
    void approvalPublishesTheContent();
    void rejectionKeepsItPrivate();
    void decidedItemIs409();
    void reviewValidatesNotes_data();
    void reviewValidatesNotes();
    void releaseRules();
    void editedContentIsNotPublished();
    void auditRowsForEveryAction();
    void bulkReview();
    void statsAndRoles();
    void queueStaysFastWith100kItems();

private:
    QSqlDatabase db() { return m_database->connection(); }
    PgFixture m_pg;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<AdminAuthService> m_auth;
    std::unique_ptr<ReviewService> m_reviews;
    AdminCaller m_alice; // moderator
    AdminCaller m_bob;   // moderator
    AdminCaller m_root;  // admin
    QString m_agent;
};

void tst_ReviewService::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<db::Database>(m_pg.settings(name));
    QVERIFY(ensureFlaggedContent(db()));
    m_auth = std::make_unique<AdminAuthService>(*m_database);
    m_reviews = std::make_unique<ReviewService>(*m_database);
    auto alice = makeAdmin(*m_auth, QStringLiteral("alice@example.org"), QStringLiteral("moderator"));
    auto bob = makeAdmin(*m_auth, QStringLiteral("bob@example.org"), QStringLiteral("moderator"));
    auto root = makeAdmin(*m_auth, QStringLiteral("root@example.org"), QStringLiteral("admin"));
    QVERIFY(alice && bob && root);
    m_alice = *alice;
    m_bob = *bob;
    m_root = *root;
    m_agent = insertAgent(db(), QStringLiteral("flaggy_agent"));
    QVERIFY(!m_agent.isEmpty());
}

void tst_ReviewService::cleanupTestCase()
{
    m_reviews.reset();
    m_auth.reset();
    if (m_database)
        m_database->releaseThisThread();
    m_database.reset();
}

void tst_ReviewService::init()
{
    // Each test starts from an empty queue (the audit log is append-only and stays).
    QVERIFY(db::exec(db(), QStringLiteral("DELETE FROM flagged_content")).ok());
}

void tst_ReviewService::listOldestFirstWithAge()
{
    const auto young = seedFlaggedProblem(db(), m_agent, QStringLiteral("young"), 60);
    const auto old = seedFlaggedProblem(db(), m_agent, QStringLiteral("old"), 30 * 3600);
    const auto mid = seedFlaggedProblem(db(), m_agent, QStringLiteral("mid"), 7 * 3600);
    auto page = m_reviews->list(m_alice, FlaggedQuery{});
    QVERIFY2(page, qPrintable(page ? QString() : page.error().message));
    QCOMPARE(page->items.size(), 3);
    QCOMPARE(page->items[0].id, old.flaggedId);
    QCOMPARE(page->items[1].id, mid.flaggedId);
    QCOMPARE(page->items[2].id, young.flaggedId);
    QVERIFY(page->items[0].ageSeconds >= 30 * 3600 && page->items[0].ageSeconds < 30 * 3600 + 60);
    QCOMPARE(page->items[0].ageBadge(), QStringLiteral("overdue"));
    QCOMPARE(page->items[1].ageBadge(), QStringLiteral("attention"));
    QCOMPARE(page->items[2].ageBadge(), QStringLiteral("new"));
    QCOMPARE(page->items[0].title, QStringLiteral("old"));
    QCOMPARE(page->items[0].agentUsername, QStringLiteral("flaggy_agent"));
    QCOMPARE(page->items[0].status, QStringLiteral("pending_review"));
    QCOMPARE(page->items[0].trustTier, QStringLiteral("new"));
    QCOMPARE(page->items[0].domain, QStringLiteral("education_access"));
    QVERIFY(page->items[0].alignmentScore && qFuzzyCompare(*page->items[0].alignmentScore, 0.55));
    QVERIFY(!page->hasMore);
    const QJsonObject json = page->items[0].toJson();
    QCOMPARE(json.value("ageBadge").toString(), QStringLiteral("overdue"));
    QVERIFY(json.value("createdAt").toString().endsWith(u'Z'));
    QVERIFY(json.value("assignedTo").isNull());

    FlaggedQuery overdue;
    overdue.age = QStringLiteral("overdue");
    auto late = m_reviews->list(m_alice, overdue);
    QVERIFY(late);
    QCOMPARE(late->items.size(), 1);
    QCOMPARE(late->items[0].id, old.flaggedId);
    FlaggedQuery fresh = FlaggedQuery::fromQuery({{"age", "new"}}).value();
    QCOMPARE(m_reviews->list(m_alice, fresh)->items.size(), 1);
    // Layer A matches are searchable by pattern name.
    QVERIFY(db::exec(db(),
                     QStringLiteral(
                         "UPDATE guardrail_evaluations SET layer_a_result ="
                         " '{\"passed\": false, \"matches\": [{\"pattern\": \"surveillance\", \"severity\": \"critical\"}]}'"
                         " WHERE id = ?::uuid"),
                     {mid.evaluationId})
                .ok());
    FlaggedQuery byPattern;
    byPattern.pattern = QStringLiteral("surveillance");
    auto matched = m_reviews->list(m_alice, byPattern);
    QVERIFY2(matched, qPrintable(matched ? QString() : matched.error().message));
    QCOMPARE(matched->items.size(), 1);
    QCOMPARE(matched->items[0].id, mid.flaggedId);

    FlaggedQuery newest;
    newest.newestFirst = true;
    auto reversed = m_reviews->list(m_alice, newest);
    QVERIFY(reversed);
    QCOMPARE(reversed->items.first().id, young.flaggedId);
}

void tst_ReviewService::listFiltersAndPages()
{
    QStringList seeded;
    for (int i = 0; i < 7; ++i)
        seeded << seedFlaggedProblem(db(), m_agent, QStringLiteral("item %1").arg(i), 1000 - i * 10).flaggedId;
    const QString other = insertAgent(db(), QStringLiteral("other_agent"));
    const auto foreign = seedFlaggedProblem(db(), other, QStringLiteral("foreign"), 5, QStringLiteral("verified"));

    // Pages of 3 walk the 8 items oldest first without gaps or repeats.
    FlaggedQuery q;
    q.limit = 3;
    QStringList seen;
    for (int guard = 0; guard < 5; ++guard) {
        auto page = m_reviews->list(m_alice, q);
        QVERIFY2(page, qPrintable(page ? QString() : page.error().message));
        for (const auto &item : page->items)
            seen << item.id;
        if (!page->hasMore) {
            QVERIFY(page->nextCursor.isEmpty());
            break;
        }
        q.cursor = page->nextCursor;
    }
    QCOMPARE(seen, seeded + QStringList{foreign.flaggedId});

    FlaggedQuery byAgent;
    byAgent.agentId = other;
    auto mine = m_reviews->list(m_alice, byAgent);
    QVERIFY(mine);
    QCOMPARE(mine->items.size(), 1);
    QCOMPARE(mine->items[0].id, foreign.flaggedId);

    FlaggedQuery byTier;
    byTier.trustTier = QStringLiteral("verified");
    QCOMPARE(m_reviews->list(m_alice, byTier)->items.size(), 1);

    FlaggedQuery byType;
    byType.contentType = QStringLiteral("mission");
    QCOMPARE(m_reviews->list(m_alice, byType)->items.size(), 0);

    QVERIFY(m_reviews->claim(m_alice, seeded[0]));
    FlaggedQuery claimedByMe;
    claimedByMe.assigned = QStringLiteral("me");
    QCOMPARE(m_reviews->list(m_alice, claimedByMe)->items.size(), 1);
    QCOMPARE(m_reviews->list(m_bob, claimedByMe)->items.size(), 0);
    FlaggedQuery unclaimed;
    unclaimed.assigned = QStringLiteral("unclaimed");
    QCOMPARE(m_reviews->list(m_bob, unclaimed)->items.size(), 7);

    // A cursor from the other order, or a tampered one, is refused.
    FlaggedQuery first;
    first.limit = 2;
    const QString cursor = m_reviews->list(m_alice, first)->nextCursor;
    FlaggedQuery wrongOrder;
    wrongOrder.newestFirst = true;
    wrongOrder.cursor = cursor;
    auto refused = m_reviews->list(m_alice, wrongOrder);
    QVERIFY(!refused);
    QCOMPARE(refused.error().kind, ErrorKind::InvalidCursor);
    FlaggedQuery tampered;
    tampered.cursor = cursor.left(cursor.size() - 2) + QStringLiteral("xx");
    QCOMPARE(m_reviews->list(m_alice, tampered).error().kind, ErrorKind::InvalidCursor);
}

void tst_ReviewService::listRejectsBadInput_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    // clang-format off
    QTest::newRow("status") << "status" << "flagged";
    QTest::newRow("contentType") << "contentType" << "poem";
    QTest::newRow("agentId") << "agentId" << "not-a-uuid";
    QTest::newRow("limit zero") << "limit" << "0";
    QTest::newRow("limit big") << "limit" << "101";
    QTest::newRow("order") << "order" << "random";
    QTest::newRow("trustTier") << "trustTier" << "gold";
    QTest::newRow("age") << "age" << "ancient";
    // clang-format on
}

void tst_ReviewService::listRejectsBadInput()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    auto q = FlaggedQuery::fromQuery({{key, value}});
    QVERIFY(!q);
    QCOMPARE(q.error().kind, ErrorKind::Validation);
    QVERIFY(q.error().details.value("fields").toObject().contains(key));
}

void tst_ReviewService::detailHasEverythingNeeded()
{
    const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("detail me"), 120);
    auto d = m_reviews->detail(m_alice, s.flaggedId);
    QVERIFY2(d, qPrintable(d ? QString() : d.error().message));
    QCOMPARE(d->item.id, s.flaggedId);
    QCOMPARE(d->submittedContent.toObject().value("title").toString(), QStringLiteral("detail me"));
    QCOMPARE(d->liveContent.toObject().value("id").toString(), s.problemId);
    QCOMPARE(d->liveContent.toObject().value("guardrailStatus").toString(), QStringLiteral("flagged"));
    QCOMPARE(d->evaluation.value("id").toString(), s.evaluationId);
    QCOMPARE(d->evaluation.value("finalDecision").toString(), QStringLiteral("flagged"));
    QVERIFY(d->evaluation.value("layerAResult").isObject());
    QCOMPARE(d->evaluation.value("layerBResult").toObject().value("reasoning").toString(), QStringLiteral("unsure"));
    QCOMPARE(d->agent.value("username").toString(), QStringLiteral("flaggy_agent"));
    QCOMPARE(d->agent.value("trustTier").toString(), QStringLiteral("new"));
    QVERIFY(d->agent.contains("isActive"));
    QVERIFY(d->agent.contains("rateLimitOverride"));
    const QJsonObject evaluations = d->agentHistory.value("evaluations").toObject();
    QVERIFY(evaluations.value("flagged").toInt() >= 1);
    QVERIFY(evaluations.value("total").toInt() >= evaluations.value("flagged").toInt());
    QVERIFY(d->agentHistory.value("reviews").toObject().value("pendingReview").toInt() >= 1);
    QVERIFY(d->auditTrail.isArray());
    const QJsonObject json = d->toJson();
    for (const char *key : {"evaluation", "submittedContent", "liveContent", "agent", "agentHistory", "auditTrail", "ageSeconds"})
        QVERIFY2(json.contains(QLatin1String(key)), key);

    QCOMPARE(m_reviews->detail(m_alice, ids::newUuid()).error().kind, ErrorKind::NotFound);
    QCOMPARE(m_reviews->detail(m_alice, QStringLiteral("nope")).error().kind, ErrorKind::NotFound);
}

void tst_ReviewService::racingClaimsOneWins()
{
    // Two moderators, each on their own thread and connection, claim the same item at the same
    // moment; repeated so that the race really happens in some rounds.
    for (int round = 0; round < 15; ++round) {
        const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("race %1").arg(round));
        std::barrier start(2);
        std::atomic_int wins{0}, alreadyClaimed{0}, other{0};
        QString winner;
        std::mutex winnerMutex;
        const auto contender = [&](const AdminCaller &who) {
            start.arrive_and_wait();
            auto r = m_reviews->claim(who, s.flaggedId);
            if (r) {
                ++wins;
                std::lock_guard lock(winnerMutex);
                winner = who.moderatorId;
            } else if (r.error().kind == ErrorKind::AlreadyClaimed) {
                ++alreadyClaimed;
            } else {
                ++other;
                qWarning("unexpected: %s", qPrintable(r.error().message));
            }
            m_database->releaseThisThread();
        };
        std::thread a(contender, m_alice), b(contender, m_bob);
        a.join();
        b.join();
        QCOMPARE(wins.load(), 1);
        QCOMPARE(alreadyClaimed.load(), 1);
        QCOMPARE(other.load(), 0);
        QCOMPARE(scalar(db(), QStringLiteral("SELECT assigned_to::text FROM flagged_content WHERE id = ?::uuid"), {s.flaggedId})
                     .toString(),
                 winner);
    }
}

void tst_ReviewService::claimRenewsOwnLease()
{
    const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("renew"));
    auto first = m_reviews->claim(m_alice, s.flaggedId);
    QVERIFY(first);
    QVERIFY(first->claimActive);
    QCOMPARE(first->assignedTo, m_alice.moderatorId);
    QCOMPARE(first->assignedToName, QStringLiteral("Name of alice@example.org"));
    const qint64 lease = first->claimedAt.secsTo(first->claimExpiresAt);
    QVERIFY2(lease >= 899 && lease <= 901, qPrintable(QString::number(lease)));
    QTest::qWait(20);
    auto again = m_reviews->claim(m_alice, s.flaggedId);
    QVERIFY(again);
    QCOMPARE(again->claimedAt, first->claimedAt); // a renewal keeps the original claim time
    QVERIFY(again->claimExpiresAt > first->claimExpiresAt);
    auto taken = m_reviews->claim(m_bob, s.flaggedId);
    QVERIFY(!taken);
    QCOMPARE(taken.error().kind, ErrorKind::AlreadyClaimed);
    QCOMPARE(taken.error().status(), 409);
    QCOMPARE(taken.error().details.value("claimedBy").toString(), m_alice.moderatorId);
}

void tst_ReviewService::leaseExpiryLetsAnotherClaim()
{
    ReviewService shortLease(*m_database, ReviewService::Options{.claimLease = std::chrono::seconds(1)});
    const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("lease"));
    QVERIFY(shortLease.claim(m_alice, s.flaggedId));
    QCOMPARE(shortLease.claim(m_bob, s.flaggedId).error().kind, ErrorKind::AlreadyClaimed);
    QTest::qWait(1300);
    auto item = shortLease.list(m_bob, FlaggedQuery{});
    QVERIFY(item && !item->items.isEmpty());
    QVERIFY(!item->items[0].claimActive); // expired: shown as unclaimed
    // The lapsed claimant cannot decide on an expired claim…
    auto lapsed = shortLease.review(m_alice, s.flaggedId, decision(QStringLiteral("approve")));
    QCOMPARE(lapsed.error().kind, ErrorKind::Forbidden);
    // …and once someone else claims, the item is theirs.
    auto bobs = shortLease.claim(m_bob, s.flaggedId);
    QVERIFY(bobs);
    QCOMPARE(bobs->assignedTo, m_bob.moderatorId);
    QCOMPARE(shortLease.review(m_alice, s.flaggedId, decision(QStringLiteral("approve"))).error().kind, ErrorKind::Forbidden);
    QVERIFY(shortLease.review(m_bob, s.flaggedId, decision(QStringLiteral("approve"))));
}

void tst_ReviewService::reviewByNonClaimantIsForbidden()
{
    const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("not yours"));
    // Unclaimed: nobody may decide yet.
    auto unclaimed = m_reviews->review(m_alice, s.flaggedId, decision(QStringLiteral("approve")));
    QCOMPARE(unclaimed.error().kind, ErrorKind::Forbidden);
    QCOMPARE(unclaimed.error().status(), 403);
    QVERIFY(m_reviews->claim(m_alice, s.flaggedId));
    auto r = m_reviews->review(m_bob, s.flaggedId, decision(QStringLiteral("reject")));
    QVERIFY(!r);
    QCOMPARE(r.error().kind, ErrorKind::Forbidden);
    // Nothing changed.
    QCOMPARE(scalar(db(), QStringLiteral("SELECT status FROM flagged_content WHERE id = ?::uuid"), {s.flaggedId}).toString(),
             QStringLiteral("pending_review"));
    QCOMPARE(scalar(db(), QStringLiteral("SELECT guardrail_status FROM problems WHERE id = ?::uuid"), {s.problemId}).toString(),
             QStringLiteral("flagged"));
}

void tst_ReviewService::approvalPublishesTheContent()
{
    const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("publish me"));
    QVERIFY(m_reviews->claim(m_alice, s.flaggedId));
    auto r = m_reviews->review(m_alice, s.flaggedId,
                               decision(QStringLiteral("approve"), QStringLiteral("  Sources check out, on topic.  ")));
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->status, QStringLiteral("approved"));
    QCOMPARE(r->decision, QStringLiteral("approve"));
    QCOMPARE(r->notes, QStringLiteral("Sources check out, on topic."));
    QVERIFY(r->reviewedAt.isValid());
    QCOMPARE(scalar(db(), QStringLiteral("SELECT guardrail_status FROM problems WHERE id = ?::uuid"), {s.problemId}).toString(),
             QStringLiteral("approved"));
    QCOMPARE(scalar(db(), QStringLiteral("SELECT final_decision FROM guardrail_evaluations WHERE id = ?::uuid"), {s.evaluationId})
                 .toString(),
             QStringLiteral("approved"));
    const QString after = scalar(db(),
                                 QStringLiteral("SELECT after::text FROM audit_log WHERE action = 'flagged.review'"
                                                " AND target_id = ? ORDER BY id DESC LIMIT 1"),
                                 {s.flaggedId})
                              .toString();
    QVERIFY2(after.contains(QLatin1String("\"contentGuardrailStatus\": \"approved\"")), qPrintable(after));
}

void tst_ReviewService::rejectionKeepsItPrivate()
{
    const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("reject me"));
    QVERIFY(m_reviews->claim(m_bob, s.flaggedId));
    auto r =
        m_reviews->review(m_bob, s.flaggedId, decision(QStringLiteral("reject"), QStringLiteral("Off-topic for every domain.")));
    QVERIFY(r);
    QCOMPARE(r->status, QStringLiteral("rejected"));
    QCOMPARE(scalar(db(), QStringLiteral("SELECT guardrail_status FROM problems WHERE id = ?::uuid"), {s.problemId}).toString(),
             QStringLiteral("rejected"));
    QCOMPARE(scalar(db(), QStringLiteral("SELECT final_decision FROM guardrail_evaluations WHERE id = ?::uuid"), {s.evaluationId})
                 .toString(),
             QStringLiteral("rejected"));
}

void tst_ReviewService::decidedItemIs409()
{
    const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("twice"));
    QVERIFY(m_reviews->claim(m_alice, s.flaggedId));
    QVERIFY(m_reviews->review(m_alice, s.flaggedId, decision(QStringLiteral("approve"))));
    for (const AdminCaller &who : {m_alice, m_bob}) {
        auto again = m_reviews->review(who, s.flaggedId, decision(QStringLiteral("reject")));
        QCOMPARE(again.error().kind, ErrorKind::Conflict);
        QCOMPARE(again.error().status(), 409);
        QCOMPARE(m_reviews->claim(who, s.flaggedId).error().kind, ErrorKind::Conflict);
        QCOMPARE(m_reviews->release(who, s.flaggedId).error().kind, ErrorKind::Conflict);
    }
    QCOMPARE(scalar(db(), QStringLiteral("SELECT guardrail_status FROM problems WHERE id = ?::uuid"), {s.problemId}).toString(),
             QStringLiteral("approved"));
    QCOMPARE(m_reviews->review(m_alice, ids::newUuid(), decision(QStringLiteral("approve"))).error().kind, ErrorKind::NotFound);
}

void tst_ReviewService::reviewValidatesNotes_data()
{
    QTest::addColumn<QString>("decisionText");
    QTest::addColumn<QString>("notes");
    QTest::addColumn<QString>("field");
    // clang-format off
    QTest::newRow("short notes") << "approve" << "too short" << "notes";
    QTest::newRow("blank padded") << "approve" << "   short     " << "notes";
    QTest::newRow("long notes") << "reject" << QString(2001, u'x') << "notes";
    QTest::newRow("bad decision") << "maybe" << "Long enough notes here." << "decision";
    // clang-format on
}

void tst_ReviewService::reviewValidatesNotes()
{
    QFETCH(QString, decisionText);
    QFETCH(QString, notes);
    QFETCH(QString, field);
    const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("validate"));
    QVERIFY(m_reviews->claim(m_alice, s.flaggedId));
    auto r = m_reviews->review(m_alice, s.flaggedId, ReviewDecision{decisionText, notes});
    QVERIFY(!r);
    QCOMPARE(r.error().kind, ErrorKind::Validation);
    QVERIFY(r.error().details.value("fields").toObject().contains(field));
    QVERIFY(ReviewDecision::make(QStringLiteral("reject"), QString(2000, u'y')));
    auto parsed = ReviewDecision::parse(QJsonObject{{"decision", "approve"}});
    QVERIFY(!parsed);
    QVERIFY(parsed.error().details.value("fields").toObject().contains("notes"));
}

void tst_ReviewService::releaseRules()
{
    const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("release"));
    QCOMPARE(m_reviews->release(m_alice, s.flaggedId).error().kind, ErrorKind::Conflict); // not claimed
    QVERIFY(m_reviews->claim(m_alice, s.flaggedId));
    QCOMPARE(m_reviews->release(m_bob, s.flaggedId).error().kind, ErrorKind::Forbidden); // another moderator's claim
    auto released = m_reviews->release(m_alice, s.flaggedId);
    QVERIFY(released);
    QVERIFY(!released->claimActive);
    QVERIFY(released->assignedTo.isEmpty());
    QVERIFY(m_reviews->claim(m_bob, s.flaggedId));    // free again
    QVERIFY(m_reviews->release(m_root, s.flaggedId)); // an administrator may release anyone's claim
    QVERIFY(m_reviews->claim(m_alice, s.flaggedId));
}

void tst_ReviewService::editedContentIsNotPublished()
{
    // The agent edited the problem after it was flagged: a newer evaluation is attached. Approving
    // the old version must not publish the unreviewed edit.
    const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("edited later"));
    const QString newer = ids::newUuid();
    QVERIFY(
        db::exec(db(),
                 QStringLiteral("INSERT INTO guardrail_evaluations (id, content_id, content_type, agent_id, submitted_content)"
                                " VALUES (?::uuid, ?::uuid, 'problem', ?::uuid, '{}')"),
                 {newer, s.problemId, m_agent})
            .ok());
    QVERIFY(
        db::exec(db(),
                 QStringLiteral(
                     "UPDATE problems SET guardrail_evaluation_id = ?::uuid, guardrail_status = 'pending' WHERE id = ?::uuid"),
                 {newer, s.problemId})
            .ok());
    QVERIFY(m_reviews->claim(m_alice, s.flaggedId));
    QVERIFY(m_reviews->review(m_alice, s.flaggedId, decision(QStringLiteral("approve"))));
    QCOMPARE(scalar(db(), QStringLiteral("SELECT guardrail_status FROM problems WHERE id = ?::uuid"), {s.problemId}).toString(),
             QStringLiteral("pending"));
    QCOMPARE(scalar(db(), QStringLiteral("SELECT final_decision FROM guardrail_evaluations WHERE id = ?::uuid"), {s.evaluationId})
                 .toString(),
             QStringLiteral("approved"));
}

void tst_ReviewService::auditRowsForEveryAction()
{
    const auto s = seedFlaggedProblem(db(), m_agent, QStringLiteral("audited"));
    QVERIFY(m_reviews->claim(m_alice, s.flaggedId));
    QVERIFY(m_reviews->claim(m_alice, s.flaggedId)); // renewal
    QVERIFY(m_reviews->release(m_alice, s.flaggedId));
    QVERIFY(m_reviews->claim(m_bob, s.flaggedId));
    QVERIFY(!m_reviews->review(m_alice, s.flaggedId, decision(QStringLiteral("approve")))); // refused: not audited
    QVERIFY(m_reviews->review(m_bob, s.flaggedId, decision(QStringLiteral("reject"))));

    auto q = db::exec(db(),
                      QStringLiteral("SELECT action, actor_type, actor_id::text, host(ip), before::text, after::text"
                                     " FROM audit_log WHERE target_type = 'flagged_content' AND target_id = ? ORDER BY id"),
                      {s.flaggedId});
    QVERIFY(q);
    QStringList actions, actors;
    QStringList afters;
    while (q->next()) {
        actions << q->value(0).toString();
        QCOMPARE(q->value(1).toString(), QStringLiteral("moderator"));
        actors << q->value(2).toString();
        QCOMPARE(q->value(3).toString(), QStringLiteral("127.0.0.1"));
        afters << q->value(5).toString();
    }
    QCOMPARE(actions, (QStringList{"flagged.claim", "flagged.claim", "flagged.release", "flagged.claim", "flagged.review"}));
    QCOMPARE(actors,
             (QStringList{m_alice.moderatorId, m_alice.moderatorId, m_alice.moderatorId, m_bob.moderatorId, m_bob.moderatorId}));
    QVERIFY(afters[1].contains(QLatin1String("\"renewed\": true")));
    QVERIFY(afters[4].contains(QLatin1String("\"decision\": \"reject\"")));

    // The detail view shows the same trail.
    auto d = m_reviews->detail(m_root, s.flaggedId);
    QVERIFY(d);
    QCOMPARE(d->auditTrail.toArray().size(), 5);
    QCOMPARE(d->auditTrail.toArray().last().toObject().value("actorEmail").toString(), QStringLiteral("bob@example.org"));
}

void tst_ReviewService::bulkReview()
{
    const auto a = seedFlaggedProblem(db(), m_agent, QStringLiteral("bulk a"));
    const auto b = seedFlaggedProblem(db(), m_agent, QStringLiteral("bulk b"));
    const auto c = seedFlaggedProblem(db(), m_agent, QStringLiteral("bulk c"));
    QVERIFY(m_reviews->claim(m_alice, a.flaggedId));
    QVERIFY(m_reviews->claim(m_alice, b.flaggedId));
    QVERIFY(m_reviews->claim(m_bob, c.flaggedId));
    const auto outcomes =
        m_reviews->reviewMany(m_alice, {a.flaggedId, b.flaggedId, c.flaggedId},
                              decision(QStringLiteral("approve"), QStringLiteral("Batch: all duplicates of known issues.")));
    QCOMPARE(outcomes.size(), 3);
    QVERIFY(!outcomes[0].error);
    QVERIFY(!outcomes[1].error);
    QVERIFY(outcomes[2].error);
    QCOMPARE(outcomes[2].error->kind, ErrorKind::Forbidden);
}

void tst_ReviewService::statsAndRoles()
{
    seedFlaggedProblem(db(), m_agent, QStringLiteral("s1"), 25 * 3600);
    const auto s2 = seedFlaggedProblem(db(), m_agent, QStringLiteral("s2"), 10);
    QVERIFY(m_reviews->claim(m_alice, s2.flaggedId));
    auto st = m_reviews->stats();
    QVERIFY(st);
    QCOMPARE(st->pending, 2);
    QCOMPARE(st->claimed, 1);
    QCOMPARE(st->overdue, 1);
    QVERIFY(st->oldestAgeSeconds >= 25 * 3600);

    AdminCaller nobody; // no role: an in-process caller that never logged in
    QCOMPARE(m_reviews->list(nobody, FlaggedQuery{}).error().kind, ErrorKind::Forbidden);
    QCOMPARE(m_reviews->claim(nobody, s2.flaggedId).error().kind, ErrorKind::Forbidden);
}

void tst_ReviewService::queueStaysFastWith100kItems()
{
    // guardrails.md: the queue stays responsive with 100 000 items. Seeded in SQL (generate_series).
    // Bulk seeding may exceed the per-statement timeout on a busy machine.
    QVERIFY(db::exec(db(), QStringLiteral("SET statement_timeout = 0")).ok());
    auto seeded = db::exec(
        db(),
        QStringLiteral(
            "WITH ev AS (INSERT INTO guardrail_evaluations (content_id, content_type, agent_id, submitted_content, final_decision,"
            "  trust_tier, created_at)"
            "  SELECT gen_random_uuid(), 'problem', ?::uuid, jsonb_build_object('title', 'bulk ' || g), 'flagged', 'new',"
            "  now() - make_interval(secs => g) FROM generate_series(1, 100000) g RETURNING id, content_id, created_at)"
            " INSERT INTO flagged_content (evaluation_id, content_id, content_type, agent_id, created_at)"
            " SELECT id, content_id, 'problem', ?::uuid, created_at FROM ev"),
        {m_agent, m_agent});
    QVERIFY2(seeded, qPrintable(seeded ? QString() : seeded.error().message));
    QVERIFY(db::exec(db(), QStringLiteral("ANALYZE flagged_content; ANALYZE guardrail_evaluations")).ok());

    QElapsedTimer t;
    t.start();
    FlaggedQuery q;
    q.limit = 50;
    auto first = m_reviews->list(m_alice, q);
    const qint64 firstMs = t.restart();
    QVERIFY(first && first->items.size() == 50 && first->hasMore);
    QVERIFY(first->items[0].ageSeconds >= 99999);
    // Page 20 deep through keyset cursors: each page costs the same.
    qint64 worstMs = 0;
    for (int i = 0; i < 20; ++i) {
        q.cursor = first->nextCursor;
        t.restart();
        first = m_reviews->list(m_alice, q);
        worstMs = std::max(worstMs, t.elapsed());
        QVERIFY(first && first->items.size() == 50);
    }
    t.restart();
    auto st = m_reviews->stats();
    const qint64 statsMs = t.elapsed();
    QVERIFY(st && st->pending == 100000);
    qInfo("100k queue: first page %lld ms, worst of 20 keyset pages %lld ms, stats %lld ms", firstMs, worstMs, statsMs);
    QVERIFY2(worstMs < 500, qPrintable(QString::number(worstMs)));

    auto plan = db::exec(db(), QStringLiteral("EXPLAIN SELECT f.id FROM flagged_content f WHERE f.status = 'pending_review'"
                                              " ORDER BY f.created_at, f.id LIMIT 51"));
    QVERIFY(plan);
    QString text;
    while (plan->next())
        text += plan->value(0).toString() + u'\n';
    QVERIFY2(text.contains(QLatin1String("flagged_content_queue_idx")), qPrintable(text));
}

QTEST_GUILESS_MAIN(tst_ReviewService)
#include "tst_reviewservice.moc"
