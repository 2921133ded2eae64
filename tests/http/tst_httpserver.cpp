// Transport behaviour of the Beast server, black-box over real sockets: limits, timeouts,
// keep-alive, pipelining, routing errors, request ids, drain.
#include "app/runtime.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace bw::test;

class tst_HttpServer : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    quint16 port() const { return m_server->port(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start([](bw::Config &c) {
            c.headerTimeoutMs = 1000;
            c.idleTimeoutMs = 1500;
            c.bodyTimeoutMs = 1500;
        }),
                 qPrintable(m_server->lastError()));
    }
    void cleanupTestCase() { QVERIFY(m_server->stop()); }

    void healthHasEnvelopeAndSecurityHeaders()
    {
        const HttpReply r = httpRequest(port(), "GET", "/health");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value("ok").toBool(), true);
        QCOMPARE(r.json().value("data").toObject().value("status").toString(), QStringLiteral("ok"));
        QVERIFY(r.json().value("data").toObject().value("timestamp").toString().endsWith(u'Z'));
        QCOMPARE(r.header("x-content-type-options"), QByteArray("nosniff"));
        QCOMPARE(r.header("x-frame-options"), QByteArray("DENY"));
        QCOMPARE(r.header("referrer-policy"), QByteArray("strict-origin-when-cross-origin"));
        QCOMPARE(r.header("content-security-policy"), QByteArray("default-src 'none'"));
        QCOMPARE(r.header("content-type"), QByteArray("application/json"));
        for (const char *alias : {"/healthz", "/api/v1/health"})
            QCOMPARE(httpRequest(port(), "GET", alias).status, 200);
    }

    void requestIdIsEchoedOrGenerated()
    {
        HttpReply r = httpRequest(port(), "GET", "/health", {}, {{"X-Request-ID", "trace-abc-123"}});
        QCOMPARE(r.header("x-request-id"), QByteArray("trace-abc-123"));
        QCOMPARE(r.json().value("requestId").toString(), QStringLiteral("trace-abc-123"));
        r = httpRequest(port(), "GET", "/health", {}, {{"X-Request-ID", QByteArray(200, 'a')}});
        QCOMPARE(r.header("x-request-id").size(), 36); // too long → fresh UUID
        r = httpRequest(port(), "GET", "/nope");
        QCOMPARE(r.json().value("requestId").toString().toLatin1(), r.header("x-request-id"));
    }

    void unknownRouteIs404AndWrongMethodIs405()
    {
        HttpReply r = httpRequest(port(), "GET", "/api/v1/nothing-here");
        QCOMPARE(r.status, 404);
        QCOMPARE(r.json().value("error").toObject().value("code").toString(), QStringLiteral("NOT_FOUND"));
        QCOMPARE(r.json().value("error").toObject().value("message").toString(),
                 QStringLiteral("Route GET /api/v1/nothing-here not found"));
        r = httpRequest(port(), "DELETE", "/health");
        QCOMPARE(r.status, 405);
        QVERIFY(r.header("allow").contains("GET"));
        QVERIFY(r.header("allow").contains("HEAD"));
        r = httpRequest(port(), "PUT", "/api/v1/problems");
        QCOMPARE(r.status, 405);
        QVERIFY(r.header("allow").contains("POST"));
    }

    void headHasHeadersButNoBody()
    {
        const HttpReply get = httpRequest(port(), "GET", "/health");
        HttpConnection c(port());
        auto head = c.request("HEAD", "/health");
        QVERIFY(head);
        QCOMPARE(head->status, 200);
        QVERIFY(head->body.isEmpty());
        QVERIFY(head->header("content-length").toInt() > 0);
        // The connection stays usable: no stray body bytes were sent.
        auto next = c.request("GET", "/health");
        QVERIFY(next);
        QCOMPARE(next->status, 200);
        QCOMPARE(next->body.size(), get.body.size());
    }

    void keepAliveReusesTheConnection()
    {
        HttpConnection c(port());
        for (int i = 0; i < 20; ++i) {
            auto r = c.request("GET", "/health");
            QVERIFY2(r, "connection dropped between keep-alive requests");
            QCOMPARE(r->status, 200);
        }
    }

    void pipelinedRequestsAnswerInOrder()
    {
        HttpConnection c(port());
        QByteArray batch;
        for (int i = 0; i < 5; ++i)
            batch += "GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: pipe-" + QByteArray::number(i) + "\r\n\r\n";
        batch += "GET /api/v1/problems HTTP/1.1\r\nHost: x\r\nX-Request-ID: pipe-db\r\n\r\n"; // goes through the pool
        batch += "GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: pipe-last\r\n\r\n";
        QVERIFY(c.send(batch));
        for (int i = 0; i < 5; ++i) {
            auto r = c.read();
            QVERIFY(r);
            QCOMPARE(r->header("x-request-id"), "pipe-" + QByteArray::number(i));
        }
        auto db = c.read();
        QVERIFY(db);
        QCOMPARE(db->header("x-request-id"), QByteArray("pipe-db"));
        QCOMPARE(db->status, 200);
        auto last = c.read();
        QVERIFY(last);
        QCOMPARE(last->header("x-request-id"), QByteArray("pipe-last"));
    }

    void oversizedBodyIs413BeforeReading()
    {
        HttpConnection c(port());
        // Announce 2 MiB but send nothing: the server must answer from the headers alone.
        QVERIFY(c.send("POST /api/v1/auth/agents/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 2097152\r\n\r\n"));
        auto r = c.read(3000);
        QVERIFY(r);
        QCOMPARE(r->status, 413);
        QCOMPARE(r->json().value("error").toObject().value("code").toString(), QStringLiteral("PAYLOAD_TOO_LARGE"));
        QVERIFY(c.waitForClose(3000));
    }

    void oversizedChunkedBodyIs413()
    {
        HttpConnection c(port());
        QByteArray chunk(64 * 1024, 'x');
        QByteArray raw = "POST /api/v1/auth/agents/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        QVERIFY(c.send(raw));
        int status = 0;
        for (int i = 0; i < 40 && status == 0; ++i) {
            if (!c.send(QByteArray::number(chunk.size(), 16) + "\r\n" + chunk + "\r\n"))
                break; // server may already have closed after answering
        }
        auto r = c.read(3000);
        QVERIFY(r);
        QCOMPARE(r->status, 413);
    }

    // RFC 9112 §6.1: only a final "chunked" frames a request body; anything else is refused, never
    // read as "no body" (which a proxy in front could frame differently: request smuggling).
    void unknownTransferCodingsAre400_data()
    {
        QTest::addColumn<QByteArray>("codings");
        QTest::newRow("unknown") << QByteArray("xchunked");
        QTest::newRow("chunked not last") << QByteArray("chunked, identity");
        QTest::newRow("gzip") << QByteArray("gzip");
        QTest::newRow("two fields") << QByteArray("chunked\r\nTransfer-Encoding: chunked");
    }
    void unknownTransferCodingsAre400()
    {
        QFETCH(QByteArray, codings);
        HttpConnection c(port());
        QVERIFY(c.send("POST /api/v1/auth/agents/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: "
                       + codings + "\r\n\r\n2\r\n{}\r\n0\r\n\r\n"));
        auto r = c.read(3000);
        QVERIFY(r);
        QCOMPARE(r->status, 400);
        QCOMPARE(r->json().value("error").toObject().value("code").toString(), QStringLiteral("BAD_REQUEST"));
        QVERIFY(c.waitForClose(3000));
    }

    void oversizedHeaderSectionIs431()
    {
        HttpConnection c(port());
        QVERIFY(c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + QByteArray(20 * 1024, 'a') + "\r\n\r\n"));
        auto r = c.read(3000);
        QVERIFY(r);
        QCOMPARE(r->status, 431);
    }

    void malformedJsonIs400()
    {
        HttpReply r = httpRequest(port(), "POST", "/api/v1/auth/agents/register", "{\"username\": ");
        QCOMPARE(r.status, 400);
        QCOMPARE(r.json().value("error").toObject().value("code").toString(), QStringLiteral("BAD_REQUEST"));
        r = httpRequest(port(), "POST", "/api/v1/auth/agents/register", "[1,2]");
        QCOMPARE(r.status, 400);
        const QByteArray deep = QByteArray(40, '[') + QByteArray(40, ']');
        r = httpRequest(port(), "POST", "/api/v1/auth/agents/register", "{\"a\":" + deep + "}");
        QCOMPARE(r.status, 400);
        QVERIFY(r.json().value("error").toObject().value("message").toString().contains(QStringLiteral("deeper")));
    }

    void malformedHttpIs400()
    {
        HttpConnection c(port());
        QVERIFY(c.send("THIS IS NOT HTTP\r\n\r\n"));
        auto r = c.read(3000);
        QVERIFY(r);
        QCOMPARE(r->status, 400);
        QVERIFY(c.waitForClose(3000));
    }

    void expectContinueIsHonoured()
    {
        HttpConnection c(port());
        const QByteArray body = "{\"username\":\"continue_agent\",\"framework\":\"custom\",\"specializations\":[\"elder_care\"]}";
        QVERIFY(c.send(
            "POST /api/v1/auth/agents/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
            "Content-Length: "
            + QByteArray::number(body.size()) + "\r\n\r\n"));
        auto interim = c.read(3000);
        QVERIFY(interim);
        QCOMPARE(interim->status, 100);
        QVERIFY(c.send(body));
        auto r = c.read(3000);
        QVERIFY(r);
        QCOMPARE(r->status, 201);
    }

    void slowHeadersAreCut()
    {
        // Slowloris: a few header bytes, then silence. headerTimeoutMs is 1 s here.
        HttpConnection c(port());
        QVERIFY(c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "));
        QElapsedTimer t;
        t.start();
        QVERIFY(c.waitForClose(5000));
        QVERIFY2(t.elapsed() < 4000, "slow client was not cut off in time");
        QVERIFY(t.elapsed() >= 800);
    }

    void slowBodyIsCut()
    {
        HttpConnection c(port());
        QVERIFY(c.send("POST /api/v1/auth/agents/register HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":"));
        QVERIFY(c.waitForClose(5000));
    }

    void idleKeepAliveIsClosed()
    {
        HttpConnection c(port());
        QVERIFY(c.request("GET", "/health"));
        QElapsedTimer t;
        t.start();
        QVERIFY(c.waitForClose(5000));
        QVERIFY(t.elapsed() >= 1200); // idle timeout 1.5 s, distinct from the 1 s header timeout
    }

    void activeConnectionsMetricMoves()
    {
        HttpConnection a(port()), b(port());
        QVERIFY(a.request("GET", "/health"));
        QVERIFY(b.request("GET", "/health"));
        const HttpReply m = httpRequest(port(), "GET", "/metrics");
        QCOMPARE(m.status, 200);
        QVERIFY(m.header("content-type").startsWith("text/plain; version=0.0.4"));
        const QByteArray text = m.body;
        const qsizetype at = text.indexOf("\nhttp_active_connections ");
        QVERIFY(at > 0);
        const int active = text.mid(at + 25, text.indexOf('\n', at + 1) - at - 25).toInt();
        QVERIFY2(active >= 3, text.mid(at, 40).constData());
        QVERIFY(text.contains("http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"}"));
        QVERIFY(text.contains("http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\",le=\"0.01\"}"));
        QVERIFY(text.contains("process_resident_memory_bytes"));
    }

    void fullRequestPoolSheds503()
    {
        // A server with one pool thread and a queue of one: a burst of DB-backed requests must get
        // fast 503s rather than waiting without bound.
        ApiServer small(m_pg);
        QVERIFY2(small.start([](bw::Config &c) {
            c.requestThreads = 1;
            c.requestQueueLimit = 1;
        }),
                 qPrintable(small.lastError()));
        std::vector<std::unique_ptr<HttpConnection>> conns;
        for (int i = 0; i < 40; ++i) {
            conns.push_back(std::make_unique<HttpConnection>(small.port()));
            QVERIFY(conns.back()->send("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n"));
        }
        int ok = 0, shed = 0;
        for (auto &c : conns) {
            auto r = c->read(10000);
            QVERIFY(r);
            if (r->status == 200)
                ++ok;
            else if (r->status == 503
                     && r->json().value("error").toObject().value("code") == QStringLiteral("SERVICE_UNAVAILABLE")) {
                ++shed;
                QCOMPARE(r->header("retry-after"), QByteArray("1"));
            }
        }
        QVERIFY(ok >= 1);
        QVERIFY2(shed >= 1, "expected some requests to be shed with 503");
        QCOMPARE(ok + shed, 40);
        QVERIFY(small.stop());
    }

    void corsFollowsTheAllowList()
    {
        ApiServer cors(m_pg);
        QVERIFY2(cors.start([](bw::Config &c) { c.corsOrigins = {QStringLiteral("https://console.example")}; }),
                 qPrintable(cors.lastError()));
        HttpReply r = httpRequest(cors.port(), "OPTIONS", "/api/v1/problems", {}, {{"Origin", "https://console.example"}});
        QCOMPARE(r.status, 204);
        QCOMPARE(r.header("access-control-allow-origin"), QByteArray("https://console.example"));
        QVERIFY(r.header("access-control-allow-methods").contains("POST"));
        QVERIFY(r.header("access-control-allow-headers").contains("Authorization"));
        r = httpRequest(cors.port(), "GET", "/api/v1/problems", {}, {{"Origin", "https://console.example"}});
        QCOMPARE(r.header("access-control-allow-origin"), QByteArray("https://console.example"));
        r = httpRequest(cors.port(), "GET", "/api/v1/problems", {}, {{"Origin", "https://evil.example"}});
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("access-control-allow-origin").isEmpty()); // no wildcard, no reflection
        r = httpRequest(cors.port(), "OPTIONS", "/api/v1/problems", {}, {{"Origin", "https://evil.example"}});
        QVERIFY(r.header("access-control-allow-methods").isEmpty());
        QVERIFY(cors.stop());
    }

    void gracefulDrainFinishesInFlightRequests()
    {
        ApiServer drained(m_pg);
        QVERIFY2(drained.start(), qPrintable(drained.lastError()));
        HttpConnection idle(drained.port());
        QVERIFY(idle.request("GET", "/health"));
        HttpConnection busy(drained.port());
        // Send headers of a request but hold back the body: the request is in flight during drain.
        const QByteArray body = "{\"username\":\"drain_agent\",\"framework\":\"custom\",\"specializations\":[\"elder_care\"]}";
        QVERIFY(busy.send("POST /api/v1/auth/agents/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: "
                          + QByteArray::number(body.size()) + "\r\n\r\n"));
        QTest::qWait(100);
        QSignalSpy stopped(&drained.runtime(), &bw::app::Runtime::stopped);
        drained.runtime().stop();
        QVERIFY(idle.waitForClose(3000)); // idle keep-alive connections close at once
        QVERIFY(busy.send(body));
        auto r = busy.read(5000);
        QVERIFY(r);
        QCOMPARE(r->status, 201);
        QCOMPARE(r->header("connection").toLower(), QByteArray("close"));
        QVERIFY(stopped.wait(10000));
        HttpConnection after(drained.port());
        QVERIFY(!after.isConnected() || !after.request("GET", "/health"));
    }
};

QTEST_GUILESS_MAIN(tst_HttpServer)
#include "tst_httpserver.moc"
