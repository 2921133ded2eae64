// The pipeline's rate limiting without a database or sockets (api.md §4): headers on every
// response, 429 + Retry-After, tiers by claim status, content and registration buckets, exempt
// routes, limits off, failed authentication still limited, trusted proxies keying the bucket.
#include "pipelineharness.h"

class tst_PipelineRateLimit : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void rateLimitHeaders();
    void tooManyRequests();
    void claimStatusTiers_data();
    void claimStatusTiers();
    void contentBucket();
    void registrationBucket();
    void exemptRoutes();
    void rateLimitsDisabled();
    void authFailureCarriesRateLimitHeaders();
    void forwardedFor_data();
    void forwardedFor();
    void forwardedForKeysTheBucket();
};

void tst_PipelineRateLimit::initTestCase()
{
    // The access log is not under test here; keep the output readable.
    QLoggingCategory::setFilterRules(QStringLiteral("bw.http.access.info=false\nbw.http.error.critical=false"));
}

void tst_PipelineRateLimit::init()
{
    g_now = kWindowStart + 15;
}

void tst_PipelineRateLimit::rateLimitHeaders()
{
    Harness h;
    const Response first = h.get(QStringLiteral("/api/v1/problems"));
    QCOMPARE(first.status, 200);
    QCOMPARE(headerOf(first, "X-RateLimit-Limit"), QByteArray("30")); // public per IP, api.md §4
    QCOMPARE(headerOf(first, "X-RateLimit-Remaining"), QByteArray("29"));
    QCOMPARE(headerOf(first, "X-RateLimit-Reset"), QByteArray::number(kReset));
    QVERIFY(!hasHeader(first, "Retry-After"));
    const Response second = h.get(QStringLiteral("/api/v1/problems/p1"));
    QCOMPARE(headerOf(second, "X-RateLimit-Remaining"), QByteArray("28")); // one bucket per IP, all routes
    // Handler errors still count and still carry the headers.
    const Response boom = h.get(QStringLiteral("/boom"));
    QCOMPARE(boom.status, 500);
    QCOMPARE(headerOf(boom, "X-RateLimit-Remaining"), QByteArray("27"));
}

void tst_PipelineRateLimit::tooManyRequests()
{
    Harness h;
    h.config.rateLimits.publicPerIp = 2;
    QCOMPARE(h.get(QStringLiteral("/api/v1/problems")).status, 200);
    QCOMPARE(h.get(QStringLiteral("/api/v1/problems")).status, 200);
    g_now = kWindowStart + 20;
    const Response res = h.get(QStringLiteral("/api/v1/problems"));
    QCOMPARE(res.status, 429);
    QCOMPARE(codeOf(res), QStringLiteral("RATE_LIMITED"));
    QCOMPARE(headerOf(res, "Retry-After"), QByteArray("40"));
    QCOMPARE(headerOf(res, "X-RateLimit-Limit"), QByteArray("2"));
    QCOMPARE(headerOf(res, "X-RateLimit-Remaining"), QByteArray("0"));
    QCOMPARE(headerOf(res, "X-RateLimit-Reset"), QByteArray::number(kReset));
    const QJsonObject details = bodyOf(res).value("error").toObject().value("details").toObject();
    QCOMPARE(details.value("retryAfter").toInt(), 40);
    QCOMPARE(details.value("limit").toInt(), 2);
    QCOMPARE(details.value("window").toInt(), 60);
    QCOMPARE(h.handlerCalls.load(), 2); // the refused request never reached the handler
    QCOMPARE(headerOf(res, "X-Content-Type-Options"), QByteArray("nosniff"));

    // Another IP has its own bucket; the next window starts afresh.
    QCOMPARE(h.get(QStringLiteral("/api/v1/problems"), {}, QStringLiteral("198.51.100.1")).status, 200);
    g_now = kReset;
    QCOMPARE(h.get(QStringLiteral("/api/v1/problems")).status, 200);
}

void tst_PipelineRateLimit::claimStatusTiers_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<int>("limit");
    QTest::newRow("pending") << QByteArray("key-pending") << 3;
    QTest::newRow("claimed") << QByteArray("key-claimed") << 4;
    QTest::newRow("verified") << QByteArray("key-verified") << 5;
    QTest::newRow("unknown status → pending") << QByteArray("key-odd-status") << 3;
    QTest::newRow("override beats tier") << QByteArray("key-override") << 2;
    QTest::newRow("override above tier") << QByteArray("key-override-high") << 1000;
}

