// The middleware chain without a database or sockets: request ids, security headers, 404/405,
// authentication, metrics, exceptions, the gate, CORS, body limits and the request-pool hand-off.
// Rate limits and trusted proxies: tst_pipelineratelimit.
#include "pipelineharness.h"

#include <QScopeGuard>

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
    void bearerLookupOnPool();
};

void tst_Pipeline::initTestCase()
{
    // The access log is not under test here; keep the output readable.
    QLoggingCategory::setFilterRules(QStringLiteral("bw.http.access.info=false\nbw.http.error.critical=false"));
}

void tst_Pipeline::init()
{
    g_now = kWindowStart + 15;
}

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
    QTest::newRow("200 authenticated") << QByteArray("GET") << "/api/v1/agents/me" << QByteArray("Bearer key-verified") << 200
                                       << true;
    QTest::newRow("content route") << QByteArray("POST") << "/api/v1/problems" << QByteArray("Bearer key-verified") << 200
                                   << true;
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
    QTest::newRow("exempt, unknown key ignored")
        << QStringLiteral("/api/v1/health") << QByteArray("Bearer nope") << 200 << "" << false;
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

// An optional-auth route that needs no database (like /skill.md) still looks the key up: with a
// Bearer header the whole chain moves to the pool, so the I/O thread never runs that SQL.
void tst_Pipeline::bearerLookupOnPool()
{
    Harness h; // outlives the pool: queued tasks refer to its pipeline
    RequestPool pool(1, 4);
    h.pool = &pool;
    setCurrentThreadRole(ThreadRole::HttpIo); // this test thread plays the I/O thread
    const auto roleBack = qScopeGuard([] { setCurrentThreadRole(ThreadRole::Other); });
    Sent s;
    s.path = QStringLiteral("/api/v1/problems");
    s.headers.insert("authorization", "Bearer key-verified");
    std::promise<std::pair<Response, std::thread::id>> done;
    auto future = done.get_future();
    h.pipeline().handle(Harness::build(s), [&done](Response r) { done.set_value({std::move(r), std::this_thread::get_id()}); });
    QCOMPARE(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    const auto [res, thread] = future.get();
    QCOMPARE(res.status, 200);
    QCOMPARE(bodyOf(res).value("data").toObject().value("agentId").toString(), QStringLiteral("agent-key-verified"));
    QCOMPARE(h.authCalls.load(), 1);
    QVERIFY(h.authThread != std::this_thread::get_id());
    QCOMPARE(h.authThread, thread);
    QVERIFY(h.authRole == ThreadRole::Other);
    QCOMPARE(headerOf(res, "Cache-Control"), QByteArray("no-store")); // same headers as before the move
    QVERIFY(hasHeader(res, "X-RateLimit-Limit"));

    // An invalid key is still a 401 (now answered from the pool); no header stays on this thread.
    s.headers.insert("authorization", "Bearer nope");
    std::promise<Response> refused;
    auto refusedFuture = refused.get_future();
    h.pipeline().handle(Harness::build(s), [&refused](Response r) { refused.set_value(std::move(r)); });
    QCOMPARE(refusedFuture.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    QCOMPARE(refusedFuture.get().status, 401);
    s.headers.clear();
    std::thread::id inlineThread;
    h.pipeline().handle(Harness::build(s), [&inlineThread](Response) { inlineThread = std::this_thread::get_id(); });
    QCOMPARE(inlineThread, std::this_thread::get_id());
    pool.stop();
}

QTEST_GUILESS_MAIN(tst_Pipeline)
#include "tst_pipeline.moc"
