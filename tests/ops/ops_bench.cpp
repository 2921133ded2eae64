// ops_bench [MB] [RPO samples]: measures the operations numbers for BENCHMARKS.md on a fresh
// embedded cluster with pgBackRest WAL archiving (archive_timeout 60 s): logical backup and
// restore throughput for a seeded database of about MB megabytes, the restore drill's RTO, and
// the WAL archive lag (commit → segment in the repository) = the measured RPO. Prints Markdown.
#include "server/db/database.h"
#include "server/db/embeddedpostgres.h"
#include "server/db/migrator.h"
#include "server/db/sql.h"
#include "server/ops/archiveservice.h"
#include "server/ops/backupservice.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QThread>

#include <cstdio>

using namespace bw;

namespace {
QString value(const db::ConnectionSettings &s, const QString &sql)
{
    db::Database d(s);
    QString v;
    {
        auto r = db::exec(d.connection(), sql);
        if (r && r->next())
            v = r->value(0).toString();
        else if (!r)
            std::fprintf(stderr, "SQL failed: %s\n", qPrintable(r.error().message));
    }
    d.releaseThisThread();
    return v;
}
double mb(qint64 bytes)
{
    return double(bytes) / (1024.0 * 1024.0);
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int targetMb = argc > 1 ? QString::fromLocal8Bit(argv[1]).toInt() : 512;
    const int rpoSamples = argc > 2 ? QString::fromLocal8Bit(argv[2]).toInt() : 3;
    QTemporaryDir tmp(QStringLiteral("/var/tmp/bw-ops-bench-XXXXXX"));
    QFile::setPermissions(tmp.path(),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ExeOther);
    ops::ArchivePaths paths;
    paths.clusterDir = tmp.filePath(QStringLiteral("cluster"));
    paths.socketDir = paths.clusterDir + QStringLiteral("/run");
    paths.baseDir = tmp.filePath(QStringLiteral("pgbackrest"));
    paths.pgbackrest = ops::ArchiveService::findPgbackrest({});
    const bool archiving = !paths.pgbackrest.isEmpty() && ops::ArchiveService::writeConfig(paths, 7).ok();
    db::EmbeddedPostgresOptions o;
    o.clusterDir = paths.clusterDir;
    o.database = QStringLiteral("bench");
    if (archiving)
        o.extraSettings = ops::ArchiveService::serverSettings(paths, 60);
    db::EmbeddedPostgres pg(o);
    const QString pw = QStringLiteral("bench-pw");
    Status s = pg.prepare(pw);
    if (s)
        s = pg.start();
    if (s)
        s = pg.waitUntilReady(60000);
    if (!s) {
        std::fprintf(stderr, "cluster: %s\n", qPrintable(s.error().message));
        return 1;
    }
    db::ConnectionSettings cs = pg.connectionSettings(pw);
    cs.statementTimeoutMs = 0;
    {
        db::Database d(cs);
        if (auto up = db::Migrator(db::Migrator::builtIn()).up(d.connection()); !up) {
            std::fprintf(stderr, "migrate: %s\n", qPrintable(up.error().message));
            return 1;
        }
        d.releaseThisThread();
    }
    // Seed: realistic-ish rows (text that compresses like prose/JSON does, ~3:1) until the target size.
    QElapsedTimer t;
    t.start();
    value(cs,
          QStringLiteral("CREATE TABLE bench_rows (id bigserial PRIMARY KEY, agent uuid, title text, body text, payload jsonb, "
                         "created_at timestamptz DEFAULT now())"));
    while (value(cs, QStringLiteral("SELECT pg_database_size(current_database())")).toLongLong()
           < qint64(targetMb) * 1024 * 1024) {
        value(cs,
              QStringLiteral(
                  "INSERT INTO bench_rows (agent, title, body, payload) SELECT gen_random_uuid(), "
                  "'Problem ' || g || ' in region ' || (g % 97), "
                  "repeat('Clean water access in district ' || (g % 1000) || ' needs pumps and training. ', 8) || md5(g::text), "
                  "jsonb_build_object('severity', g % 4, 'sources', jsonb_build_array(md5(random()::text), md5(random()::text))) "
                  "FROM generate_series(1, 50000) g"));
    }
    value(cs, QStringLiteral("VACUUM ANALYZE bench_rows"));
    const qint64 dbBytes = value(cs, QStringLiteral("SELECT pg_database_size(current_database())")).toLongLong();
    const qint64 rows = value(cs, QStringLiteral("SELECT count(*) FROM bench_rows")).toLongLong();
    std::fprintf(stderr, "seeded %.0f MB (%lld rows) in %.0f s\n", mb(dbBytes), rows, t.elapsed() / 1000.0);

    db::Database catalogue(cs);
    OpsConfig oc;
    oc.minFreeMb = 64;
    ops::BackupService backups(catalogue, oc, tmp.filePath(QStringLiteral("backups")), QString());
    t.restart();
    auto b = backups.create(ops::BackupKind::Manual);
    if (!b) {
        std::fprintf(stderr, "backup: %s\n", qPrintable(b.error().message));
        return 1;
    }
    const qint64 backupMs = t.elapsed();
    auto d = backups.drill(b->id);
    if (!d) {
        std::fprintf(stderr, "drill: %s\n", qPrintable(d.error().message));
        return 1;
    }
    std::printf("| database size | %.0f MB (%lld rows + the schema) |\n", mb(dbBytes), rows);
    std::printf(
        "| logical backup (pg_dump -Fc -Z6, snapshot + row counts + checksum + pg_restore --list) | %.1f s → %.0f MB file; **%.1f MB/s** of database |\n",
        backupMs / 1000.0, mb(b->sizeBytes), mb(dbBytes) / (backupMs / 1000.0));
    std::printf("| restore drill: pg_restore -j2 into a scratch database | %.1f s; **%.1f MB/s** of database; row counts %s |\n",
                d->restoreMs / 1000.0, mb(dbBytes) / (d->restoreMs / 1000.0), d->ok ? "equal" : "DIFFER");
    std::printf(
        "| drill total (verify + create + restore + compare + drop) = measured RTO | **%.1f s** (objective 15 min: %s) |\n",
        d->totalMs / 1000.0, d->withinRto ? "met" : "MISSED");

    if (archiving) {
        db::ConnectionSettings su = cs;
        su.database = QStringLiteral("postgres");
        ops::ArchiveService archive(paths, su, QString());
        if (Status st = archive.ensureStanza(); !st) {
            std::fprintf(stderr, "stanza: %s\n", qPrintable(st.error().message));
            return 1;
        }
        t.restart();
        auto full = archive.backup(QStringLiteral("full"));
        const qint64 fullMs = t.elapsed();
        if (full)
            std::printf("| pgBackRest full base backup | %.1f s (%.1f MB/s) |\n", fullMs / 1000.0,
                        mb(dbBytes) / (fullMs / 1000.0));
        // RPO: a small write at a random moment, then wait until its WAL segment is archived.
        QList<double> lags;
        for (int i = 0; i < rpoSamples; ++i) {
            QThread::msleep(QRandomGenerator::global()->bounded(1000, 20000));
            const QString seg =
                value(cs, QStringLiteral("WITH w AS (INSERT INTO bench_rows (title) VALUES ('rpo probe') RETURNING id) "
                                         "SELECT pg_walfile_name(pg_current_wal_insert_lsn()) FROM w"));
            QElapsedTimer lag;
            lag.start();
            while (lag.elapsed() < 180000) {
                const QString last = value(cs, QStringLiteral("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver"));
                if (!last.isEmpty() && last >= seg)
                    break;
                QThread::msleep(200);
            }
            lags << lag.elapsed() / 1000.0;
            std::fprintf(stderr, "RPO sample %d: %.1f s\n", i + 1, lags.last());
        }
        double worst = 0, sum = 0;
        for (double l : std::as_const(lags)) {
            worst = qMax(worst, l);
            sum += l;
        }
        if (!lags.isEmpty())
            std::printf(
                "| WAL archive lag, commit → segment in the repository (archive_timeout 60 s, otherwise idle) = measured RPO | "
                "mean **%.1f s**, worst %.1f s over %lld writes (objective ≤ 60 s) |\n",
                sum / lags.size(), worst, qint64(lags.size()));
    }
    catalogue.releaseThisThread();
    (void)pg.stop(30000);
    return 0;
}
