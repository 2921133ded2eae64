// BackupService against a real cluster with the real pg_dump/pg_restore: create, round trip,
// verification of damaged files, restore drill, retention, disk full, kill -9 mid-backup, cancel.
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/ops/backupservice.h"
#include "tests/ops/opstestutil.h"
#include "tests/support/pgfixture.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace bw;
using namespace bw::ops;

class TestBackupService : public QObject {
    Q_OBJECT
private:
    test::PgFixture m_pg;
    QString m_db;
    QTemporaryDir m_dir;
    std::unique_ptr<db::Database> m_catalogue;
    std::unique_ptr<BackupService> m_service;

    db::ConnectionSettings settings() const { return m_pg.settings(m_db); }
    QStringList filesIn(const QString &dir) const { return QDir(dir).entryList(QDir::Files); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_db = m_pg.createMigratedDatabase();
        QVERIFY(!m_db.isEmpty());
        QVERIFY(test::seedSample(settings(), 2000));
        QVERIFY(
            test::runSql(settings(), QStringLiteral("INSERT INTO settings (key, value) VALUES ('ops_test', '{\"a\": [1, 2]}')")));
        m_catalogue = std::make_unique<db::Database>(settings());
        m_service = std::make_unique<BackupService>(*m_catalogue, test::testOpsConfig(), m_dir.path(), QString());
    }

    void cleanupTestCase()
    {
        m_service.reset();
        if (m_catalogue)
            m_catalogue->releaseThisThread();
    }

