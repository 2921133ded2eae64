// The embedded PostgreSQL is supervised: SIGKILL the postmaster of a running `betterworld serve`
// under write load, and the server restarts it by itself (crash recovery), answers 503 + Retry-After
// meanwhile, takes writes again, and every write it acknowledged is still there.
#include "tests/support/cliprocess.h"
#include "tests/support/httpclient.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace bw::test;

namespace {
constexpr char kOperatorToken[] = "operator-token-for-tests";
}

class tst_DbSupervision : public QObject {
    Q_OBJECT
    QTemporaryDir m_home;
    QTemporaryDir m_data;
    ServeProcess m_serve;
    int m_next = 0;
    QStringList m_acknowledgedKeys;

    // One write: an agent registration. Its key when the server said 201.
    HttpReply registerOne()
    {
        const QByteArray body = QJsonDocument(QJsonObject{{"username", QStringLiteral("survivor_%1").arg(m_next++)},
                                                          {"framework", "custom"},
                                                          {"specializations", QJsonArray{"elder_care"}}})
                                    .toJson(QJsonDocument::Compact);
        const HttpReply r = httpRequest(m_serve.port, "POST", "/api/v1/auth/agents/register", body);
        if (r.status == 201)
            m_acknowledgedKeys << r.json().value("data").toObject().value("apiKey").toString();
        return r;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(
            // Loopback is not an operator here, so /ready answers as it does to an anonymous probe.
            m_serve.start(m_home.path(), m_data.path(),
                          {QStringLiteral("--set"), QStringLiteral("rate_limit/enabled=false"), QStringLiteral("--set"),
                           QStringLiteral("server/metrics_allow=192.0.2.1"), QStringLiteral("--set"),
                           QStringLiteral("server/metrics_token=%1").arg(QLatin1String(kOperatorToken))}),
            qPrintable(m_serve.log()));
    }

    void killedPostmasterComesBackWithEveryAcknowledgedWrite()
    {
        for (int i = 0; i < 20; ++i)
            QCOMPARE(registerOne().status, 201);
        const qint64 killed = postmasterPid(m_data.path());
        QVERIFY(killed > 0);
        QCOMPARE(::kill(pid_t(killed), SIGKILL), 0);

        // Keep writing through the outage: refusals are 503 with Retry-After, never a hang or a 500.
        int refused = 0;
        int acceptedAfter = 0;
        int readyDown = 0;
        QElapsedTimer t;
        t.start();
        while (acceptedAfter < 20 && t.elapsed() < 90000) {
            const HttpReply r = registerOne();
            if (r.status == 201) {
                if (refused > 0)
                    ++acceptedAfter;
                continue;
            }
            QVERIFY2(r.status == 503, r.body.constData());
            QVERIFY(!r.header("Retry-After").isEmpty());
            ++refused;
            // Readiness during the outage: anonymous callers learn which check failed, never libpq's text
            // (socket paths, hosts); the operator's token shows it.
            if (const HttpReply ready = httpRequest(m_serve.port, "GET", "/ready"); ready.status == 503) {
                ++readyDown;
                const QJsonObject database =
                    ready.json().value("data").toObject().value("checks").toObject().value("database").toObject();
                QCOMPARE(database.value("status").toString(), QStringLiteral("failed"));
                QVERIFY2(!database.contains("message") && !ready.body.contains("socket"), ready.body.constData());
                const HttpReply detailed =
                    httpRequest(m_serve.port, "GET", "/ready", {}, {{"Authorization", QByteArray("Bearer ") + kOperatorToken}});
                const QJsonValue operatorView =
                    detailed.json().value("data").toObject().value("checks").toObject().value("database");
                if (operatorView.isObject()) // still down when the operator asked
                    QVERIFY2(!operatorView.toObject().value("message").toString().isEmpty(), detailed.body.constData());
            }
            QTest::qWait(20);
        }
        QVERIFY2(refused > 0, "the outage was not seen at all");
        QVERIFY2(readyDown > 0, "/ready never reported the outage");
        // The outage's cause stays findable: shed requests get a few access lines a second, not one each.
        QFile serveLog(m_serve.logFile);
        QVERIFY(serveLog.open(QIODevice::ReadOnly));
        const QByteArray log = serveLog.readAll();
        QVERIFY(log.contains("exited unexpectedly"));
        const int refusedLines = int(log.count("/api/v1/auth/agents/register 503"));
        QVERIFY2(refusedLines <= 5 * (1 + int(t.elapsed() / 1000)),
                 qPrintable(QStringLiteral("%1 of %2").arg(refusedLines).arg(refused)));
        QCOMPARE(acceptedAfter, 20);
        QVERIFY(m_serve.process.state() == QProcess::Running);
        const qint64 restarted = postmasterPid(m_data.path());
        QVERIFY(restarted > 0 && restarted != killed);
        QTRY_COMPARE_WITH_TIMEOUT(httpRequest(m_serve.port, "GET", "/ready").status, 200, 30000);

        // Every acknowledged write survived the kill.
        for (const QString &key : std::as_const(m_acknowledgedKeys))
            QCOMPARE(httpRequest(m_serve.port, "GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(key)}}).status, 200);
        QCOMPARE(httpRequest(m_serve.port, "GET", "/metrics").status, 403);
        const HttpReply metrics =
            httpRequest(m_serve.port, "GET", "/metrics", {}, {{"Authorization", QByteArray("Bearer ") + kOperatorToken}});
        QVERIFY2(metrics.body.contains("embedded_db_restarts_total 1"), metrics.body.left(400).constData());
    }

    void cleanupTestCase() { QVERIFY2(m_serve.stop(), qPrintable(m_serve.log())); }
};

QTEST_GUILESS_MAIN(tst_DbSupervision)
#include "tst_dbsupervision.moc"
