// The agent rate-limit rule shared by the HTTP pipeline and the console: the claim-status tier's
// limit unless an administrator override is set.
#include "server/domain/agentratelimit.h"

#include <QTest>

#include <optional>

Q_DECLARE_METATYPE(std::optional<int>)

class tst_AgentRateLimit final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void limit_data();
    void limit();
    void key();
};

void tst_AgentRateLimit::limit_data()
{
    QTest::addColumn<QString>("claimStatus");
    QTest::addColumn<std::optional<int>>("override");
    QTest::addColumn<int>("expected");
    QTest::newRow("pending") << QStringLiteral("pending") << std::optional<int>() << 3;
    QTest::newRow("claimed") << QStringLiteral("claimed") << std::optional<int>() << 4;
    QTest::newRow("verified") << QStringLiteral("verified") << std::optional<int>() << 5;
    QTest::newRow("unknown counts as pending") << QStringLiteral("other") << std::optional<int>() << 3;
    QTest::newRow("override wins") << QStringLiteral("verified") << std::optional<int>(7) << 7;
    QTest::newRow("override may be lower") << QStringLiteral("pending") << std::optional<int>(1) << 1;
}

void tst_AgentRateLimit::limit()
{
    QFETCH(QString, claimStatus);
    QFETCH(std::optional<int>, override);
    QFETCH(int, expected);
    bw::RateLimitConfig limits;
    limits.agentPending = 3;
    limits.agentClaimed = 4;
    limits.agentVerified = 5;
    QCOMPARE(bw::domain::agentRequestLimit(limits, claimStatus, override), expected);
}

void tst_AgentRateLimit::key()
{
    QCOMPARE(bw::domain::agentRateLimitKey(QStringLiteral("abc")), QStringLiteral("agent:abc"));
}

QTEST_GUILESS_MAIN(tst_AgentRateLimit)
#include "tst_agentratelimit.moc"