void tst_PipelineRateLimit::claimStatusTiers()
{
    QFETCH(QByteArray, key);
    QFETCH(int, limit);
    Harness h;
    h.config.rateLimits.agentPending = 3;
    h.config.rateLimits.agentClaimed = 4;
    h.config.rateLimits.agentVerified = 5;
    h.config.rateLimits.publicPerIp = 1; // must not apply to authenticated callers
    const QByteArray auth = "Bearer " + key;
    const int requests = std::min(limit, 6);
    for (int i = 1; i <= requests; ++i) {
        const Response res = h.get(QStringLiteral("/api/v1/agents/me"), auth);
        QCOMPARE(res.status, 200);
        QCOMPARE(headerOf(res, "X-RateLimit-Limit"), QByteArray::number(limit));
        QCOMPARE(headerOf(res, "X-RateLimit-Remaining"), QByteArray::number(limit - i));
    }
    if (limit <= 6) {
        const Response over = h.get(QStringLiteral("/api/v1/agents/me"), auth);
        QCOMPARE(over.status, 429);
        QCOMPARE(bodyOf(over).value("error").toObject().value("details").toObject().value("limit").toInt(), limit);
    }
    // The agent bucket is per agent, not per IP: another agent from the same IP is unaffected.
    const Response other = h.get(QStringLiteral("/api/v1/agents/me"), "Bearer key-verified-2");
    QCOMPARE(other.status, 200);
    QCOMPARE(headerOf(other, "X-RateLimit-Remaining"), QByteArray("4"));
}

void tst_PipelineRateLimit::contentBucket()
{
    Harness h;
    h.config.rateLimits.agentVerified = 5;
    h.config.rateLimits.contentCreation = 2;
    const QByteArray auth = "Bearer key-verified";

    const Response first = h.post(QStringLiteral("/api/v1/problems"), auth);
    QCOMPARE(first.status, 200);
    // The tighter bucket is reported: content 1 of 2 left (agent would be 4 of 5).
    QCOMPARE(headerOf(first, "X-RateLimit-Limit"), QByteArray("2"));
    QCOMPARE(headerOf(first, "X-RateLimit-Remaining"), QByteArray("1"));
    QCOMPARE(h.post(QStringLiteral("/api/v1/problems"), auth).status, 200);

    const Response third = h.post(QStringLiteral("/api/v1/problems"), auth);
    QCOMPARE(third.status, 429);
    QCOMPARE(headerOf(third, "X-RateLimit-Limit"), QByteArray("2"));
    QCOMPARE(bodyOf(third).value("error").toObject().value("details").toObject().value("limit").toInt(), 2);
    QVERIFY(hasHeader(third, "Retry-After"));

    // Reading is still allowed: only the content bucket is exhausted (agent bucket: 4 used of 5).
    const Response read = h.get(QStringLiteral("/api/v1/agents/me"), auth);
    QCOMPARE(read.status, 200);
    QCOMPARE(headerOf(read, "X-RateLimit-Limit"), QByteArray("5"));
    QCOMPARE(headerOf(read, "X-RateLimit-Remaining"), QByteArray("1"));
    QCOMPARE(h.handlerCalls.load(), 3);
}

void tst_PipelineRateLimit::registrationBucket()
{
    Harness h;
    h.config.rateLimits.registrationPerIp = 2;
    h.config.rateLimits.publicPerIp = 100;
    const QString reg = QStringLiteral("/api/v1/auth/agents/register");
    const Response first = h.post(reg);
    QCOMPARE(first.status, 200);
    QCOMPARE(headerOf(first, "X-RateLimit-Limit"), QByteArray("2"));
    QCOMPARE(h.post(reg).status, 200);
    const Response third = h.post(reg);
    QCOMPARE(third.status, 429);
    QCOMPARE(headerOf(third, "X-RateLimit-Limit"), QByteArray("2"));
    // Per IP, and separate from the general public bucket.
    QCOMPARE(h.post(reg, {}, QStringLiteral("198.51.100.9")).status, 200);
    const Response browse = h.get(QStringLiteral("/api/v1/problems"));
    QCOMPARE(browse.status, 200);
    QCOMPARE(headerOf(browse, "X-RateLimit-Limit"), QByteArray("100"));
    QCOMPARE(headerOf(browse, "X-RateLimit-Remaining"), QByteArray("99"));
}

void tst_PipelineRateLimit::exemptRoutes()
{
    Harness h;
    h.config.rateLimits.publicPerIp = 1;
    for (int i = 0; i < 10; ++i) {
        const Response res = h.get(QStringLiteral("/api/v1/health"), i % 2 ? QByteArray("Bearer nope") : QByteArray());
        QCOMPARE(res.status, 200);
        QVERIFY(!hasHeader(res, "X-RateLimit-Limit"));
        QVERIFY(!hasHeader(res, "X-RateLimit-Remaining"));
        QVERIFY(!hasHeader(res, "X-RateLimit-Reset"));
        QCOMPARE(headerOf(res, "X-Frame-Options"), QByteArray("DENY"));
    }
    QCOMPARE(h.authCalls.load(), 0);
    QVERIFY(!h.lastCaller);
    // Probes did not use up the public bucket.
    QCOMPARE(h.get(QStringLiteral("/api/v1/problems")).status, 200);
}

void tst_PipelineRateLimit::rateLimitsDisabled()
{
    Harness h;
    h.config.rateLimits.enabled = false;
    h.config.rateLimits.publicPerIp = 1;
    for (int i = 0; i < 5; ++i) {
        const Response res = h.get(QStringLiteral("/api/v1/problems"));
        QCOMPARE(res.status, 200);
        QVERIFY(!hasHeader(res, "X-RateLimit-Limit"));
    }
}

