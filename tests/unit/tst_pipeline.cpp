// The middleware chain without a database or sockets: request ids, security headers, 404/405,
// authentication, rate limits (tiers, override, content and registration buckets, exempt routes),
// trusted proxies, metrics, exceptions, the gate, and the request-pool hand-off.
// Handlers are RouteOptions{usesDatabase=false} lambdas; the rate limiter runs on a fake clock.

#include "server/core/ids.h"
#include "server/core/metrics.h"
#include "server/http/envelope.h"
#include "server/http/pipeline.h"
#include "server/http/ratelimiter.h"
#include "server/http/requestpool.h"

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTest>

#include <atomic>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

using namespace bw;
using namespace bw::http;

namespace {
std::atomic<qint64> g_now{0};
qint64 fakeNow() { return g_now.load(); }
constexpr qint64 kWindowStart = 1'700'000'040; // a multiple of 60
constexpr qint64 kReset = kWindowStart + 60;

QByteArray headerOf(const Response &r, const QByteArray &name)
{
    for (const auto &[n, v] : r.headers)
        if (n.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    return {};
}
bool hasHeader(const Response &r, const QByteArray &name)
{
    for (const auto &[n, v] : r.headers)
        if (n.compare(name, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}
QJsonObject bodyOf(const Response &r) { return QJsonDocument::fromJson(r.body).object(); }
QString codeOf(const Response &r) { return bodyOf(r).value("error").toObject().value("code").toString(); }
QString messageOf(const Response &r) { return bodyOf(r).value("error").toObject().value("message").toString(); }

RouteOptions opts(Auth auth, RateClass rate = RateClass::Standard)
{
    RouteOptions o;
    o.auth = auth;
    o.rate = rate;
    o.usesDatabase = false;
    return o;
}

struct Sent {
    QByteArray method = "GET";
    QString path;
    QHash<QByteArray, QByteArray> headers;
    QString peer = QStringLiteral("203.0.113.7");
};
} // namespace

// One pipeline with a router shaped like the API, fake authenticator and counters of what ran.
class Harness final {
public:
    Config config;
    Router router;
    InMemoryRateLimiter limiter{&fakeNow};
    MetricsRegistry metrics;
    std::function<std::optional<ApiError>(const Request &)> gate;
    RequestPool *pool = nullptr;

    std::atomic<int> handlerCalls{0};
    std::atomic<int> authCalls{0};
    QStringList keysSeen;
    std::shared_ptr<domain::Caller> lastCaller;
    QString lastClientIp;

    Harness()
    {
        const auto echo = [this](Request &req) {
            ++handlerCalls;
            lastCaller = req.caller;
            lastClientIp = req.clientIp;
            QJsonObject params;
            for (auto it = req.params.cbegin(); it != req.params.cend(); ++it)
                params.insert(it.key(), it.value());
            return ok(req, QJsonObject{{"route", req.route},
                                       {"agentId", req.caller ? QJsonValue(req.caller->agentId) : QJsonValue()},
                                       {"clientIp", req.clientIp},
                                       {"params", params}});
        };
        router.add("GET", "/api/v1/agents/me", opts(Auth::Agent), echo);
        router.add("GET", "/api/v1/problems", opts(Auth::None), echo);
        router.add("POST", "/api/v1/problems", opts(Auth::Agent, RateClass::Content), echo);
        router.add("GET", "/api/v1/problems/:id", opts(Auth::None), echo);
        router.add("POST", "/api/v1/auth/agents/register", opts(Auth::None, RateClass::Registration), echo);
        router.add("GET", "/api/v1/health", opts(Auth::None, RateClass::Exempt), echo);
        RouteOptions big = opts(Auth::Agent);
        big.maxBodyBytes = 4096;
        router.add("PUT", "/api/v1/uploads", big, echo);
        router.add("GET", "/boom", opts(Auth::None), [this](Request &) -> Response {
            ++handlerCalls;
            throw std::runtime_error("db exploded: password=hunter2 at 10.9.8.7");
        });
        router.add("GET", "/boom2", opts(Auth::None), [this](Request &) -> Response {
            ++handlerCalls;
            throw 42;
        });
        RouteOptions db = opts(Auth::None);
        db.usesDatabase = true;
        router.add("GET", "/api/v1/db", db, [this](Request &req) {
            ++handlerCalls;
            return ok(req, QJsonValue(QStringLiteral("from pool")));
        });
    }

    Result<domain::Caller> authenticate(const QString &key)
    {
        ++authCalls;
        keysSeen << key;
        domain::Caller c;
        c.agentId = QStringLiteral("agent-") + key;
        c.username = key;
        if (key == u"key-pending") c.claimStatus = QStringLiteral("pending");
        else if (key == u"key-claimed") c.claimStatus = QStringLiteral("claimed");
        else if (key == u"key-verified" || key == u"key-verified-2") c.claimStatus = QStringLiteral("verified");
        else if (key == u"key-odd-status") c.claimStatus = QStringLiteral("mystery");
        else if (key == u"key-override") { c.claimStatus = QStringLiteral("verified"); c.rateLimitOverride = 2; }
        else if (key == u"key-override-high") { c.claimStatus = QStringLiteral("pending"); c.rateLimitOverride = 1000; }
        else if (key == u"key-deprecated") { c.claimStatus = QStringLiteral("verified"); c.usedDeprecatedKey = true; }
        else if (key == u"key-deactivated") return ApiError::forbidden(QStringLiteral("Agent is deactivated"));
        else return ApiError::make(ErrorKind::ApiKeyInvalid, QStringLiteral("Invalid API key"));
        return c;
    }

    Pipeline &pipeline()
    {
        if (!m_pipeline) {
            PipelineDeps deps;
            deps.router = &router;
            deps.rateLimiter = &limiter;
            deps.pool = pool;
            deps.metrics = &metrics;
            deps.authenticate = [this](const QString &key) { return authenticate(key); };
            deps.gate = gate;
            m_pipeline = std::make_unique<Pipeline>(config, std::move(deps));
        }
        return *m_pipeline;
    }

    static Request build(const Sent &s)
    {
        Request req;
        req.method = s.method;
        req.path = s.path;
        req.target = s.path.toLatin1();
        req.headers = s.headers;
        req.peerIp = s.peer;
        req.timer.start();
        return req;
    }

    // Synchronous path (pool == nullptr or usesDatabase == false): exactly one response, inline.
    Response send(const Sent &s)
    {
        int calls = 0;
        Response out;
        pipeline().handle(build(s), [&](Response r) {
            ++calls;
            out = std::move(r);
        });
        if (calls != 1)
            qFatal("respond called %d times for %s %s", calls, s.method.constData(), qPrintable(s.path));
        return out;
    }
    Response get(const QString &path, const QByteArray &authorization = {}, const QString &peer = QStringLiteral("203.0.113.7"))
    {
        Sent s;
        s.path = path;
        s.peer = peer;
        if (!authorization.isEmpty())
            s.headers.insert("authorization", authorization);
        return send(s);
    }
    Response post(const QString &path, const QByteArray &authorization = {}, const QString &peer = QStringLiteral("203.0.113.7"))
    {
        Sent s;
        s.method = "POST";
        s.path = path;
        s.peer = peer;
        if (!authorization.isEmpty())
            s.headers.insert("authorization", authorization);
        return send(s);
    }

private:
    std::unique_ptr<Pipeline> m_pipeline;
};

class tst_Pipeline : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void requestId_data();
    void requestId();
    void freshRequestIdsDiffer();
    void securityHeaders_data();
    void securityHeaders();
    void notFound();
    void methodNotAllowed();
    void headServedByGet();
    void auth_data();
    void auth();
    void callerReachesHandler();
    void deprecatedKeyHeader();
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
    void metricsCounted();
    void metricsLabelsBounded();
    void handlerThrows_data();
    void handlerThrows();
    void gateRefuses();
    void transportRejection();
    void cors();
    void corsPreflight_data();
    void corsPreflight();
    void bodyLimit();
    void poolHandOff();
    void poolFullSheds();
};

void tst_Pipeline::initTestCase()
{
    // The access log is not under test here; keep the output readable.
    QLoggingCategory::setFilterRules(QStringLiteral("bw.http.access.info=false\nbw.http.error.critical=false"));
}

void tst_Pipeline::init() { g_now = kWindowStart + 15; }

void tst_Pipeline::requestId_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("echoed");

    QTest::newRow("simple") << QByteArray("req-abc-123") << true;
    QTest::newRow("uuid") << QByteArray("6f1c1b7e-8d4e-4b8a-9a43-0c2b5e1f9a10") << true;
    QTest::newRow("punctuation") << QByteArray("a.b_c:d/e+f=g~!") << true;
    QTest::newRow("exactly 128") << QByteArray(128, 'r') << true;
    QTest::newRow("129 chars") << QByteArray(129, 'r') << false;
    QTest::newRow("very long") << QByteArray(10000, 'r') << false;
    QTest::newRow("control char") << QByteArray("abc\x01") << false;
    QTest::newRow("newline") << QByteArray("abc\r\nX-Injected: 1") << false;
    QTest::newRow("tab") << QByteArray("a\tb") << false;
    QTest::newRow("DEL") << QByteArray("abc\x7f") << false;
    QTest::newRow("non-ascii") << QByteArray("caf\xc3\xa9") << false;
    QTest::newRow("absent") << QByteArray() << false;
}

void tst_Pipeline::requestId()
{
    QFETCH(QByteArray, header);
    QFETCH(bool, echoed);
    Harness h;
    Sent s;
    s.path = QStringLiteral("/api/v1/problems");
    if (!header.isNull())
        s.headers.insert("x-request-id", header);
    const Response res = h.send(s);
    QCOMPARE(res.status, 200);
    const QByteArray id = headerOf(res, "X-Request-ID");
    QCOMPARE(bodyOf(res).value("requestId").toString(), QString::fromLatin1(id));
    if (echoed)
        QCOMPARE(id, header);
    else
        QVERIFY2(ids::isUuid(QString::fromLatin1(id)), id.constData());

    // Error responses carry it too.
    s.path = QStringLiteral("/nope");
    const Response err = h.send(s);
    QCOMPARE(err.status, 404);
    QCOMPARE(bodyOf(err).value("requestId").toString(), QString::fromLatin1(headerOf(err, "X-Request-ID")));
    if (echoed)
        QCOMPARE(headerOf(err, "X-Request-ID"), header);
    QCOMPARE(requestIdFor(header) == QString::fromLatin1(header), echoed);
}

void tst_Pipeline::freshRequestIdsDiffer()
{
    Harness h;
    const QByteArray a = headerOf(h.get(QStringLiteral("/api/v1/problems")), "X-Request-ID");
    const QByteArray b = headerOf(h.get(QStringLiteral("/api/v1/problems")), "X-Request-ID");
    QVERIFY(ids::isUuid(QString::fromLatin1(a)));
    QVERIFY(a != b);
}

void tst_Pipeline::securityHeaders_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("noStore");

