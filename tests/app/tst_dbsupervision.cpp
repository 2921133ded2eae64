// The embedded PostgreSQL is supervised: SIGKILL the postmaster of a running `betterworld serve`
// under write load, and the server restarts it by itself (crash recovery), answers 503 + Retry-After
// meanwhile, takes writes again, and every write it acknowledged is still there.
#include "tests/app/cliprocess.h"
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
qint64 postmasterPid(const QString &dataDir)
{
    QFile f(dataDir + QStringLiteral("/postgres/postmaster.pid"));
    return f.open(QIODevice::ReadOnly) ? f.readLine().trimmed().toLongLong() : 0;
}
} // namespace

class tst_DbSupervision : public QObject {
    Q_OBJECT
    QTemporaryDir m_home;
    QTemporaryDir m_data;
    QProcess m_server;
    quint16 m_port = 0;
    int m_next = 0;
    QStringList m_acknowledgedKeys;

    // One write: an agent registration. Its key when the server said 201.
    HttpReply registerOne()
    {
        const QByteArray body = QJsonDocument(QJsonObject{{"username", QStringLiteral("survivor_%1").arg(m_next++)},
                                                          {"framework", "custom"},
                                                          {"specializations", QJsonArray{"elder_care"}}})
                                    .toJson(QJsonDocument::Compact);
        const HttpReply r = httpRequest(m_port, "POST", "/api/v1/auth/agents/register", body);
        if (r.status == 201)
            m_acknowledgedKeys << r.json().value("data").toObject().value("apiKey").toString();
        return r;
    }

    QString serverLog() const
    {
        QFile f(m_home.filePath(QStringLiteral("serve.stderr")));
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll().right(3000)) : QString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QFile::setPermissions(m_data.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ExeOther);
        m_port = freePort();
        m_server.setProcessEnvironment(cleanEnv(m_home.path()));
        // To a file: a pipe nobody reads while the test blocks on HTTP would stall the server's logging.
        m_server.setStandardOutputFile(QProcess::nullDevice());
        m_server.setStandardErrorFile(m_home.filePath(QStringLiteral("serve.stderr")));
        m_server.start(betterworldBinary(), {QStringLiteral("serve"), QStringLiteral("--data-dir"), m_data.path(),
                                             QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(m_port),
                                             QStringLiteral("--set"), QStringLiteral("rate_limit/enabled=false")});
        QVERIFY2(waitReady(m_server, m_port, 90000), qPrintable(serverLog()));
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
            QTest::qWait(20);
        }
        QVERIFY2(refused > 0, "the outage was not seen at all");
        QCOMPARE(acceptedAfter, 20);
        QVERIFY(m_server.state() == QProcess::Running);
        const qint64 restarted = postmasterPid(m_data.path());
        QVERIFY(restarted > 0 && restarted != killed);
        QTRY_COMPARE_WITH_TIMEOUT(httpRequest(m_port, "GET", "/ready").status, 200, 30000);

        // Every acknowledged write survived the kill.
        for (const QString &key : std::as_const(m_acknowledgedKeys))
            QCOMPARE(httpRequest(m_port, "GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(key)}}).status, 200);
        const HttpReply metrics = httpRequest(m_port, "GET", "/metrics");
        QVERIFY2(metrics.body.contains("embedded_db_restarts_total 1"), metrics.body.left(400).constData());
    }

    void cleanupTestCase()
    {
        if (m_server.state() == QProcess::NotRunning)
            return;
        ::kill(pid_t(m_server.processId()), SIGTERM);
        QVERIFY(m_server.waitForFinished(30000));
        QCOMPARE(m_server.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_DbSupervision)
#include "tst_dbsupervision.moc"
