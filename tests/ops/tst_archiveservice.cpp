// WAL archiving with the real pgBackRest on a real embedded cluster: stanza, base backup,
// archive status, and point-in-time recovery to a moment between two writes (restores exactly
// the first), both as a dump and through RestoreService's swap.
#include "server/db/database.h"
#include "server/db/embeddedpostgres.h"
#include "server/db/migrator.h"
#include "server/db/sql.h"
#include "server/ops/archivekeeper.h"
#include "server/ops/archiveservice.h"
#include "server/ops/backupservice.h"
#include "server/ops/restoreservice.h"
#include "tests/ops/opstestutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace bw;
using namespace bw::ops;

class TestArchiveService : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_tmp;
    ArchivePaths m_paths;
    std::unique_ptr<db::EmbeddedPostgres> m_server;
    QString m_password = QStringLiteral("pw-%1").arg(QCoreApplication::applicationPid());
    std::unique_ptr<ArchiveService> m_archive;

    db::ConnectionSettings settings(const QString &db) const
    {
        db::ConnectionSettings s = m_server->connectionSettings(m_password);
        s.database = db;
        s.statementTimeoutMs = 0;
        return s;
    }
    // Switches to a new WAL segment and waits until the finished one is in the repository.
    bool archiveNow(qint64 *lagMs = nullptr)
    {
        QElapsedTimer t;
        t.start();
        const QString seg =
            test::queryValue(settings(QStringLiteral("postgres")), QStringLiteral("SELECT pg_walfile_name(pg_switch_wal())"));
        for (int i = 0; i < 600; ++i) {
            const QString last = test::queryValue(settings(QStringLiteral("postgres")),
                                                  QStringLiteral("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver"));
            if (!last.isEmpty() && last >= seg) {
                if (lagMs)
                    *lagMs = t.elapsed();
                return true;
            }
            QThread::msleep(100);
        }
        return false;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (ArchiveService::findPgbackrest({}).isEmpty())
            QSKIP("pgbackrest is not installed (scripts/install-deps.sh installs it)");
        QFile::setPermissions(m_tmp.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                                | QFileDevice::ExeGroup | QFileDevice::ExeOther);
        m_paths.clusterDir = m_tmp.filePath(QStringLiteral("cluster"));
        m_paths.socketDir = m_paths.clusterDir + QStringLiteral("/run");
        m_paths.baseDir = m_tmp.filePath(QStringLiteral("pgbackrest"));
        m_paths.pgbackrest = ArchiveService::findPgbackrest({});
        m_paths.stanza = QStringLiteral("test");
        QVERIFY2(ArchiveService::writeConfig(m_paths, 7).ok(), "pgbackrest.conf");
        db::EmbeddedPostgresOptions o;
        o.clusterDir = m_paths.clusterDir;
        o.database = QStringLiteral("app");
        o.sharedBuffers = QStringLiteral("32MB");
        o.extraSettings = ArchiveService::serverSettings(m_paths, 60);
        m_server = std::make_unique<db::EmbeddedPostgres>(o);
        Status s = m_server->prepare(m_password);
        if (s)
            s = m_server->start();
        if (s)
            s = m_server->waitUntilReady(60000);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().message));
        m_archive = std::make_unique<ArchiveService>(m_paths, settings(QStringLiteral("postgres")), QString());
        Status stanza = m_archive->ensureStanza();
        QVERIFY2(stanza.ok(), qPrintable(stanza.ok() ? QString() : stanza.error().message));
        // The app schema, so RestoreService has its catalogue.
        db::Database app(settings(QStringLiteral("app")));
        {
            auto up = db::Migrator(db::Migrator::builtIn()).up(app.connection());
            QVERIFY2(up.ok(), qPrintable(up.ok() ? QString() : up.error().message));
        }
        app.releaseThisThread();
    }

    void cleanupTestCase()
    {
        m_archive.reset();
        if (m_server)
            (void)m_server->stop(15000);
    }

    void baseBackupAndStatus()
    {
        auto b = m_archive->backup(QStringLiteral("full"));
        QVERIFY2(b.ok(), qPrintable(b.ok() ? QString() : b.error().message));
        QCOMPARE(b->value(QStringLiteral("type")).toString(), QStringLiteral("full"));
        auto info = m_archive->info();
        QVERIFY(info.ok());
        QCOMPARE(info->value(QStringLiteral("status")).toObject().value(QStringLiteral("code")).toInt(), 0);
        QVERIFY(archiveNow());
        db::Database db(settings(QStringLiteral("app")));
        {
            auto st = ArchiveService::status(db.connection());
            QVERIFY(st.ok());
            QVERIFY(st->enabled);
            QCOMPARE(st->archiveTimeoutSeconds, 60); // as configured in initTestCase
            QVERIFY(st->archivedCount >= 1);
            QCOMPARE(st->failedCount, 0);
            QVERIFY(st->lastArchivedAt.isValid());
        }
        db.releaseThisThread();
    }

    void pointInTimeBetweenTwoWritesRestoresExactlyTheFirst()
    {
        const db::ConnectionSettings app = settings(QStringLiteral("app"));
        // pgBackRest keeps a backup's stop time in whole seconds: a target within the second the
        // base backup of the test before ended finds "no backup set with stop time less than" it.
        QThread::msleep(1100);
        QVERIFY(test::runSql(app, QStringLiteral("CREATE TABLE pitr (v text)")));
        QVERIFY(test::runSql(app, QStringLiteral("INSERT INTO pitr VALUES ('first')")));
        QThread::msleep(300);
        const QDateTime between = QDateTime::fromString(
            test::queryValue(
                app, QStringLiteral("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")),
            Qt::ISODateWithMs);
        QVERIFY(between.isValid());
        QThread::msleep(300);
        QVERIFY(test::runSql(app, QStringLiteral("INSERT INTO pitr VALUES ('second')")));
        qint64 lag = 0;
        QVERIFY(archiveNow(&lag));
        qInfo("WAL segment switched and archived in %lld ms", lag);

        // 1. As a dump taken from a temporary cluster.
        auto dump = m_archive->dumpAtTime(between, QStringLiteral("app"), m_tmp.filePath(QStringLiteral("dumps")), {});
        QVERIFY2(dump.ok(), qPrintable(dump.ok() ? QString() : dump.error().message));
        QVERIFY(test::runSql(settings(QStringLiteral("postgres")), QStringLiteral("CREATE DATABASE pitr_check")));
        db::Database catalogue(app);
        BackupService backups(catalogue, test::testOpsConfig(), m_tmp.filePath(QStringLiteral("backups")), QString());
        QVERIFY(backups.restoreArchive(*dump, settings(QStringLiteral("pitr_check")), {}).ok());
        QCOMPARE(test::queryValue(settings(QStringLiteral("pitr_check")), QStringLiteral("SELECT string_agg(v, ',') FROM pitr")),
                 QStringLiteral("first"));
        QFile::remove(*dump);
        // The temporary cluster is gone; the real one still archives on its own timeline.
        QCOMPARE(QDir(m_paths.baseDir).entryList({QStringLiteral("pitr-*")}, QDir::Dirs).size(), 0);
        QVERIFY(archiveNow());

        // 2. Through RestoreService: the live database goes back to that moment.
        RestoreService restore(backups, {}, [this](const QDateTime &t, const QString &db, const OperationPtr &op) {
            return m_archive->dumpAtTime(t, db, m_tmp.filePath(QStringLiteral("dumps")), op);
        });
        auto r = restore.restore(
            {.targetTime = between, .confirmation = QStringLiteral("app"), .requestedBy = QStringLiteral("tester")});
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(test::queryValue(app, QStringLiteral("SELECT string_agg(v, ',') FROM pitr")), QStringLiteral("first"));
        QCOMPARE(test::queryValue(app, QStringLiteral("SELECT outcome FROM restores WHERE id = '%1'").arg(r->restoreId)),
                 QStringLiteral("succeeded"));
        catalogue.releaseThisThread();
    }

    void aClearedRepositoryHealsItself()
    {
        db::Database db(settings(QStringLiteral("app")));
        const auto windowNow = [&] {
            auto st = ArchiveService::status(db.connection());
            return st ? ArchiveKeeper::window(*st, m_archive->info()) : RecoveryWindow{.reason = st.error().message};
        };
        QVERIFY2(windowNow().available, qPrintable(windowNow().text()));

        // Someone empties the repository: no stanza, no base backup, no PITR — and it is said so.
        QVERIFY(QDir(m_paths.repoDir() + QStringLiteral("/archive")).removeRecursively());
        QVERIFY(QDir(m_paths.repoDir() + QStringLiteral("/backup")).removeRecursively());
        const RecoveryWindow gone = windowNow();
        QVERIFY(!gone.available);
        QVERIFY2(gone.text().startsWith(u"not yet:"), qPrintable(gone.text()));

        const QDateTime healedAfter = QDateTime::currentDateTimeUtc().addSecs(-1);
        auto healed = ArchiveKeeper::heal(*m_archive);
        QVERIFY2(healed.ok(), qPrintable(healed.ok() ? QString() : healed.error().message));
        QVERIFY2(healed->contains(u"stanza created") && healed->contains(u"full base backup"), qPrintable(*healed));
        QVERIFY(archiveNow());
        const RecoveryWindow back = windowNow();
        QVERIFY2(back.available, qPrintable(back.text()));
        QVERIFY(back.from >= healedAfter);
        // Healthy again: a second heal has nothing to do.
        auto again = ArchiveKeeper::heal(*m_archive);
        QVERIFY(again.ok());
        QCOMPARE(*again, QString());
        db.releaseThisThread();
    }

    void externalDatabaseHasNoArchiving()
    {
        Config c;
        c.databaseUrl = QStringLiteral("postgresql://x@db.example/app");
        QVERIFY(!ArchiveService::wanted(c));
        c.databaseUrl.clear();
        c.ops.walArchiving = QStringLiteral("off");
        QVERIFY(!ArchiveService::wanted(c));
        c.ops.walArchiving = QStringLiteral("on");
        QVERIFY(ArchiveService::wanted(c));
        const QStringList lines = ArchiveService::serverSettings(m_paths, 60);
        QVERIFY(lines.contains(QStringLiteral("archive_mode = on")));
        QVERIFY(lines.contains(QStringLiteral("archive_timeout = 60")));
    }
};

QTEST_GUILESS_MAIN(TestArchiveService)
#include "tst_archiveservice.moc"