    QTest::newRow("200 public") << QByteArray("GET") << "/api/v1/problems" << QByteArray() << 200 << false;
    QTest::newRow("200 authenticated") << QByteArray("GET") << "/api/v1/agents/me" << QByteArray("Bearer key-verified") << 200 << true;
    QTest::newRow("content route") << QByteArray("POST") << "/api/v1/problems" << QByteArray("Bearer key-verified") << 200 << true;
    QTest::newRow("401") << QByteArray("GET") << "/api/v1/agents/me" << QByteArray() << 401 << false;
    QTest::newRow("403") << QByteArray("GET") << "/api/v1/agents/me" << QByteArray("Bearer key-deactivated") << 403 << false;
    QTest::newRow("404") << QByteArray("GET") << "/missing" << QByteArray() << 404 << false;
    QTest::newRow("405") << QByteArray("DELETE") << "/api/v1/problems" << QByteArray() << 405 << false;
    QTest::newRow("500") << QByteArray("GET") << "/boom" << QByteArray() << 500 << false;
    QTest::newRow("exempt") << QByteArray("GET") << "/api/v1/health" << QByteArray() << 200 << false;
}

void tst_Pipeline::securityHeaders()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, authorization);
    QFETCH(int, status);
    QFETCH(bool, noStore);
    Harness h;
    Sent s;
    s.method = method;
    s.path = path;
    if (!authorization.isEmpty())
        s.headers.insert("authorization", authorization);
    const Response res = h.send(s);
    QCOMPARE(res.status, status);
    QCOMPARE(headerOf(res, "X-Content-Type-Options"), QByteArray("nosniff"));
    QCOMPARE(headerOf(res, "X-Frame-Options"), QByteArray("DENY"));
    QCOMPARE(headerOf(res, "Referrer-Policy"), QByteArray("strict-origin-when-cross-origin"));
    QCOMPARE(headerOf(res, "Content-Security-Policy"), QByteArray("default-src 'none'"));
    QVERIFY(hasHeader(res, "X-Request-ID"));
    QCOMPARE(headerOf(res, "Cache-Control") == "no-store", noStore);
    QCOMPARE(res.contentType, QByteArray("application/json"));
}

