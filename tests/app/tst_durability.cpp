// "A crash, a kill -9 or a database restart never loses an acknowledged write": the database
// server is frozen and SIGKILLed (postmaster and every backend at once: nothing gets to flush)
// right after the API acknowledged a registration, a problem and a burst of heartbeat check-ins.
// After crash recovery every acknowledged row is there, a request made while the database was
// down was refused with 503 + Retry-After (and stored nothing), and the API serves again by itself.
#include "server/db/database.h"
#include "server/db/embeddedpostgres.h"
#include "server/db/sql.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"
#include "tests/support/testdb.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <signal.h>

using namespace bw::test;

namespace {

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// The postmaster's direct children (backends, WAL writer, checkpointer, …) from /proc.
QList<pid_t> childrenOf(pid_t parent)
{
    QList<pid_t> children;
    for (const QString &entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool numeric = false;
        const pid_t pid = pid_t(entry.toInt(&numeric));
        if (!numeric)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        // pid (comm) state ppid …: comm may contain spaces, so parse after the last ')'.
        const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields.at(1).toInt() == parent)
            children.append(pid);
    }
    return children;
}

} // namespace

class tst_Durability : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;

    quint16 port() const { return m_server->port(); }
    HttpReply call(const QByteArray &method, const QByteArray &target, const QString &key, const QByteArray &body = {})
    {
        QList<QPair<QByteArray, QByteArray>> headers{{"Authorization", bearer(key)}};
        if (!body.isEmpty())
            headers.append(qMakePair(QByteArray("Content-Type"), QByteArray("application/json")));
        return httpRequest(port(), method, target, body, headers);
    }
    QVariant scalar(const QString &sql, const QVariantList &binds = {})
    {
        return bw::test::scalar(m_pg.settings(m_server->database()), sql, binds);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start([](bw::Config &c) { c.rateLimits.enabled = false; }), qPrintable(m_server->lastError()));
    }
    void cleanupTestCase() { QVERIFY(m_server->stop()); }

    void acknowledgedWritesSurviveSigkillOfTheDatabase()
    {
        const auto [agentId, key] = m_server->registerAgent(QStringLiteral("durable_agent"));
        QVERIFY(!key.isEmpty());
        const HttpReply problem =
            call("POST", "/api/v1/problems", key,
                 json({{"title", "Flooded road cuts the clinic off"},
                       {"description", "The only road to the district clinic floods every rainy season for weeks."},
                       {"domain", "healthcare_improvement"},
                       {"severity", "high"},
                       {"geographicScope", "local"}}));
        QCOMPARE(problem.status, 201);
        const QString problemId = problem.json().value("data").toObject().value("id").toString();
        constexpr int kCheckins = 20; // back to back: all within one WAL-writer cycle (200 ms)
        for (int i = 0; i < kCheckins; ++i) {
            const HttpReply r =
                call("POST", "/api/v1/heartbeat/checkin", key,
                     json({{"timestamp", "2026-11-28T07:00:00Z"}, {"clientVersion", QStringLiteral("run/%1").arg(i)}}));
            QCOMPARE(r.status, 200);
        }

        // Freeze the whole cluster first (no process may flush or fork after this), then kill it.
        auto &server = m_pg.server();
        const pid_t postmaster = pid_t(server.processId());
        QVERIFY(postmaster > 0);
        QCOMPARE(::kill(postmaster, SIGSTOP), 0);
        const QList<pid_t> children = childrenOf(postmaster);
        QVERIFY(children.size() >= 4); // checkpointer, WAL writer, autovacuum launcher, the app's backends…
        for (pid_t child : children)
            ::kill(child, SIGSTOP);
        for (pid_t child : children)
            ::kill(child, SIGKILL);
        QCOMPARE(::kill(postmaster, SIGKILL), 0);
        QTRY_VERIFY_WITH_TIMEOUT(!server.isRunning(), 10000);

        // While it is down a write is refused (503, retry), never acknowledged.
        const HttpReply refused = call("POST", "/api/v1/heartbeat/checkin", key,
                                       json({{"timestamp", "2026-11-28T07:00:00Z"}, {"clientVersion", "while-down"}}));
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.json().value("error").toObject().value("code").toString(), QStringLiteral("SERVICE_UNAVAILABLE"));
        QCOMPARE(refused.header("Retry-After"), QByteArray("5"));
        const QJsonObject error = refused.json().value("error").toObject();
        QCOMPARE(error.value("message").toString(), QStringLiteral("The database is unavailable; retry shortly"));
        QVERIFY(!error.contains("details")); // no server text, no SQL state for clients

        // Crash recovery (the same code the app runs on its embedded cluster), at once: the dead
        // postmaster may not even be reaped yet.
        bw::Status s = server.prepare(m_pg.password());
        QVERIFY2(s, s ? "" : qPrintable(s.error().message));
        QVERIFY(server.start());
        s = server.waitUntilReady(30000);
        QVERIFY2(s, s ? "" : qPrintable(s.error().message));

        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM agents WHERE id = ?::uuid"), {agentId}).toInt(), 1);
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM problems WHERE id = ?::uuid"), {problemId}).toInt(), 1);
        QCOMPARE(scalar(QStringLiteral(
                            "SELECT count(*) FROM heartbeat_checkins WHERE agent_id = ?::uuid AND client_version LIKE 'run/%'"),
                        {agentId})
                     .toInt(),
                 kCheckins);
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM heartbeat_checkins WHERE client_version = 'while-down'")).toInt(),
                 0);

        // The API's pool reconnects by itself.
        QTRY_COMPARE_WITH_TIMEOUT(call("GET", "/api/v1/agents/me", key).status, 200, 30000);
        QCOMPARE(call("POST", "/api/v1/heartbeat/checkin", key, json({{"timestamp", "2026-11-28T07:01:00Z"}})).status, 200);
    }
};

QTEST_GUILESS_MAIN(tst_Durability)
#include "tst_durability.moc"
