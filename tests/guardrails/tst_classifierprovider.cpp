// Both provider formats against the fake LLM over real HTTP: request shape (model, key header,
// prompts), answers, usage, and every failure kind (HTTP errors, 429 + Retry-After, timeouts,
// dropped connections, malformed envelopes, refused connections).

#include "server/guardrails/classifierprovider.h"
#include "server/guardrails/classifierverdict.h"
#include "server/guardrails/httpsclient.h"
#include "tests/support/fakellm.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace bw::guardrails;
using bw::test::FakeLlm;
using Failure = ClassifierReply::Failure;

class tst_ClassifierProvider final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void factory();
    void anthropicRequestAndAnswer();
    void openAiRequestAndAnswer();
    void baseUrlWithV1();
    void failures_data();
    void failures();
    void timeout();
    void refused();
    void authError();
    void invalidUrl();
    void tlsPeerIsVerified();

private:
    std::unique_ptr<ClassifierProvider> provider(const QString &name, const QByteArray &key = "k-test")
    {
        return makeProvider(name, QStringLiteral("m-1"), m_llm.baseUrl(), key);
    }
    ClassifierCall call(int timeoutMs = 5000)
    {
        return ClassifierCall{QStringLiteral("SYSTEM PROMPT"),
                              QStringLiteral("Content type: problem\n<submission>\ntitle: Wells\n</submission>"), 256, timeoutMs};
    }
    FakeLlm m_llm;
};

void tst_ClassifierProvider::initTestCase()
{
    QVERIFY(m_llm.start());
}

void tst_ClassifierProvider::init()
{
    m_llm.clearQueue();
    m_llm.resetStats();
    m_llm.setLatency(0);
    m_llm.setRequireApiKey({});
}

void tst_ClassifierProvider::factory()
{
    QVERIFY(!makeProvider("none", {}, {}, {}));
    QVERIFY(!makeProvider("bogus", {}, {}, {}));
    const auto a = makeProvider("anthropic", {}, {}, "k");
    QCOMPARE(a->endpoint(), QStringLiteral("https://api.anthropic.com/v1/messages"));
    QCOMPARE(a->model(), QStringLiteral("claude-haiku-4-5"));
    QVERIFY(a->defaultInputCentsPerMTok() > 0);
    const auto o = makeProvider("openai-compatible", {}, {}, {});
    QCOMPARE(o->endpoint(), QStringLiteral("http://127.0.0.1:8080/v1/chat/completions"));
    QCOMPARE(o->defaultInputCentsPerMTok(), 0.0);
}

void tst_ClassifierProvider::anthropicRequestAndAnswer()
{
    const auto p = provider("anthropic");
    const ClassifierReply r = p->classify(call());
    QVERIFY2(r.ok(), qPrintable(r.message));
    QVERIFY(ClassifierVerdict::parse(r.text, "problem").ok());
    QVERIFY(r.inputTokens > 0);
    QVERIFY(r.outputTokens > 0);
    const FakeLlm::Stats s = m_llm.stats();
    QCOMPARE(s.anthropic, 1);
    QCOMPARE(s.lastApiKey, QByteArray("k-test"));
    QCOMPARE(s.lastSystemPrompt, QStringLiteral("SYSTEM PROMPT"));
    QVERIFY(s.lastUserMessage.contains("title: Wells"));
    const QJsonObject body = QJsonDocument::fromJson(s.lastBody).object();
    QCOMPARE(body.value("model").toString(), QStringLiteral("m-1"));
    QCOMPARE(body.value("max_tokens").toInt(), 256);
    QCOMPARE(body.value("messages").toArray().size(), 1);
}

void tst_ClassifierProvider::openAiRequestAndAnswer()
{
    const auto p = provider("openai-compatible", "sk-local");
    const ClassifierReply r = p->classify(call());
    QVERIFY2(r.ok(), qPrintable(r.message));
    QVERIFY(ClassifierVerdict::parse(r.text, "problem").ok());
    QVERIFY(r.inputTokens > 0);
    const FakeLlm::Stats s = m_llm.stats();
    QCOMPARE(s.openAi, 1);
    QCOMPARE(s.lastApiKey, QByteArray("sk-local"));
    QCOMPARE(s.lastSystemPrompt, QStringLiteral("SYSTEM PROMPT"));
    const QJsonObject body = QJsonDocument::fromJson(s.lastBody).object();
    QCOMPARE(body.value("response_format").toObject().value("type").toString(), QStringLiteral("json_object"));
    QCOMPARE(body.value("messages").toArray().size(), 2);

    // Self-hosted servers without a key: no Authorization header at all.
    const auto open = provider("openai-compatible", {});
    QVERIFY(open->classify(call()).ok());
    QVERIFY(m_llm.stats().lastApiKey.isEmpty());
}

void tst_ClassifierProvider::baseUrlWithV1()
{
    const auto p = makeProvider("openai-compatible", "m", m_llm.baseUrl() + "/v1/", {});
    QCOMPARE(p->endpoint(), m_llm.baseUrl() + "/v1/chat/completions");
    QVERIFY(p->classify(call()).ok());
}