void tst_Pipeline::notFound()
{
    Harness h;
    const Response res = h.get(QStringLiteral("/x"));
    QCOMPARE(res.status, 404);
    QCOMPARE(codeOf(res), QStringLiteral("NOT_FOUND"));
    QCOMPARE(messageOf(res), QStringLiteral("Route GET /x not found"));
    QCOMPARE(bodyOf(res).value("ok"), QJsonValue(false));
    QVERIFY(!hasHeader(res, "Allow"));
    const Response post = h.post(QStringLiteral("/api/v1/nothing/here"));
    QCOMPARE(messageOf(post), QStringLiteral("Route POST /api/v1/nothing/here not found"));
    QCOMPARE(h.handlerCalls.load(), 0);
}

void tst_Pipeline::methodNotAllowed()
{
    Harness h;
    Sent s;
    s.method = "DELETE";
    s.path = QStringLiteral("/api/v1/problems");
    const Response res = h.send(s);
    QCOMPARE(res.status, 405);
    QCOMPARE(codeOf(res), QStringLiteral("METHOD_NOT_ALLOWED"));
    QByteArrayList allow = headerOf(res, "Allow").split(',');
    for (QByteArray &m : allow)
        m = m.trimmed();
    std::sort(allow.begin(), allow.end());
    QCOMPARE(allow, QByteArrayList({"GET", "HEAD", "POST"}));

    s.path = QStringLiteral("/api/v1/auth/agents/register");
    s.method = "GET";
    const Response postOnly = h.send(s);
    QCOMPARE(postOnly.status, 405);
    QCOMPARE(headerOf(postOnly, "Allow"), QByteArray("POST"));
    QCOMPARE(h.handlerCalls.load(), 0);
}