void tst_PipelineRateLimit::authFailureCarriesRateLimitHeaders()
{
    // api.md §4: "Every response carries X-RateLimit-…" and anonymous callers are limited per IP.
    // Authentication runs before rate limiting and a failure returns straight away, so 401/403
    // responses carry no rate headers and invalid-key attempts are never counted.
    Harness h;
    h.config.rateLimits.publicPerIp = 2;
    const Response first = h.get(QStringLiteral("/api/v1/agents/me"), "Bearer guess-0");
    QCOMPARE(first.status, 401);
    (void)h.get(QStringLiteral("/api/v1/agents/me"), "Bearer guess-1");
    const Response third = h.get(QStringLiteral("/api/v1/agents/me"), "Bearer guess-2");
    QCOMPARE(headerOf(first, "X-RateLimit-Limit"), QByteArray("2"));
    QCOMPARE(headerOf(first, "X-RateLimit-Remaining"), QByteArray("1"));
    QCOMPARE(third.status, 429); // key guessing is limited like any anonymous traffic
}

void tst_PipelineRateLimit::forwardedFor_data()
{
    QTest::addColumn<QString>("peer");
    QTest::addColumn<QByteArray>("xff"); // null = absent
    QTest::addColumn<QStringList>("trusted");
    QTest::addColumn<QString>("clientIp");

    const QStringList proxies{QStringLiteral("10.0.0.2"), QStringLiteral("10.0.0.3")};
    QTest::newRow("no proxy configured") << "203.0.113.5" << QByteArray("1.2.3.4") << QStringList{} << "203.0.113.5";
    QTest::newRow("untrusted peer spoofing") << "203.0.113.5" << QByteArray("1.2.3.4") << proxies << "203.0.113.5";
    QTest::newRow("trusted proxy") << "10.0.0.2" << QByteArray("1.2.3.4") << proxies << "1.2.3.4";
    QTest::newRow("rightmost untrusted hop") << "10.0.0.2" << QByteArray("6.6.6.6, 1.2.3.4") << proxies << "1.2.3.4";
    QTest::newRow("skips trusted hops") << "10.0.0.2" << QByteArray("1.2.3.4,10.0.0.3") << proxies << "1.2.3.4";
    QTest::newRow("spaces") << "10.0.0.2" << QByteArray("  1.2.3.4  ,  10.0.0.3 ") << proxies << "1.2.3.4";
    QTest::newRow("trusted proxy, no header") << "10.0.0.2" << QByteArray() << proxies << "10.0.0.2";
    QTest::newRow("only trusted hops") << "10.0.0.2" << QByteArray("10.0.0.3") << proxies << "10.0.0.2";
    QTest::newRow("v6 client") << "10.0.0.2" << QByteArray("2001:db8::7") << proxies << "2001:db8::7";
    QTest::newRow("v6 proxy") << "fd00::1" << QByteArray("1.2.3.4") << QStringList{QStringLiteral("fd00::1")} << "1.2.3.4";
}

void tst_PipelineRateLimit::forwardedFor()
{
    QFETCH(QString, peer);
    QFETCH(QByteArray, xff);
    QFETCH(QStringList, trusted);
    QFETCH(QString, clientIp);
    Harness h;
    h.config.trustedProxies = trusted;
    Sent s;
    s.path = QStringLiteral("/api/v1/problems");
    s.peer = peer;
    if (!xff.isNull())
        s.headers.insert("x-forwarded-for", xff);
    const Response res = h.send(s);
    QCOMPARE(res.status, 200);
    QCOMPARE(h.lastClientIp, clientIp);
}

void tst_PipelineRateLimit::forwardedForKeysTheBucket()
{
    Harness h;
    h.config.trustedProxies = {QStringLiteral("10.0.0.2")};
    h.config.rateLimits.publicPerIp = 1;
    const auto viaProxy = [&h](const QByteArray &client) {
        Sent s;
        s.path = QStringLiteral("/api/v1/problems");
        s.peer = QStringLiteral("10.0.0.2");
        s.headers.insert("x-forwarded-for", client);
        return h.send(s).status;
    };
    QCOMPARE(viaProxy("1.1.1.1"), 200);
    QCOMPARE(viaProxy("2.2.2.2"), 200); // not the proxy's bucket
    QCOMPARE(viaProxy("1.1.1.1"), 429);
    // An untrusted client cannot escape its bucket by sending the header.
    Sent direct;
    direct.path = QStringLiteral("/api/v1/problems");
    direct.peer = QStringLiteral("198.51.100.20");
    QCOMPARE(h.send(direct).status, 200);
    direct.headers.insert("x-forwarded-for", "9.9.9.9");
    QCOMPARE(h.send(direct).status, 429);
}

QTEST_GUILESS_MAIN(tst_PipelineRateLimit)
#include "tst_pipelineratelimit.moc"
