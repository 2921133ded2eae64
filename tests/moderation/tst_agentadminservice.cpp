// AgentAdminService against a real PostgreSQL: the directory search (case-insensitive, literal,
// deactivated agents on request, truncation) and one agent's detail (submissions by guardrail
// status, the tier limit or the override, the shared store's count for the current window only).

#include "moderationtestdb.h"

#include "server/moderation/agentadminservice.h"
#include "tests/support/pgfixture.h"

#include <QTest>

using namespace bw;
using namespace bw::moderation;
using namespace bw::test;

class tst_AgentAdminService final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void searchMatchesNameAndEmailLiterally_data();
    void searchMatchesNameAndEmailLiterally();
    void searchLeavesOutDeactivatedOnRequest();
    void searchTruncatesNewestFirst();
    void detailCountsSubmissionsByStatus();
    void detailUsesTierOrOverride_data();
    void detailUsesTierOrOverride();
    void detailCountsOnlyTheCurrentWindow();
    void unknownAgentIsNotFound();

private:
    QSqlDatabase db() { return m_database->connection(); }
    QString agent(const QString &username, const QString &email = {});
    PgFixture m_pg;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<AgentAdminService> m_service;
    RateLimitConfig m_limits;
};

QString tst_AgentAdminService::agent(const QString &username, const QString &email)
{
    const QString id = insertAgent(db(), username);
    if (!email.isEmpty())
        scalar(db(), QStringLiteral("UPDATE agents SET email = ? WHERE id = ?::uuid RETURNING 1"), {email, id});
    return id;
}

void tst_AgentAdminService::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<db::Database>(m_pg.settings(name));
    m_limits.agentPending = 11;
    m_limits.agentClaimed = 22;
    m_limits.agentVerified = 33;
    m_limits.windowSeconds = 60;
    m_service = std::make_unique<AgentAdminService>(*m_database, m_limits);
    QVERIFY(!agent(QStringLiteral("river_watch"), QStringLiteral("river@example.org")).isEmpty());
    QVERIFY(!agent(QStringLiteral("school_helper")).isEmpty());
    QVERIFY(!agent(QStringLiteral("rivet_agent")).isEmpty());
    const QString percent = agent(QStringLiteral("percent_agent"));
    QVERIFY(scalar(db(), QStringLiteral("UPDATE agents SET display_name = '100% sure' WHERE id = ?::uuid RETURNING 1"), {percent})
                .isValid());
    QVERIFY(!agent(QStringLiteral("lxh_agent")).isEmpty()); // what l_h would match as a LIKE pattern
}

void tst_AgentAdminService::cleanupTestCase()
{
    m_service.reset();
    if (m_database)
        m_database->releaseThisThread();
    m_database.reset();
}

void tst_AgentAdminService::searchMatchesNameAndEmailLiterally_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("usernames");
    QTest::newRow("case-insensitive") << QStringLiteral("RIV")
                                      << QStringList{QStringLiteral("river_watch"), QStringLiteral("rivet_agent")};
    QTest::newRow("e-mail") << QStringLiteral("river@") << QStringList{QStringLiteral("river_watch")};
    QTest::newRow("% is literal") << QStringLiteral("%") << QStringList{QStringLiteral("percent_agent")};
    QTest::newRow("_ is literal") << QStringLiteral("l_h") << QStringList{QStringLiteral("school_helper")};
    QTest::newRow("trimmed") << QStringLiteral("  school ") << QStringList{QStringLiteral("school_helper")};
}

void tst_AgentAdminService::searchMatchesNameAndEmailLiterally()
{
    QFETCH(QString, text);
    QFETCH(QStringList, usernames);
    auto list = m_service->search(text, true);
    QVERIFY2(list, qPrintable(list ? QString() : list.error().message));
    QStringList found;
    for (const AgentAdminRow &r : list->rows)
        found << r.username;
    found.sort();
    QCOMPARE(found, usernames);
    QVERIFY(!list->truncated);
    QVERIFY(list->checkedAt.isValid());
}

void tst_AgentAdminService::searchLeavesOutDeactivatedOnRequest()
{
    const QString id = agent(QStringLiteral("sleepy_agent"));
    scalar(db(), QStringLiteral("UPDATE agents SET is_active = false WHERE id = ?::uuid RETURNING 1"), {id});
    auto all = m_service->search(QStringLiteral("sleepy"), true);
    auto active = m_service->search(QStringLiteral("sleepy"), false);
    QVERIFY(all && active);
    QCOMPARE(all->rows.size(), 1);
    QVERIFY(!all->rows.first().active);
    QCOMPARE(active->rows.size(), 0);
}