void tst_Pipeline::headServedByGet()
{
    Harness h;
    Sent s;
    s.method = "HEAD";
    s.path = QStringLiteral("/api/v1/problems/p7");
    const Response res = h.send(s);
    QCOMPARE(res.status, 200);
    QCOMPARE(bodyOf(res).value("data").toObject().value("params").toObject().value("id").toString(), QStringLiteral("p7"));
    QCOMPARE(h.handlerCalls.load(), 1);
}

void tst_Pipeline::auth_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("authorization"); // null = header absent
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("code");
    QTest::addColumn<bool>("authenticatorCalled");

    const QString agent = QStringLiteral("/api/v1/agents/me");
    const QString pub = QStringLiteral("/api/v1/problems");
    QTest::newRow("agent route, no header") << agent << QByteArray() << 401 << "UNAUTHORIZED" << false;
    QTest::newRow("agent route, empty header") << agent << QByteArray("") << 401 << "UNAUTHORIZED" << false;
    QTest::newRow("agent route, Basic") << agent << QByteArray("Basic dXNlcjpwYXNz") << 401 << "UNAUTHORIZED" << false;
    QTest::newRow("agent route, Bearer without key") << agent << QByteArray("Bearer") << 401 << "UNAUTHORIZED" << false;
    QTest::newRow("agent route, Bearer space") << agent << QByteArray("Bearer ") << 401 << "UNAUTHORIZED" << false;
    QTest::newRow("agent route, raw key") << agent << QByteArray("key-verified") << 401 << "UNAUTHORIZED" << false;
    QTest::newRow("agent route, unknown key") << agent << QByteArray("Bearer nope") << 401 << "API_KEY_INVALID" << true;
    QTest::newRow("agent route, deactivated") << agent << QByteArray("Bearer key-deactivated") << 403 << "FORBIDDEN" << true;
    QTest::newRow("agent route, valid") << agent << QByteArray("Bearer key-verified") << 200 << "" << true;
    QTest::newRow("public, no header") << pub << QByteArray() << 200 << "" << false;
    QTest::newRow("public, valid key") << pub << QByteArray("Bearer key-pending") << 200 << "" << true;
    QTest::newRow("public, unknown key") << pub << QByteArray("Bearer nope") << 401 << "API_KEY_INVALID" << true;
    QTest::newRow("public, Basic") << pub << QByteArray("Basic dXNlcjpwYXNz") << 401 << "UNAUTHORIZED" << false;
    QTest::newRow("public, deactivated") << pub << QByteArray("Bearer key-deactivated") << 403 << "FORBIDDEN" << true;
    QTest::newRow("exempt, unknown key ignored") << QStringLiteral("/api/v1/health") << QByteArray("Bearer nope") << 200 << ""
                                                 << false;
    QTest::newRow("exempt, Basic ignored") << QStringLiteral("/api/v1/health") << QByteArray("Basic x") << 200 << "" << false;
}

