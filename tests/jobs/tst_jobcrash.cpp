// A worker process killed with SIGKILL in the middle of a job: while it lives nobody else runs the
// job (its lease is renewed); after the kill, the surviving node becomes the cron leader, rescues
// the expired lease, and the job completes exactly once (side effects counted in a table).

#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/jobs/jobsystem.h"
#include "tests/support/pgfixture.h"
#include "tests/support/testdb.h"

#include <QProcess>
#include <QTest>

#include <csignal>
#include <sys/types.h>

using namespace bw;

#ifndef BW_JOBS_CRASH_HELPER
#error "BW_JOBS_CRASH_HELPER must name the helper executable"
#endif

class tst_JobCrash final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void sigkillMidJobRunsAgainExactlyOnce();

private:
    test::PgFixture m_pg;
};

void tst_JobCrash::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
}

void tst_JobCrash::sigkillMidJobRunsAgainExactlyOnce()
{
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    db::Database database(m_pg.settings(name));
    QVERIFY(db::exec(
        database.connection(),
        QStringLiteral(
            "CREATE TABLE side_effects (job_id uuid NOT NULL, node text NOT NULL, at timestamptz NOT NULL DEFAULT now())")));
    auto id = jobs::enqueue(database.connection(), QStringLiteral("crash"), QStringLiteral("sleepy"), {});
    QVERIFY(id);

    // Node A (another process) claims the job and sleeps in it; it is the only node, so the leader.
    QProcess a;
    a.setProcessChannelMode(QProcess::SeparateChannels);
    a.start(QStringLiteral(BW_JOBS_CRASH_HELPER),
            {m_pg.url(name), QStringLiteral("node-a"), QStringLiteral("2"), QStringLiteral("60000")});
    QVERIFY(a.waitForStarted(10000));
    QByteArray out;
    const QByteArray started = QByteArray("START ") + id->toLatin1() + QByteArray(" 1");
    QTRY_VERIFY_WITH_TIMEOUT((out += a.readAllStandardOutput()).contains("LEADER") && out.contains(started), 20000);

    // Node B in this process, short lease too, fast handler.
    MetricsRegistry metrics;
    db::Database bDatabase(m_pg.settings(name));
    jobs::JobSystem b(bDatabase, metrics, QStringLiteral("node-b"));
    std::atomic_int bRuns{0};
    b.registerHandler(QStringLiteral("crash"), QStringLiteral("sleepy"), [&](const jobs::Job &job, jobs::JobContext &) -> Status {
        ++bRuns;
        auto r = db::exec(bDatabase.connection(),
                          QStringLiteral("INSERT INTO side_effects (job_id, node) VALUES (?::uuid, 'node-b')"), {job.id});
        return r ? success() : Status(r.error());
    });
    b.setQueueSettings(QStringLiteral("crash"), jobs::QueueSettings{.concurrency = 2, .leaseSeconds = 2});
    QVERIFY(b.start());

    // Longer than the lease: A keeps renewing it, so B neither rescues nor runs the job.
    QTest::qWait(3500);
    QVERIFY(!b.isLeader());
    QCOMPARE(bRuns.load(), 0);
    QCOMPARE(test::scalar(database, QStringLiteral("SELECT state || '/' || locked_by || '/' || attempts FROM jobs")).toString(),
             QStringLiteral("running/node-a/1"));

    // SIGKILL: no cleanup at all in A.
    QVERIFY(::kill(pid_t(a.processId()), SIGKILL) == 0);
    QVERIFY(a.waitForFinished(10000));
    QCOMPARE(a.exitStatus(), QProcess::CrashExit);

    // B takes over leadership (A's session and advisory lock died with it) and, once the lease
    // has expired, rescues the job and runs it.
    QTRY_VERIFY_WITH_TIMEOUT(b.isLeader(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(test::scalar(database, QStringLiteral("SELECT state FROM jobs")).toString(),
                              QStringLiteral("completed"), 15000);
    QCOMPARE(test::scalar(database, QStringLiteral("SELECT attempts FROM jobs")).toInt(), 2);
    QVERIFY(test::scalar(database, QStringLiteral("SELECT last_error FROM jobs")).toString().contains(QStringLiteral("node-a")));
    // Exactly once, and by B; still so a while later.
    QTest::qWait(2500);
    QCOMPARE(bRuns.load(), 1);
    QCOMPARE(test::scalar(database, QStringLiteral("SELECT count(*) FROM side_effects")).toInt(), 1);
    QCOMPARE(test::scalar(database, QStringLiteral("SELECT node FROM side_effects")).toString(), QStringLiteral("node-b"));
    QCOMPARE(test::scalar(database, QStringLiteral("SELECT count(*) FROM jobs")).toInt(), 1);

    b.stop(5000);
    bDatabase.releaseThisThread();
    database.releaseThisThread();
}

QTEST_GUILESS_MAIN(tst_JobCrash)
#include "tst_jobcrash.moc"
