// Two real `betterworld serve` processes on one external database enforce one limit together
// (api.md §4 "shared store"): requests alternating between the nodes, and concurrent bursts at
// both, are admitted exactly up to the limit; refusals from either node carry Retry-After and
// details {retryAfter, limit, window}.
#include "tests/support/cliprocess.h"
#include "tests/support/httpclient.h"
#include "tests/support/pgfixture.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace bw::test;

namespace {

void waitForWindowRoom(int needSeconds)
{
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    const qint64 leftMs = 60000 - nowMs % 60000;
    if (leftMs < needSeconds * 1000LL)
        QTest::qWait(int(leftMs + 100));
}

// One `betterworld serve` child process.
struct Node {
    QProcess process;
    quint16 port = 0;
    QTemporaryDir home;

    bool start(const QString &databaseUrl, const QStringList &settings)
    {
        port = freePort();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.path() + QStringLiteral("/config"));
        env.insert(QStringLiteral("XDG_DATA_HOME"), home.path() + QStringLiteral("/data"));
        env.insert(QStringLiteral("BW_SECRETS"), QStringLiteral("file"));
        env.insert(QStringLiteral("BW_LOG_LEVEL"), QStringLiteral("warning"));
        process.setProcessEnvironment(env);
        QStringList args{QStringLiteral("serve"),
                         QStringLiteral("--data-dir"),
                         home.path() + QStringLiteral("/data"),
                         QStringLiteral("--listen"),
                         QStringLiteral("127.0.0.1:%1").arg(port),
                         QStringLiteral("--database-url"),
                         databaseUrl};
        for (const QString &s : settings)
            args << QStringLiteral("--set") << s;
        process.start(betterworldBinary(), args);
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000 && process.state() != QProcess::NotRunning) {
            if (httpRequest(port, "GET", "/ready").status == 200)
                return true;
            QTest::qWait(50);
        }
        qWarning("node did not become ready: %s", process.readAllStandardError().right(2000).constData());
        return false;
    }
    bool stop()
    {
        if (process.state() == QProcess::NotRunning)
            return true;
        ::kill(pid_t(process.processId()), SIGTERM);
        if (process.waitForFinished(30000))
            return process.exitCode() == 0;
        process.kill();
        process.waitForFinished(5000);
        return false;
    }
    ~Node() { stop(); }
};

QString errorCode(const HttpReply &r)
{
    return r.json().value("error").toObject().value("code").toString();
}

} // namespace

class tst_SharedRateLimit : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    QString m_db;
    Node m_a, m_b;
    QString m_key;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_db = m_pg.createMigratedDatabase();
        QVERIFY(!m_db.isEmpty());
        // Default store (auto) with an external database: the shared PostgreSQL store.
        const QStringList settings{QStringLiteral("rate_limit/public=10"), QStringLiteral("rate_limit/registration=4"),
                                   QStringLiteral("rate_limit/agent_pending=25")};
        QVERIFY(m_a.start(m_pg.url(m_db), settings));
        QVERIFY(m_b.start(m_pg.url(m_db), settings));
    }
    void cleanupTestCase()
    {
        QVERIFY(m_a.stop());
        QVERIFY(m_b.stop());
    }

    void alternatingRequestsShareOnePublicLimit()
    {
        waitForWindowRoom(20);
        int ok = 0;
        QSet<quint16> refusedBy;
        for (int i = 0; i < 30; ++i) {
            const quint16 port = i % 2 ? m_b.port : m_a.port;
            const HttpReply r = httpRequest(port, "GET", "/api/v1/problems");
            QCOMPARE(r.header("x-ratelimit-limit"), QByteArray("10"));
            if (r.status == 200) {
                ++ok;
                // One count across both nodes: remaining falls 9, 8, … whichever node answers.
                QCOMPARE(r.header("x-ratelimit-remaining"), QByteArray::number(10 - ok));
                continue;
            }
            QCOMPARE(r.status, 429);
            QCOMPARE(errorCode(r), QStringLiteral("RATE_LIMITED"));
            const int retryAfter = r.header("retry-after").toInt();
            QVERIFY(retryAfter >= 1 && retryAfter <= 60);
            QCOMPARE(r.header("x-ratelimit-remaining"), QByteArray("0"));
            const QJsonObject details = r.json().value("error").toObject().value("details").toObject();
            QCOMPARE(details.value("limit").toInt(), 10);
            QCOMPARE(details.value("window").toInt(), 60);
            QVERIFY(qAbs(details.value("retryAfter").toInt() - retryAfter) <= 1);
            refusedBy.insert(port);
        }
        QCOMPARE(ok, 10);
        QCOMPARE(refusedBy.size(), 2);
    }

    void registrationLimitIsShared()
    {
        waitForWindowRoom(20);
        int created = 0;
        for (int i = 0; i < 8; ++i) {
            const QByteArray body = QJsonDocument(QJsonObject{{"username", QStringLiteral("shared_%1").arg(i)},
                                                              {"framework", "custom"},
                                                              {"specializations", QJsonArray{"elder_care"}}})
                                        .toJson();
            const HttpReply r = httpRequest(i % 2 ? m_b.port : m_a.port, "POST", "/api/v1/auth/agents/register", body);
            created += r.status == 201;
            if (r.status == 201 && m_key.isEmpty())
                m_key = r.json().value("data").toObject().value("apiKey").toString();
            if (r.status != 201)
                QCOMPARE(r.status, 429);
        }
        QCOMPARE(created, 4);
    }

    // Both nodes hammered at once by several clients with one agent key: exactly the limit passes.
    void concurrentBurstsAtBothNodes()
    {
        const QString key = m_key; // registered above (a pending agent: 25 per minute here)
        QVERIFY(!key.isEmpty());
        waitForWindowRoom(25);
        QCOMPARE(httpRequest(m_a.port, "GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(key)}}).status, 200);
        std::atomic<int> ok{0}, refused{0}, other{0};
        std::vector<std::thread> clients;
        for (int c = 0; c < 6; ++c) {
            clients.emplace_back([&, c] {
                HttpConnection conn(c % 2 ? m_b.port : m_a.port);
                for (int i = 0; i < 10; ++i) {
                    const auto r = conn.request("GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(key)}});
                    if (!r)
                        ++other;
                    else if (r->status == 200)
                        ++ok;
                    else if (r->status == 429)
                        ++refused;
                    else
                        ++other;
                }
            });
        }
        for (auto &t : clients)
            t.join();
        QCOMPARE(other.load(), 0);
        QCOMPARE(ok.load(), 24); // 25 per window, one spent by the warm-up request
        QCOMPARE(ok.load() + refused.load(), 60);
    }
};

QTEST_GUILESS_MAIN(tst_SharedRateLimit)
#include "tst_sharedratelimit.moc"