void tst_Pipeline::auth()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, authorization);
    QFETCH(int, status);
    QFETCH(QString, code);
    QFETCH(bool, authenticatorCalled);
    Harness h;
    Sent s;
    s.path = path;
    if (!authorization.isNull())
        s.headers.insert("authorization", authorization);
    const Response res = h.send(s);
    QCOMPARE(res.status, status);
    if (!code.isEmpty()) {
        QCOMPARE(codeOf(res), code);
        QVERIFY(!messageOf(res).isEmpty());
        QCOMPARE(h.handlerCalls.load(), 0);
    } else {
        QCOMPARE(h.handlerCalls.load(), 1);
    }
    QCOMPARE(h.authCalls.load() > 0, authenticatorCalled);
}

void tst_Pipeline::callerReachesHandler()
{
    Harness h;
    const Response res = h.get(QStringLiteral("/api/v1/agents/me"), "Bearer   key-claimed  ");
    QCOMPARE(res.status, 200);
    QCOMPARE(h.keysSeen, QStringList{QStringLiteral("key-claimed")}); // trimmed key
    QVERIFY(h.lastCaller);
    QCOMPARE(h.lastCaller->agentId, QStringLiteral("agent-key-claimed"));
    QCOMPARE(bodyOf(res).value("data").toObject().value("agentId").toString(), QStringLiteral("agent-key-claimed"));
    // Anonymous on a public route: no caller.
    QCOMPARE(h.get(QStringLiteral("/api/v1/problems")).status, 200);
    QVERIFY(!h.lastCaller);
}

void tst_Pipeline::deprecatedKeyHeader()
{
    Harness h;
    const Response old = h.get(QStringLiteral("/api/v1/agents/me"), "Bearer key-deprecated");
    QCOMPARE(old.status, 200);
    QCOMPARE(headerOf(old, "X-BW-Key-Deprecated"), QByteArray("true"));
    const Response current = h.get(QStringLiteral("/api/v1/agents/me"), "Bearer key-verified");
    QVERIFY(!hasHeader(current, "X-BW-Key-Deprecated"));
}

void tst_Pipeline::rateLimitHeaders()
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

void tst_Pipeline::tooManyRequests()
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

void tst_Pipeline::claimStatusTiers_data()
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

void tst_Pipeline::claimStatusTiers()
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

void tst_Pipeline::contentBucket()
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

void tst_Pipeline::registrationBucket()
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

void tst_Pipeline::exemptRoutes()
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

void tst_Pipeline::rateLimitsDisabled()
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

void tst_Pipeline::authFailureCarriesRateLimitHeaders()
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

void tst_Pipeline::forwardedFor_data()
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

void tst_Pipeline::forwardedFor()
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

void tst_Pipeline::forwardedForKeysTheBucket()
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