void tst_ClassifierProvider::failures_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<bool>("drop");
    QTest::addColumn<int>("failure");
    QTest::addColumn<bool>("retryable");
    QTest::addColumn<bool>("breaker");
    for (const char *p : {"anthropic", "openai-compatible"}) {
        const QByteArray n(p);
        QTest::addRow("%s 429", n.constData())
            << QString(p) << 429 << QByteArray() << false << int(Failure::RateLimited) << true << true;
        QTest::addRow("%s 500", n.constData())
            << QString(p) << 500 << QByteArray() << false << int(Failure::ServerError) << true << true;
        QTest::addRow("%s 529 overloaded", n.constData())
            << QString(p) << 529 << QByteArray() << false << int(Failure::ServerError) << true << true;
        QTest::addRow("%s 400", n.constData())
            << QString(p) << 400 << QByteArray() << false << int(Failure::ClientError) << false << false;
        QTest::addRow("%s 401", n.constData())
            << QString(p) << 401 << QByteArray() << false << int(Failure::AuthError) << false << true;
        QTest::addRow("%s envelope not JSON", n.constData())
            << QString(p) << 200 << QByteArray("<html>oops</html>") << false << int(Failure::BadResponse) << true << false;
        QTest::addRow("%s envelope wrong shape", n.constData())
            << QString(p) << 200 << QByteArray("{\"unexpected\":true}") << false << int(Failure::BadResponse) << true << false;
        QTest::addRow("%s dropped", n.constData())
            << QString(p) << 200 << QByteArray() << true << int(Failure::Network) << true << true;
    }
}

void tst_ClassifierProvider::failures()
{
    QFETCH(QString, provider);
    QFETCH(int, status);
    QFETCH(QByteArray, raw);
    QFETCH(bool, drop);
    QFETCH(int, failure);
    QFETCH(bool, retryable);
    QFETCH(bool, breaker);
    FakeLlm::Reply reply = status != 200 ? FakeLlm::Reply::error(status, status == 429 ? 7 : -1)
                           : drop        ? FakeLlm::Reply::drop()
                                         : FakeLlm::Reply::raw(raw);
    m_llm.enqueue(reply);
    const ClassifierReply r = this->provider(provider)->classify(call());
    QCOMPARE(int(r.failure), failure);
    QCOMPARE(r.retryable(), retryable);
    QCOMPARE(r.breakerFailure(), breaker);
    QVERIFY(!r.message.isEmpty());
    if (status == 429)
        QCOMPARE(r.retryAfterSeconds, 7);
    if (status != 200)
        QCOMPARE(r.httpStatus, status);
}

void tst_ClassifierProvider::timeout()
{
    m_llm.enqueue(FakeLlm::Reply::slow(3000));
    QElapsedTimer t;
    t.start();
    const ClassifierReply r = provider("anthropic")->classify(call(300));
    QCOMPARE(int(r.failure), int(Failure::Timeout));
    QVERIFY(r.retryable());
    QVERIFY(r.breakerFailure());
    QVERIFY2(t.elapsed() < 1500, qPrintable(QString::number(t.elapsed())));
}

void tst_ClassifierProvider::refused()
{
    // A port nobody listens on (bound then closed by the fake's sibling is racy; port 1 is safe).
    const auto p = makeProvider("openai-compatible", "m", "http://127.0.0.1:1", {});
    const ClassifierReply r = p->classify(call(2000));
    QCOMPARE(int(r.failure), int(Failure::Network));
    QVERIFY(r.retryable());
}

void tst_ClassifierProvider::authError()
{
    m_llm.setRequireApiKey("right");
    const ClassifierReply r = provider("anthropic", "wrong")->classify(call());
    QCOMPARE(int(r.failure), int(Failure::AuthError));
    QVERIFY(provider("anthropic", "right")->classify(call()).ok());
}

void tst_ClassifierProvider::invalidUrl()
{
    const HttpAnswer a = postJson(HttpPost{QStringLiteral("ftp://example.org/x"), {}, "{}", 1000});
    QVERIFY(!a.answered());
    QVERIFY(a.error.contains("invalid URL"));
}

void tst_ClassifierProvider::tlsPeerIsVerified()
{
    // A TLS server with a self-signed certificate for "localhost": the client must refuse it.
    const QString openssl = QStandardPaths::findExecutable("openssl");
    if (openssl.isEmpty())
        QSKIP("openssl command not installed");
    QTemporaryDir dir;
    QProcess req;
    req.start(openssl, {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout",
                        dir.filePath("k.pem"), "-out", dir.filePath("c.pem")});
    QVERIFY(req.waitForFinished(30000));
    QCOMPARE(req.exitCode(), 0);
    QProcess server;
    server.setProcessChannelMode(QProcess::MergedChannels);
    server.start(openssl, {"s_server", "-accept", "0", "-cert", dir.filePath("c.pem"), "-key", dir.filePath("k.pem"), "-www"});
    QVERIFY(server.waitForStarted(5000));
    int port = 0;
    static const QRegularExpression accept(QStringLiteral("ACCEPT .*:(\\d+)"));
    QByteArray output;
    for (int i = 0; i < 50 && port == 0 && server.waitForReadyRead(200); ++i) {
        output += server.readAll();
        if (const auto m = accept.match(QString::fromUtf8(output)); m.hasMatch())
            port = m.captured(1).toInt();
    }
    QVERIFY2(port > 0, output.constData());

    const HttpAnswer a = postJson(HttpPost{QStringLiteral("https://localhost:%1/v1/messages").arg(port), {}, "{}", 5000});
    QVERIFY(!a.answered());
    QVERIFY(!a.timedOut);
    QVERIFY2(a.error.contains("TLS handshake"), qPrintable(a.error));
    QVERIFY2(a.error.contains("certificate verify failed"), qPrintable(a.error));
    server.kill();
    QVERIFY(server.waitForFinished(5000));
}

QTEST_GUILESS_MAIN(tst_ClassifierProvider)
#include "tst_classifierprovider.moc"