    void createWritesCompleteCheckedFile()
    {
        QList<Progress> steps;
        auto op = Operation::create(QStringLiteral("backup"), {}, [&](const Progress &p) { steps << p; });
        auto r = m_service->create(BackupKind::Manual, op);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(r->status, QStringLiteral("completed"));
        QVERIFY(QFileInfo::exists(r->path));
        QVERIFY(!QFileInfo::exists(r->path + QStringLiteral(".partial")));
        QCOMPARE(QFileInfo(r->path).size(), r->sizeBytes);
        QCOMPARE(r->sha256.size(), 64);
        QCOMPARE(r->tableCounts.value(QStringLiteral("public.ops_sample")).toInt(), 2000);
        QVERIFY(r->schemaVersion >= 10);
        QVERIFY(r->durationMs > 0);
        QVERIFY(!r->expiresAt.isValid()); // manual: kept until deleted
        QCOMPARE(r->verifyStatus, QStringLiteral("ok"));
        QStringList names;
        for (const Progress &p : std::as_const(steps))
            if (!names.contains(p.step))
                names << p.step;
        QCOMPARE(names, (QStringList{"prepare", "snapshot", "dump", "checksum", "finish"}));
        QVERIFY(steps.last().finished);
        // The password never reaches a command line: the tool got it through PGPASSFILE.
        QCOMPARE(test::queryValue(settings(), QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'backup.created' "
                                                             "AND target_id = '%1'")
                                                  .arg(r->id)),
                 QStringLiteral("1"));
        // Daily backups get the configured expiry.
        auto daily = m_service->create(BackupKind::Daily);
        QVERIFY2(daily.ok(), qPrintable(daily.ok() ? QString() : daily.error().message));
        QVERIFY(daily->expiresAt.isValid());
        QVERIFY(qAbs(daily->expiresAt.secsTo(QDateTime::currentDateTimeUtc().addDays(30))) < 600);
    }

    void roundTripRestoresIdenticalData()
    {
        auto r = m_service->create(BackupKind::Manual);
        QVERIFY(r.ok());
        const QString target = m_pg.createDatabase();
        db::ConnectionSettings t = m_pg.settings(target);
        QVERIFY2(m_service->restoreArchive(r->path, t, {}).ok(), "restore failed");
        const QJsonObject before = test::fingerprint(settings());
        const QJsonObject after = test::fingerprint(t);
        QVERIFY(before.contains(QStringLiteral("ops_sample")));
        QVERIFY(before.contains(QStringLiteral("agents")));
        // The catalogue row of the backup being written is 'running' in the snapshot.
        QJsonObject b = before, a = after;
        b.remove(QStringLiteral("backups")), a.remove(QStringLiteral("backups"));
        b.remove(QStringLiteral("audit_log")), a.remove(QStringLiteral("audit_log"));
        QCOMPARE(a, b);
        QCOMPARE(test::queryValue(t, QStringLiteral("SELECT value->'a'->>1 FROM settings WHERE key = 'ops_test'")),
                 QStringLiteral("2"));
        m_pg.dropDatabase(target);
    }

    void verifyDetectsDamage_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::newRow("flipped byte") << "flip";
        QTest::newRow("truncated") << "truncate";
        QTest::newRow("missing") << "delete";
    }
    void verifyDetectsDamage()
    {
        QFETCH(QString, damage);
        auto r = m_service->create(BackupKind::Manual);
        QVERIFY(r.ok());
        auto good = m_service->verify(r->id);
        QVERIFY(good.ok());
        QVERIFY2(good->ok, qPrintable(good->detail));
        QVERIFY(good->tocEntries > 10);

        QFile f(r->path);
        if (damage == u"flip") {
            QVERIFY(f.open(QIODevice::ReadWrite));
            f.seek(f.size() / 2);
            char c = 0;
            f.getChar(&c);
            f.seek(f.size() / 2);
            f.putChar(char(c ^ 0x5a));
            f.close();
        } else if (damage == u"truncate") {
            QVERIFY(f.resize(f.size() / 3));
        } else {
            QVERIFY(f.remove());
        }
        auto bad = m_service->verify(r->id);
        QVERIFY(bad.ok());
        QVERIFY(!bad->ok);
        QVERIFY2(!bad->detail.isEmpty(), "a reason is given");
        auto stored = m_service->get(r->id);
        QCOMPARE(stored->verifyStatus, QStringLiteral("failed"));
        QCOMPARE(stored->verifyDetail, bad->detail);
        // A damaged file cannot be listed by pg_restore either (the second line of defence).
        if (damage == u"truncate")
            QVERIFY(!m_service->listArchive(r->path, {}).ok());
    }

    void drillRestoresAndComparesRowCounts()
    {
        auto r = m_service->create(BackupKind::Monthly);
        QVERIFY(r.ok());
        QList<Progress> seen;
        auto op = Operation::create(QStringLiteral("drill"), {}, [&](const Progress &p) { seen << p; });
        auto d = m_service->drill(r->id, op);
        QVERIFY2(d.ok(), qPrintable(d.ok() ? QString() : d.error().message));
        QVERIFY2(d->ok, qPrintable(d->mismatches.join(u'\n')));
        QVERIFY(d->tablesCompared >= 10);
        QVERIFY(d->restoreMs > 0);
        QVERIFY(d->withinRto);
        QCOMPARE(d->rtoMs, qint64(15) * 60 * 1000);
        auto stored = m_service->get(r->id);
        QCOMPARE(stored->drillStatus, QStringLiteral("ok"));
        QCOMPARE(stored->drillRestoreMs, d->restoreMs);
        // The scratch database is gone.
        QCOMPARE(test::queryValue(settings(), QStringLiteral("SELECT count(*) FROM pg_database WHERE datname LIKE 'bw_drill_%'")),
                 QStringLiteral("0"));
    }

    void drillReportsRowCountMismatch()
    {
        auto r = m_service->create(BackupKind::Manual);
        QVERIFY(r.ok());
        // Pretend the snapshot saw one more row than the dump holds.
        QVERIFY(test::runSql(settings(), QStringLiteral("UPDATE backups SET table_counts = jsonb_set(table_counts, "
                                                        "'{public.ops_sample}', '2001') WHERE id = '%1'")
                                             .arg(r->id)));
        auto d = m_service->drill(r->id);
        QVERIFY(d.ok());
        QVERIFY(!d->ok);
        QCOMPARE(d->mismatches.size(), 1);
        QVERIFY(d->mismatches.first().startsWith(QStringLiteral("public.ops_sample: backup 2001, restored 2000")));
        QCOMPARE(m_service->get(r->id)->drillStatus, QStringLiteral("failed"));
    }

    void retentionExpiresOldBackupsButNeverTheNewest()
    {
        auto old1 = m_service->create(BackupKind::Daily);
        auto old2 = m_service->create(BackupKind::Daily);
        QVERIFY(old1.ok() && old2.ok());
        QVERIFY(test::runSql(settings(), QStringLiteral("UPDATE backups SET expires_at = now() - interval '1 day' "
                                                        "WHERE id IN ('%1', '%2')")
                                             .arg(old1->id, old2->id)));
        auto r = m_service->enforceRetention();
        QVERIFY(r.ok());
        // old2 is the newest backup of all: kept even though it is past its expiry.
        QCOMPARE(r->expiredIds, QStringList{old1->id});
        QVERIFY(!QFileInfo::exists(old1->path));
        QVERIFY(QFileInfo::exists(old2->path));
        QCOMPARE(m_service->get(old1->id)->status, QStringLiteral("expired"));
        auto listed = m_service->list();
        QVERIFY(std::none_of(listed->cbegin(), listed->cend(), [&](const BackupRecord &b) { return b.id == old1->id; }));
    }

    void diskFullBeforeStartingIsAClearError()
    {
        test::SmallDisk disk(1);
        if (!disk.ok())
            QSKIP(qPrintable(QStringLiteral("cannot mount a tmpfs here: %1").arg(disk.error())));
        OpsConfig c = test::testOpsConfig();
        c.minFreeMb = 2;
        BackupService small(*m_catalogue, c, disk.path(), QString());
        auto r = small.create(BackupKind::Manual);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().details.value(QStringLiteral("reason")).toString(), QStringLiteral("disk_full"));
        QVERIFY2(r.error().message.startsWith(QStringLiteral("Not enough free space for a backup in ")),
                 qPrintable(r.error().message));
        QVERIFY(filesIn(disk.path()).isEmpty());
    }

    void diskFillingUpDuringTheDumpIsAClearError()
    {
        test::SmallDisk disk(3);
        if (!disk.ok())
            QSKIP(qPrintable(QStringLiteral("cannot mount a tmpfs here: %1").arg(disk.error())));
        // ~8 MB of incompressible-ish rows in their own database; the catalogue believes its
        // dumps are tiny, so the up-front check passes and pg_dump itself hits ENOSPC.
        const QString big = m_pg.createDatabase();
        db::ConnectionSettings bs = m_pg.settings(big);
        QVERIFY(test::seedSample(bs, 20000, 400, QStringLiteral("filler")));
        QVERIFY(
            test::runSql(settings(), QStringLiteral("INSERT INTO backups (kind, status, path, source, database_name, size_bytes) "
                                                    "VALUES ('manual', 'completed', '/nonexistent', 'x', '%1', 1000)")
                                         .arg(big)));
        OpsConfig c = test::testOpsConfig();
        c.minFreeMb = 0;
        c.compressLevel = 0;
        BackupService small(*m_catalogue, c, disk.path(), QString());
        auto r = small.create(BackupKind::Manual, {}, CreateOptions{.source = bs});
        QVERIFY(!r.ok());
        QCOMPARE(r.error().details.value(QStringLiteral("reason")).toString(), QStringLiteral("disk_full"));
        QVERIFY2(r.error().message.contains(QStringLiteral("filled up")), qPrintable(r.error().message));
        QVERIFY2(filesIn(disk.path()).isEmpty(), qPrintable(filesIn(disk.path()).join(u',')));
        QCOMPARE(test::queryValue(settings(), QStringLiteral("SELECT status FROM backups WHERE database_name = '%1' "
                                                             "ORDER BY started_at DESC LIMIT 1")
                                                  .arg(big)),
                 QStringLiteral("failed"));
        m_pg.dropDatabase(big);
    }

    void killDashNineMidBackupLeavesNoHalfFileInTheCatalogue()
    {
        const QString big = m_pg.createMigratedDatabase();
        db::ConnectionSettings bs = m_pg.settings(big);
        QVERIFY(test::seedSample(bs, 60000, 600, QStringLiteral("filler")));
        QTemporaryDir dir;
        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QStringLiteral(OPS_BACKUP_CHILD), {m_pg.url(big), dir.path()});
        QVERIFY(child.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(child.canReadLine() || child.state() == QProcess::NotRunning, 60000);
        QCOMPARE(child.readLine().trimmed(), QByteArray("started"));
        // Wait until pg_dump is writing, then kill the app (not pg_dump) without warning.
        QTRY_VERIFY_WITH_TIMEOUT(
            !QDir(dir.path()).entryList({QStringLiteral("*.partial")}).isEmpty()
                && QFileInfo(dir.filePath(QDir(dir.path()).entryList({QStringLiteral("*.partial")}).value(0))).size() > 0,
            60000);
        ::kill(pid_t(child.processId()), SIGKILL);
        QVERIFY(child.waitForFinished(10000));

        db::ConnectionSettings cs = bs;
        QCOMPARE(test::queryValue(cs, QStringLiteral("SELECT status FROM backups ORDER BY started_at DESC LIMIT 1")),
                 QStringLiteral("running"));
        QCOMPARE(test::queryValue(cs, QStringLiteral("SELECT count(*) FROM backups WHERE status = 'completed'")),
                 QStringLiteral("0"));
        QVERIFY(QDir(dir.path()).entryList({QStringLiteral("*.dump")}).isEmpty()); // no file under a final name
        // pg_dump died with its parent: the partial file stops growing.
        const QString partial = dir.filePath(QDir(dir.path()).entryList({QStringLiteral("*.partial")}).value(0));
        const qint64 size1 = QFileInfo(partial).size();
        QTest::qWait(1500);
        QCOMPARE(QFileInfo(partial).size(), size1);

        db::Database catalogue(cs);
        {
            BackupService service(catalogue, test::testOpsConfig(), dir.path(), QString());
            auto recovered = service.recoverInterrupted();
            QVERIFY(recovered.ok());
            QCOMPARE(*recovered, 1);
            auto all = service.list();
            QCOMPARE(all->size(), 1);
            QCOMPARE(all->first().status, QStringLiteral("failed"));
            QVERIFY(all->first().error.startsWith(QStringLiteral("interrupted")));
        }
        catalogue.releaseThisThread();
        QVERIFY2(QDir(dir.path()).entryList(QDir::Files).isEmpty(), "the partial file was removed");
        m_pg.dropDatabase(big);
    }

    void cancelStopsTheDumpAndCleansUp()
    {
        const QString big = m_pg.createMigratedDatabase();
        db::ConnectionSettings bs = m_pg.settings(big);
        QVERIFY(test::seedSample(bs, 40000, 600, QStringLiteral("filler")));
        QTemporaryDir dir;
        db::Database catalogue(bs);
        OpsConfig c = test::testOpsConfig();
        c.compressLevel = 9;
        {
            BackupService service(catalogue, c, dir.path(), QString());
            std::shared_ptr<Operation> op;
            op = Operation::create(QStringLiteral("backup"), {}, [&op](const Progress &p) {
                if (p.step == QLatin1StringView("dump"))
                    op->cancel();
            });
            auto r = service.create(BackupKind::Manual, op);
            QVERIFY(!r.ok());
            QVERIFY(Operation::isCancelled(r.error()));
            auto all = service.list();
            QCOMPARE(all->first().status, QStringLiteral("failed"));
            QCOMPARE(all->first().error, QStringLiteral("cancelled"));
        }
        catalogue.releaseThisThread();
        QVERIFY(QDir(dir.path()).entryList(QDir::Files).isEmpty());
        m_pg.dropDatabase(big);
    }
};

QTEST_GUILESS_MAIN(TestBackupService)
#include "tst_backupservice.moc"