void tst_Pipeline::metricsCounted()
{
    Harness h;
    QCOMPARE(h.get(QStringLiteral("/api/v1/problems")).status, 200);
    QCOMPARE(h.get(QStringLiteral("/api/v1/problems")).status, 200);
    QCOMPARE(h.get(QStringLiteral("/api/v1/problems/p1")).status, 200);
    QCOMPARE(h.get(QStringLiteral("/nope")).status, 404);
    QCOMPARE(h.get(QStringLiteral("/api/v1/agents/me")).status, 401);

    QMap<QString, double> counts;
    for (const auto &[labels, value] : h.metrics.series(QStringLiteral("http_requests_total"))) {
        QStringList parts;
        for (const auto &[k, v] : labels)
            parts << k + u'=' + v;
        counts.insert(parts.join(u','), value);
    }
    QCOMPARE(counts.value("method=GET,route=/api/v1/problems,status=200"), 2.0);
    // Labelled by route pattern, not by raw path.
    QCOMPARE(counts.value("method=GET,route=/api/v1/problems/:id,status=200"), 1.0);
    QCOMPARE(counts.value("method=GET,route=unmatched,status=404"), 1.0);
    QCOMPARE(counts.value("method=GET,route=/api/v1/agents/me,status=401"), 1.0);
    QCOMPARE(counts.size(), 4);
    QCOMPARE(h.metrics.sum(QStringLiteral("http_requests_total")), 5.0);
    QCOMPARE(h.metrics.mergedHistogram(QStringLiteral("http_request_duration_seconds")).count, quint64(5));
    const QByteArray text = h.metrics.renderPrometheus();
    QVERIFY(text.contains("http_requests_total{method=\"GET\",route=\"/api/v1/problems\",status=\"200\"} 2\n"));
}

void tst_Pipeline::metricsLabelsBounded()
{
    // The method label comes from the client. Unknown methods on unknown paths must not create a
    // new time series each (memory grows without bound; Prometheus cardinality explosion).
    Harness h;
    for (int i = 0; i < 50; ++i) {
        Sent s;
        s.method = "M" + QByteArray::number(i);
        s.path = QStringLiteral("/nope");
        QCOMPARE(h.send(s).status, 404);
    }
    const size_t series = h.metrics.series(QStringLiteral("http_requests_total")).size();
    QVERIFY2(series <= 2, qPrintable(QString::number(series)));
}

void tst_Pipeline::handlerThrows_data()
{
    QTest::addColumn<QString>("path");
    QTest::newRow("std::exception") << "/boom";
    QTest::newRow("non-standard") << "/boom2";
}

void tst_Pipeline::handlerThrows()
{
    QFETCH(QString, path);
    Harness h;
    const Response res = h.get(path);
    QCOMPARE(h.handlerCalls.load(), 1);
    QCOMPARE(res.status, 500);
    QCOMPARE(codeOf(res), QStringLiteral("INTERNAL_ERROR"));
    QCOMPARE(messageOf(res), QStringLiteral("An unexpected error occurred"));
    QVERIFY(!res.body.contains("hunter2"));
    QVERIFY(!res.body.contains("exploded"));
    QVERIFY(!res.body.contains("10.9.8.7"));
    QVERIFY(!bodyOf(res).value("error").toObject().contains("details"));
    QVERIFY(ids::isUuid(bodyOf(res).value("requestId").toString()));
    QCOMPARE(h.metrics.sum(QStringLiteral("http_requests_total")), 1.0);
}

void tst_Pipeline::gateRefuses()
{
    Harness h;
    int gateCalls = 0;
    QString gatedRoute;
    h.gate = [&](const Request &req) -> std::optional<ApiError> {
        ++gateCalls;
        gatedRoute = req.route;
        return ApiError::unavailable(QStringLiteral("Maintenance in progress"));
    };
    const Response res = h.get(QStringLiteral("/api/v1/agents/me"), "Bearer key-verified");
    QCOMPARE(res.status, 503);
    QCOMPARE(codeOf(res), QStringLiteral("SERVICE_UNAVAILABLE"));
    QCOMPARE(messageOf(res), QStringLiteral("Maintenance in progress"));
    QVERIFY(!headerOf(res, "Retry-After").isEmpty());
    QVERIFY(headerOf(res, "Retry-After").toInt() > 0);
    QCOMPARE(headerOf(res, "X-Frame-Options"), QByteArray("DENY"));
    QCOMPARE(gateCalls, 1);
    QCOMPARE(gatedRoute, QStringLiteral("/api/v1/agents/me"));
    QCOMPARE(h.handlerCalls.load(), 0);
    QCOMPARE(h.authCalls.load(), 0);

    // A gate that lets requests through.
    Harness open;
    open.gate = [](const Request &) -> std::optional<ApiError> { return std::nullopt; };
    QCOMPARE(open.get(QStringLiteral("/api/v1/problems")).status, 200);
}

