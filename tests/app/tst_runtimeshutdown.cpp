// The desktop's shutdown never blocks the GUI thread (docs/threads.md): the Runtime with its own
// embedded PostgreSQL runs on a thread tagged as the GUI thread (so any SQL on it aborts), and
// while the database takes its time to stop — frozen with SIGSTOP right when the stop begins —
// the event loop keeps turning; stopped() comes once the server is really gone.
#include "app/runtime.h"
#include "server/core/secretstore.h"
#include "server/core/threadrole.h"
#include "tests/support/httpclient.h"

#include <QElapsedTimer>
#include <QFile>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <atomic>

#include <signal.h>

using namespace bw;

namespace {

QString g_pidFile;
std::atomic<pid_t> g_frozen{0};
QtMessageHandler g_previous = nullptr;

// Freezes the postmaster the moment the Runtime announces the stop, before it signals it.
void freezeOnStop(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (message.contains(QLatin1StringView("stopping the embedded database")) && g_frozen == 0) {
        QFile pidFile(g_pidFile);
        const pid_t pid = pidFile.open(QIODevice::ReadOnly) ? pid_t(pidFile.readLine().trimmed().toInt()) : 0;
        if (pid > 0 && ::kill(pid, SIGSTOP) == 0)
            g_frozen = pid;
    }
    if (g_previous)
        g_previous(type, context, message);
}

bool alive(pid_t pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray line = stat.readAll();
    const char state = line.at(line.lastIndexOf(')') + 2);
    return state != 'Z' && state != 'X';
}

} // namespace

class tst_RuntimeShutdown : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir{QStringLiteral("/tmp/bw-rs-XXXXXX")}; // short: the socket path must fit sun_path
    std::unique_ptr<app::Runtime> m_runtime;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // QTemporaryDir is 0700; when we are root the cluster runs as 'postgres', which must enter it.
        QFile::setPermissions(m_dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                                | QFileDevice::ExeGroup | QFileDevice::ExeOther);
        QLoggingCategory::setFilterRules(QStringLiteral("bw.db.embedded.debug=false\nbw.http.access.info=false"));
        setThreadChecksEnabled(true);
        setCurrentThreadRole(ThreadRole::Gui); // this test thread plays the desktop's GUI thread
        Config config;
        config.dataDir = m_dir.path() + QStringLiteral("/data");
        config.databaseUrl.clear(); // the embedded cluster, as on the desktop
        config.listenHost = QStringLiteral("127.0.0.1");
        config.listenPort = 0;
        config.requestThreads = 2;
        config.ops.walArchiving = QStringLiteral("off");
        g_pidFile = config.clusterDir() + QStringLiteral("/postmaster.pid");
        m_runtime = std::make_unique<app::Runtime>(config, app::Runtime::Options{}, std::make_unique<MemorySecretStore>());
        QSignalSpy ready(m_runtime.get(), &app::Runtime::ready);
        QSignalSpy failed(m_runtime.get(), &app::Runtime::failed);
        m_runtime->start();
        QTRY_VERIFY_WITH_TIMEOUT(!ready.isEmpty() || !failed.isEmpty(), 120000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
    }
    void cleanupTestCase()
    {
        m_runtime.reset();
        setCurrentThreadRole(ThreadRole::Other);
    }

    void servesWhileTheGuiThreadRunsNoSql()
    {
        const test::HttpReply health = test::httpRequest(m_runtime->port(), "GET", "/api/v1/problems");
        QCOMPARE(health.status, 200);
    }

    void stopDoesNotBlockTheGuiThread()
    {
        QSignalSpy stopped(m_runtime.get(), &app::Runtime::stopped);
        QElapsedTimer sinceTick;
        qint64 worstGap = 0;
        QTimer tick;
        tick.setInterval(10);
        connect(&tick, &QTimer::timeout, this, [&] { worstGap = std::max(worstGap, sinceTick.restart()); });

        g_previous = qInstallMessageHandler(freezeOnStop);
        m_runtime->stop();
        QTRY_VERIFY_WITH_TIMEOUT(g_frozen != 0 || !stopped.isEmpty(), 60000); // the drain comes first
        qInstallMessageHandler(g_previous);
        const pid_t postmaster = g_frozen;
        QVERIFY2(postmaster != 0, "the embedded database was not stopped (or its pid file was not found)");

        sinceTick.start();
        tick.start();
        QTest::qWait(1500); // the database cannot stop while frozen; blocking here used to take 15 s
        QVERIFY2(stopped.isEmpty(), "stopped() before the database was gone");
        QVERIFY(alive(postmaster));
        ::kill(postmaster, SIGCONT);
        QVERIFY(stopped.wait(30000) || !stopped.isEmpty());
        tick.stop();
        QVERIFY2(worstGap < 1000, qPrintable(QStringLiteral("the event loop stalled for %1 ms").arg(worstGap)));
        QVERIFY(m_runtime->isStopped());
        QTRY_VERIFY_WITH_TIMEOUT(!alive(postmaster), 5000);
    }
};

QTEST_GUILESS_MAIN(tst_RuntimeShutdown)
#include "tst_runtimeshutdown.moc"
