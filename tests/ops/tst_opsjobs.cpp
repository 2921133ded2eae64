// OpsJobs: the schedules the job system registers, and each job kind run for real.
#include "server/db/database.h"
#include "server/ops/backupservice.h"
#include "server/ops/opsjobs.h"
#include "tests/ops/opstestutil.h"
#include "tests/support/pgfixture.h"

#include <QTemporaryDir>
#include <QTest>

using namespace bw;
using namespace bw::ops;

class TestOpsJobs : public QObject {
    Q_OBJECT
private:
    test::PgFixture m_pg;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError())); }

    void schedulesFollowTheOperationsSpec()
    {
        Config c;
        c.databaseUrl = QStringLiteral("postgresql://x@h/db"); // external: no WAL base backups here
        QStringList got;
        for (const OpsSchedule &s : OpsJobs::schedules(c)) {
            got << s.name + u'=' + s.cron;
            QCOMPARE(s.queue, QStringLiteral("ops"));
            QVERIFY(OpsJobs::kinds().contains(s.kind));
        }
        QCOMPARE(got, (QStringList{"backup-daily=0 3 * * *", "backup-monthly=30 3 1 * *", "backup-verify-weekly=0 5 * * 0",
                                   "restore-drill-monthly=0 6 2 * *"}));
        c.databaseUrl.clear();
        c.ops.walArchiving = QStringLiteral("on");
        QStringList archived;
        for (const OpsSchedule &s : OpsJobs::schedules(c))
            archived << s.name + u'=' + s.cron;
        QCOMPARE(archived.mid(4),
                 (QStringList{"wal-full-weekly=0 1 * * 0", "wal-diff-daily=0 1 * * 1-6", "wal-archive-check=*/10 * * * *"}));
    }

    void jobsRunForReal()
    {
        const QString dbName = m_pg.createMigratedDatabase();
        db::Database database(m_pg.settings(dbName));
        {
            Config c;
            c.databaseUrl = m_pg.url(dbName);
            c.ops = test::testOpsConfig();
            c.ops.backupDir = m_dir.path();
            OpsJobs jobs(database, c, nullptr, nullptr);
            QVERIFY(jobs.run(QStringLiteral("backup-verify"), {}, {}).error().details.value(QStringLiteral("retry")) == false);
            QVERIFY(jobs.run(QStringLiteral("backup-daily"), {}, {}).ok());
            QVERIFY(jobs.run(QStringLiteral("backup-monthly"), {}, {}).ok());
            Status verify = jobs.run(QStringLiteral("backup-verify"), {}, {});
            QVERIFY2(verify.ok(), qPrintable(verify.ok() ? QString() : verify.error().message));
            Status drill = jobs.run(QStringLiteral("restore-drill"), {}, {});
            QVERIFY2(drill.ok(), qPrintable(drill.ok() ? QString() : drill.error().message));
            QVERIFY(jobs.run(QStringLiteral("wal-full"), {}, {}).ok()); // external database: nothing to do
            QVERIFY(!jobs.run(QStringLiteral("nope"), {}, {}).ok());
            BackupService backups(database, c.ops, m_dir.path(), QString());
            auto list = backups.list();
            QCOMPARE(list->size(), 2);
            QCOMPARE(list->at(0).kind, QStringLiteral("monthly"));
            QCOMPARE(list->at(0).drillStatus, QStringLiteral("ok"));
            QCOMPARE(list->at(1).kind, QStringLiteral("daily"));
        }
        database.releaseThisThread();
    }
};

QTEST_GUILESS_MAIN(TestOpsJobs)
#include "tst_opsjobs.moc"
