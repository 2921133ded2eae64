// Our agent-facing docs over real HTTP (api.md §8): SKILL.md and HEARTBEAT.md rendered for this
// server (base URL, current heartbeat key), the /skill.md and /heartbeat.md redirects, and 404 for
// every other name, including path traversal attempts.
#include "accountstest.h"

#include <QTest>

using namespace bw::test;
using namespace bw::test::accounts;

class tst_SkillsApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    quint16 port() const { return m_server->port(); }

    // One request with exactly this Host header (httpRequest() always sends its own).
    static HttpReply getWithHost(quint16 port, const QByteArray &path, const QByteArray &host)
    {
        HttpConnection c(port);
        if (!c.send("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n"))
            return {};
        return c.read().value_or(HttpReply{});
    }

    QJsonObject currentKey()
    {
        return QJsonDocument::fromJson(httpRequest(port(), "GET", "/.well-known/heartbeat-keys.json").body)
            .object()
            .value("keys")
            .toArray()
            .first()
            .toObject();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
    }
    void cleanupTestCase() { QVERIFY(m_server->stop()); }

    void servesRenderedDocs_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("mustContain");
        QTest::newRow("SKILL.md") << QByteArray("/skills/betterworld/SKILL.md") << QByteArray("/auth/agents/register");
        QTest::newRow("HEARTBEAT.md") << QByteArray("/skills/betterworld/HEARTBEAT.md") << QByteArray("/heartbeat/checkin");
    }
    void servesRenderedDocs()
    {
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, mustContain);
        const HttpReply r = getWithHost(port(), path, "agents.example.test:4000");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("content-type"), QByteArray("text/markdown; charset=utf-8"));
        QVERIFY(r.body.contains(mustContain));
        QVERIFY2(!r.body.contains("{{"), "a placeholder was left unrendered");
        // This server's details and the heartbeat public key.
        const QJsonObject key = currentKey();
        QVERIFY(r.body.contains(key.value("keyId").toString().toLatin1()));
        QVERIFY(r.body.contains(key.value("publicKey").toString().toLatin1()));
        QVERIFY(r.body.contains("/.well-known/heartbeat-keys.json"));
        QVERIFY(r.body.contains("http://agents.example.test:4000/api/v1/heartbeat/"));
        QCOMPARE(r.header("cache-control"), QByteArray("no-store")); // Host-derived: never in a shared cache
        QCOMPARE(httpRequest(port(), "HEAD", path).status, 200);
    }

    void publicUrlSetting()
    {
        ApiServer configured(m_pg);
        QVERIFY2(configured.start([](bw::Config &c) { c.publicUrl = QStringLiteral("https://api.betterworld.example/"); }),
                 qPrintable(configured.lastError()));
        const HttpReply r = getWithHost(configured.port(), "/skills/betterworld/SKILL.md", "evil.example");
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("https://api.betterworld.example/api/v1/auth/agents/register"));
        QVERIFY(!r.body.contains("evil.example"));
        QCOMPARE(r.header("cache-control"), QByteArray("public, max-age=300")); // the same for every client
        QVERIFY(configured.stop());
    }

    void redirects_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("location");
        QTest::newRow("skill.md") << QByteArray("/skill.md") << QByteArray("/skills/betterworld/SKILL.md");
        QTest::newRow("heartbeat.md") << QByteArray("/heartbeat.md") << QByteArray("/skills/betterworld/HEARTBEAT.md");
    }
    void redirects()
    {
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, location);
        const HttpReply r = httpRequest(port(), "GET", path);
        QCOMPARE(r.status, 302);
        QCOMPARE(r.header("location"), location);
    }

    void otherNamesAre404_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::newRow("unknown file") << QByteArray("/skills/betterworld/README.md");
        QTest::newRow("wrong case") << QByteArray("/skills/betterworld/skill.md");
        QTest::newRow("dot dot") << QByteArray("/skills/betterworld/..");
        QTest::newRow("encoded dot dot") << QByteArray("/skills/betterworld/%2e%2e");
        QTest::newRow("traversal") << QByteArray("/skills/betterworld/../../etc/passwd");
        QTest::newRow("encoded slash traversal") << QByteArray("/skills/betterworld/..%2f..%2fetc%2fpasswd");
        QTest::newRow("encoded slash to a real name") << QByteArray("/skills/betterworld/x%2f..%2fSKILL.md");
        QTest::newRow("backslash") << QByteArray("/skills/betterworld/..%5cSKILL.md");
        QTest::newRow("dots inside") << QByteArray("/skills/betterworld/SKILL.md..");
        QTest::newRow("NUL") << QByteArray("/skills/betterworld/SKILL.md%00");
        QTest::newRow("other skill") << QByteArray("/skills/other/SKILL.md");
        QTest::newRow("no name") << QByteArray("/skills/betterworld/");
        QTest::newRow("migrations resource") << QByteArray("/skills/betterworld/0001_core.sql");
    }
    void otherNamesAre404()
    {
        QFETCH(QByteArray, path);
        const HttpReply r = httpRequest(port(), "GET", path);
        QCOMPARE(r.status, 404);
        QVERIFY(!r.body.contains("BetterWorld — agent skill"));
        QCOMPARE(errorCode(r), QStringLiteral("NOT_FOUND"));
    }
};

QTEST_GUILESS_MAIN(tst_SkillsApi)
#include "tst_skillsapi.moc"