void tst_AgentAdminService::searchTruncatesNewestFirst()
{
    auto list = m_service->search(QString(), true, 2);
    QVERIFY(list);
    QCOMPARE(list->rows.size(), 2);
    QVERIFY(list->truncated);
    QVERIFY(list->rows.at(0).createdAt >= list->rows.at(1).createdAt);
}

void tst_AgentAdminService::detailCountsSubmissionsByStatus()
{
    const QString id = agent(QStringLiteral("busy_agent"));
    scalar(db(),
           QStringLiteral("UPDATE agents SET last_heartbeat_at = now() - interval '3 hours' WHERE id = ?::uuid RETURNING 1"),
           {id});
    for (const char *status : {"approved", "approved", "flagged"})
        QVERIFY(scalar(db(),
                       QStringLiteral("INSERT INTO problems (reported_by_agent_id, title, description, domain, severity,"
                                      " guardrail_status) VALUES (?::uuid, 'A title', 'A description', 'education_access',"
                                      " 'low', ?) RETURNING 1"),
                       {id, QString::fromLatin1(status)})
                    .isValid());
    auto d = m_service->detail(id);
    QVERIFY2(d, qPrintable(d ? QString() : d.error().message));
    QCOMPARE(d->agent.id, id);
    QCOMPARE(d->agent.username, QStringLiteral("busy_agent"));
    QCOMPARE(d->submissions.value(QStringLiteral("problems")).value(QStringLiteral("approved")), qint64(2));
    QCOMPARE(d->submissions.value(QStringLiteral("problems")).value(QStringLiteral("flagged")), qint64(1));
    QVERIFY(!d->submissions.contains(QStringLiteral("solutions")));
    const qint64 age = d->agent.lastHeartbeatAt.secsTo(d->checkedAt);
    QVERIFY2(age >= 3 * 3600 && age < 3 * 3600 + 60, qPrintable(QString::number(age)));
}

void tst_AgentAdminService::detailUsesTierOrOverride_data()
{
    QTest::addColumn<QString>("claimStatus");
    QTest::addColumn<QVariant>("overrideLimit");
    QTest::addColumn<int>("expected");
    QTest::newRow("pending") << QStringLiteral("pending") << QVariant() << 11;
    QTest::newRow("claimed") << QStringLiteral("claimed") << QVariant() << 22;
    QTest::newRow("verified") << QStringLiteral("verified") << QVariant() << 33;
    QTest::newRow("override") << QStringLiteral("verified") << QVariant(5) << 5;
}

void tst_AgentAdminService::detailUsesTierOrOverride()
{
    QFETCH(QString, claimStatus);
    QFETCH(QVariant, overrideLimit);
    QFETCH(int, expected);
    const QString id = agent(QStringLiteral("tier_") + QString::fromLatin1(QTest::currentDataTag()));
    QVERIFY(
        scalar(db(),
               QStringLiteral("UPDATE agents SET claim_status = ?, rate_limit_override = ?::int WHERE id = ?::uuid RETURNING 1"),
               {claimStatus, overrideLimit.isValid() ? overrideLimit : QVariant(QMetaType::fromType<int>()), id})
            .isValid());
    auto d = m_service->detail(id);
    QVERIFY(d);
    QCOMPARE(d->effectiveLimit, expected);
    QCOMPARE(d->windowSeconds, 60);
    QCOMPARE(d->agent.rateLimitOverride.has_value(), overrideLimit.isValid());
}

void tst_AgentAdminService::detailCountsOnlyTheCurrentWindow()
{
    const QString current = agent(QStringLiteral("counted_agent"));
    const QString stale = agent(QStringLiteral("stale_agent"));
    QVERIFY(scalar(db(),
                   QStringLiteral("INSERT INTO rate_limit_counters (key, window_start, window_seconds, count) VALUES"
                                  " ('agent:' || ?, extract(epoch FROM now())::bigint / 60 * 60, 60, 7),"
                                  " ('agent:' || ?, extract(epoch FROM now())::bigint / 60 * 60 - 600, 60, 9) RETURNING 1"),
                   {current, stale})
                .isValid());
    auto counted = m_service->detail(current);
    auto old = m_service->detail(stale);
    QVERIFY(counted && old);
    QCOMPARE(counted->windowCount, std::optional<int>(7));
    QVERIFY(!old->windowCount.has_value());
}

void tst_AgentAdminService::unknownAgentIsNotFound()
{
    for (const QString &id : {QStringLiteral("00000000-0000-4000-8000-000000000000"), QStringLiteral("not-a-uuid")}) {
        auto d = m_service->detail(id);
        QVERIFY(!d);
        QCOMPARE(d.error().kind, ErrorKind::NotFound);
    }
}

QTEST_GUILESS_MAIN(tst_AgentAdminService)
#include "tst_agentadminservice.moc"
