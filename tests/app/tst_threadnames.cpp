// Threads you can see and that check themselves (docs/threads.md): with the full server running,
// every thread we start carries its bw-* name in /proc/self/task/*/comm, and with the SQL-thread
// check on, an optional-auth route (/skill.md) answers a Bearer key without the process aborting
// — the key lookup runs on the request pool, not on an HTTP I/O thread.
#include "server/core/logging.h"
#include "server/core/threadrole.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"

#include <QDir>
#include <QFile>
#include <QTest>
#include <QThreadPool>

#include <future>

using namespace bw::test;

namespace {

// The kernel's name of every thread of this process (15 characters at most).
QStringList threadNames()
{
    QStringList names;
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid) + QStringLiteral("/comm"));
        if (comm.open(QIODevice::ReadOnly))
            names << QString::fromUtf8(comm.readAll().trimmed());
    }
    return names;
}

} // namespace

class tst_ThreadNames : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;

private Q_SLOTS:
    void initTestCase()
    {
        bw::setThreadChecksEnabled(true); // whatever the build's default
        bw::log::init({.level = QStringLiteral("warning"), .directory = {}, .toStderr = true});
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start([](bw::Config &c) {
            c.smtp.host = QStringLiteral("127.0.0.1"); // a mail queue (nothing is sent in this test)
            c.smtp.port = 9;
            c.rateLimits.enabled = true;                   // the Bearer caller's bucket, as in production,
            c.rateLimits.store = QStringLiteral("memory"); // kept in memory (desktop, single node): no SQL
        }),
                 qPrintable(m_server->lastError()));
    }
    void cleanupTestCase()
    {
        QVERIFY(m_server->stop());
        bw::log::shutdown();
    }

    void everyThreadIsNamed()
    {
        // The global pool (QtConcurrent) names its threads when it creates them. (A promise, not
        // QFuture::waitForFinished(), which may run a task that has not started on this thread.)
        std::promise<QByteArray> poolName;
        QThreadPool::globalInstance()->start([&poolName] {
            QFile comm(QStringLiteral("/proc/thread-self/comm"));
            poolName.set_value(comm.open(QIODevice::ReadOnly) ? comm.readAll().trimmed() : QByteArray());
        });
        QCOMPARE(poolName.get_future().get(), QByteArray("bw-pool"));

        const QStringList names = threadNames();
        const QStringList expected{
            QStringLiteral("bw-http-io"),      QStringLiteral("bw-request"),    QStringLiteral("bw-job-maintena"),
            QStringLiteral("bw-job-guardrai"), QStringLiteral("bw-job-ops"),    QStringLiteral("bw-housekeeper"),
            QStringLiteral("bw-job-listen"),   QStringLiteral("bw-sampler"),    QStringLiteral("bw-alert-notify"),
            QStringLiteral("bw-mail"),         QStringLiteral("bw-log-writer"), QStringLiteral("bw-pg-log"),
        };
        for (const QString &name : expected)
            QVERIFY2(names.contains(name), qPrintable(QStringLiteral("no thread %1 in: %2").arg(name, names.join(u", "))));
        // Nothing unnamed: the main thread carries the executable's name, every other one ours
        // (QTest's own watchdog aside).
        QFile self(QStringLiteral("/proc/self/comm"));
        QVERIFY(self.open(QIODevice::ReadOnly));
        const QString main = QString::fromUtf8(self.readAll().trimmed());
        for (const QString &name : names)
            QVERIFY2(name == main || name.startsWith(u"bw-") || name == u"QtTest Watchdog",
                     qPrintable(QStringLiteral("unnamed thread \"%1\" in: %2").arg(name, names.join(u", "))));
    }

    // /skill.md needs no database itself, but a Bearer key is looked up (SQL). With the thread
    // check on, doing that on an I/O thread would abort this process.
    void optionalAuthBearerWorksOffTheIoThread()
    {
        QVERIFY(bw::threadChecksEnabled());
        const auto [agentId, apiKey] = m_server->registerAgent(QStringLiteral("threadcheck_agent"));
        QVERIFY(!apiKey.isEmpty());
        const HttpReply ok = httpRequest(m_server->port(), "GET", "/skill.md", {}, {{"Authorization", bearer(apiKey)}});
        QCOMPARE(ok.status, 302);
        QCOMPARE(ok.header("location"), QByteArray("/skills/betterworld/SKILL.md"));
        QCOMPARE(ok.header("cache-control"), QByteArray("no-store")); // the caller was recognised
        QVERIFY(!ok.header("x-ratelimit-remaining").isEmpty());       // and limited in its own bucket

        const HttpReply bad =
            httpRequest(m_server->port(), "GET", "/heartbeat.md", {}, {{"Authorization", "Bearer bw_nonsense"}});
        QCOMPARE(bad.status, 401);

        const HttpReply anonymous = httpRequest(m_server->port(), "GET", "/skill.md");
        QCOMPARE(anonymous.status, 302);
        QVERIFY(anonymous.header("cache-control").isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_ThreadNames)
#include "tst_threadnames.moc"