void tst_Pipeline::transportRejection()
{
    Harness h;
    Sent s;
    s.method = "POST";
    s.path = QStringLiteral("/api/v1/problems");
    Request req = Harness::build(s);
    req.rejection = ApiError::make(ErrorKind::PayloadTooLarge, QStringLiteral("Body exceeds 1048576 bytes"));
    Response out;
    int calls = 0;
    h.pipeline().handle(std::move(req), [&](Response r) {
        ++calls;
        out = std::move(r);
    });
    QCOMPARE(calls, 1);
    QCOMPARE(out.status, 413);
    QCOMPARE(codeOf(out), QStringLiteral("PAYLOAD_TOO_LARGE"));
    QCOMPARE(headerOf(out, "X-Content-Type-Options"), QByteArray("nosniff"));
    QVERIFY(hasHeader(out, "X-Request-ID"));
    QCOMPARE(h.handlerCalls.load(), 0);
    QCOMPARE(h.authCalls.load(), 0);
}

void tst_Pipeline::cors()
{
    Harness h;
    h.config.corsOrigins = {QStringLiteral("https://console.example")};
    Sent s;
    s.path = QStringLiteral("/api/v1/problems");
    s.headers.insert("origin", "https://console.example");
    const Response allowed = h.send(s);
    QCOMPARE(headerOf(allowed, "Access-Control-Allow-Origin"), QByteArray("https://console.example"));
    QCOMPARE(headerOf(allowed, "Vary"), QByteArray("Origin"));
    s.headers.insert("origin", "https://evil.example");
    const Response refused = h.send(s);
    QVERIFY(!hasHeader(refused, "Access-Control-Allow-Origin"));
    s.headers.remove("origin");
    QVERIFY(!hasHeader(h.send(s), "Access-Control-Allow-Origin"));
}

void tst_Pipeline::corsPreflight_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("origin"); // null = no Origin header
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArrayList>("allow"); // sorted, without OPTIONS; empty = no Allow header
    QTest::addColumn<bool>("corsHeaders");

    const QByteArrayList collection{"GET", "HEAD", "POST"};
    QTest::newRow("allowed origin") << "/api/v1/problems" << QByteArray("https://console.example") << 204 << collection << true;
    QTest::newRow("other origin") << "/api/v1/problems" << QByteArray("https://evil.example") << 204 << collection << false;
    QTest::newRow("no origin") << "/api/v1/problems" << QByteArray() << 204 << collection << false;
    QTest::newRow("param route") << "/api/v1/problems/p1" << QByteArray("https://console.example") << 204
                                 << QByteArrayList{"GET", "HEAD"} << true;
    QTest::newRow("unknown path") << "/api/v1/nothing" << QByteArray("https://console.example") << 404 << QByteArrayList{}
                                  << false;
}

void tst_Pipeline::corsPreflight()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, origin);
    QFETCH(int, status);
    QFETCH(QByteArrayList, allow);
    QFETCH(bool, corsHeaders);
    Harness h;
    h.config.corsOrigins = {QStringLiteral("https://console.example")};
    Sent s;
    s.method = "OPTIONS";
    s.path = path;
    if (!origin.isNull())
        s.headers.insert("origin", origin);
    s.headers.insert("access-control-request-method", "POST");
    const Response res = h.send(s);
    QCOMPARE(res.status, status);
    QCOMPARE(h.handlerCalls.load(), 0);
    QCOMPARE(h.authCalls.load(), 0);
    QCOMPARE(headerOf(res, "X-Content-Type-Options"), QByteArray("nosniff"));
    const auto split = [](const QByteArray &v) {
        QByteArrayList out;
        for (const QByteArray &m : v.split(','))
            if (!m.trimmed().isEmpty())
                out << m.trimmed();
        std::sort(out.begin(), out.end());
        return out;
    };
    if (allow.isEmpty()) {
        QVERIFY(!hasHeader(res, "Allow"));
    } else {
        QByteArrayList withOptions = allow;
        withOptions << "OPTIONS";
        std::sort(withOptions.begin(), withOptions.end());
        QCOMPARE(split(headerOf(res, "Allow")), withOptions);
        QVERIFY(res.body.isEmpty() || status != 204);
    }
    // Any response to an allow-listed origin names it (errors too, so that browsers can read them);
    // the preflight headers come only with a 204 for such an origin.
    const bool allowedOrigin = origin == "https://console.example";
    QCOMPARE(headerOf(res, "Access-Control-Allow-Origin"), allowedOrigin ? origin : QByteArray());
    QCOMPARE(hasHeader(res, "Access-Control-Allow-Methods"), corsHeaders);
    if (corsHeaders) {
        QCOMPARE(split(headerOf(res, "Access-Control-Allow-Methods")), allow);
        const QByteArray headers = headerOf(res, "Access-Control-Allow-Headers").toLower();
        QVERIFY2(headers.contains("authorization") && headers.contains("content-type"), headers.constData());
        QVERIFY(headerOf(res, "Access-Control-Max-Age").toInt() > 0);
    }
}

void tst_Pipeline::bodyLimit()
{
    Harness h;
    h.config.maxBodyBytes = 100000;
    QCOMPARE(h.pipeline().bodyLimit("PUT", QStringLiteral("/api/v1/uploads")), qint64(4096));
    QCOMPARE(h.pipeline().bodyLimit("POST", QStringLiteral("/api/v1/problems")), qint64(100000));
    QCOMPARE(h.pipeline().bodyLimit("POST", QStringLiteral("/unknown")), qint64(100000));
}

void tst_Pipeline::poolHandOff()
{
    Harness h; // outlives the pool: queued tasks refer to its pipeline
    RequestPool pool(1, 4);
    h.pool = &pool;
    Sent s;
    s.path = QStringLiteral("/api/v1/db");
    std::promise<std::pair<Response, std::thread::id>> done;
    auto future = done.get_future();
    h.pipeline().handle(Harness::build(s), [&done](Response r) { done.set_value({std::move(r), std::this_thread::get_id()}); });
    QCOMPARE(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    const auto [res, thread] = future.get();
    QCOMPARE(res.status, 200);
    QCOMPARE(bodyOf(res).value("data").toString(), QStringLiteral("from pool"));
    QVERIFY(thread != std::this_thread::get_id()); // ran on the pool
    QVERIFY(hasHeader(res, "X-RateLimit-Limit"));
    QVERIFY(hasHeader(res, "X-Request-ID"));

    // Routes without the database stay on the calling (I/O) thread even with a pool.
    std::thread::id inlineThread;
    s.path = QStringLiteral("/api/v1/problems");
    h.pipeline().handle(Harness::build(s), [&inlineThread](Response) { inlineThread = std::this_thread::get_id(); });
    QCOMPARE(inlineThread, std::this_thread::get_id());
    pool.stop();
}

void tst_Pipeline::poolFullSheds()
{
    Harness h; // outlives the pool: queued tasks refer to its pipeline
    std::atomic<int> queuedResponses{0};
    std::atomic<bool> blocking{false};
    RequestPool pool(1, 1);
    h.pool = &pool;
    // Occupy the only thread, then fill the one queue slot. (A destroyed promise also releases it.)
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    QVERIFY(pool.trySubmit([released, &blocking] {
        blocking = true;
        released.wait();
    }));
    QTRY_VERIFY(blocking.load());
    Sent s;
    s.path = QStringLiteral("/api/v1/db");
    h.pipeline().handle(Harness::build(s), [&queuedResponses](Response r) {
        if (r.status == 200)
            ++queuedResponses;
    });
    QCOMPARE(pool.queued(), 1);

    // The next request is shed at once with 503 + Retry-After, on the calling thread.
    Response shed;
    int calls = 0;
    h.pipeline().handle(Harness::build(s), [&](Response r) {
        ++calls;
        shed = std::move(r);
    });
    QCOMPARE(calls, 1);
    QCOMPARE(shed.status, 503);
    QCOMPARE(codeOf(shed), QStringLiteral("SERVICE_UNAVAILABLE"));
    QCOMPARE(headerOf(shed, "Retry-After"), QByteArray("1"));
    QVERIFY(hasHeader(shed, "X-Request-ID"));

    release.set_value();
    QTRY_COMPARE(queuedResponses.load(), 1);
    pool.stop();
    QCOMPARE(h.handlerCalls.load(), 1);
}

QTEST_GUILESS_MAIN(tst_Pipeline)
#include "tst_pipeline.moc"
