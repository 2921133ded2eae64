#include "server/ops/backupservice.h"

#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/ops/catalogue.h"
#include "server/ops/s3client.h"
#include "server/ops/toolrunner.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QStorageInfo>
#include <QSysInfo>
#include <QUuid>

#include <fcntl.h>
#include <unistd.h>

namespace bw::ops {

namespace {

Q_LOGGING_CATEGORY(lcBackup, "bw.ops.backup", QtInfoMsg)

constexpr qint64 kMb = 1024 * 1024;
const QString kPartial = QStringLiteral(".partial");

ApiError diskFull(const QString &message)
{
    return ApiError::make(ErrorKind::ServiceUnavailable, message,
                          QJsonObject{{QStringLiteral("reason"), QStringLiteral("disk_full")}});
}

bool fsyncPath(const QString &path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY);
    if (fd < 0)
        return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

// A short-lived connection on this thread; released (closed) when it goes out of scope.
class ScopedDatabase final {
public:
    explicit ScopedDatabase(db::ConnectionSettings s) : m_db(std::move(s)) {}
    ~ScopedDatabase() { m_db.releaseThisThread(); }
    QSqlDatabase connection() { return m_db.connection(); }

private:
    db::Database m_db;
};

db::ConnectionSettings longRunning(db::ConnectionSettings s)
{
    s.statementTimeoutMs = 0;
    s.idleInTransactionTimeoutMs = 0;
    s.applicationName = QStringLiteral("betterworld-ops");
    return s;
}

QString fileStamp(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'"));
}

} // namespace

QString quoteIdent(const QString &name)
{
    QString q = name;
    q.replace(u'"', QStringLiteral("\"\""));
    return u'"' + q + u'"';
}

db::ConnectionSettings maintenanceSettings(const db::ConnectionSettings &s)
{
    db::ConnectionSettings m = longRunning(s);
    m.database = QStringLiteral("postgres");
    return m;
}

Status adminExec(const db::ConnectionSettings &server, const QString &sql, const QVariantList &binds)
{
    ScopedDatabase admin(maintenanceSettings(server));
    auto r = db::exec(admin.connection(), sql, binds);
    if (!r)
        return r.error();
    return success();
}

BackupService::BackupService(db::Database &catalogue, OpsConfig config, QString backupDir, QString pgBinDir,
                             MetricsRegistry *metrics)
    : m_catalogue(catalogue), m_config(std::move(config)), m_dir(std::move(backupDir)), m_pgBinDir(std::move(pgBinDir)),
      m_metrics(metrics)
{
}

QDateTime BackupService::expiryFor(BackupKind kind, const QDateTime &from) const
{
    int days = 0;
    switch (kind) {
    case BackupKind::Daily:
        days = m_config.dailyRetentionDays;
        break;
    case BackupKind::Monthly:
        days = m_config.monthlyRetentionDays;
        break;
    case BackupKind::PreMigration:
        days = m_config.preMigrationRetentionDays;
        break;
    case BackupKind::PreRestore:
        days = m_config.preRestoreRetentionDays;
        break;
    case BackupKind::Manual:
        days = m_config.manualRetentionDays;
        break;
    }
    return days > 0 ? from.addDays(days) : QDateTime();
}

Result<QJsonObject> BackupService::tableCounts(QSqlDatabase db)
{
    // Ordinary tables outside system schemas and not owned by an extension (pg_dump skips those).
    auto sql = db::exec(
        db,
        QStringLiteral(
            "SELECT coalesce(string_agg(format('SELECT %L AS t, count(*) AS n FROM %I.%I', n.nspname || '.' || c.relname, "
            "n.nspname, c.relname), ' UNION ALL ' ORDER BY n.nspname, c.relname), '') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg\\_%' "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"));
    if (!sql)
        return sql.error();
    sql->next();
    const QString union_ = sql->value(0).toString();
    QJsonObject counts;
    if (union_.isEmpty())
        return counts;
    auto q = db::exec(db, union_);
    if (!q)
        return q.error();
    while (q->next())
        counts.insert(q->value(0).toString(), double(q->value(1).toLongLong()));
    return counts;
}

QString BackupService::sha256File(const QString &path, const OperationPtr &op, qint64 *size)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const qint64 total = f.size();
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QByteArray buf(1 << 20, Qt::Uninitialized);
    qint64 done = 0;
    while (true) {
        const qint64 n = f.read(buf.data(), buf.size());
        if (n < 0)
            return {};
        if (n == 0)
            break;
        hash.addData(QByteArrayView(buf.constData(), n));
        done += n;
        if (op && total > 0)
            op->setFraction(double(done) / double(total));
    }
    if (size)
        *size = done;
    return QString::fromLatin1(hash.result().toHex());
}

Result<int> BackupService::listArchive(const QString &path, const OperationPtr &op)
{
    auto tool = pgTool(m_pgBinDir, QStringLiteral("pg_restore"));
    if (!tool)
        return tool.error();
    auto r = runTool({.program = *tool, .args = {QStringLiteral("--list"), path}, .timeoutMs = 600000, .op = op});
    if (!r)
        return ApiError::internal(QStringLiteral("the archive cannot be read: %1").arg(r.error().message));
    int entries = 0;
    for (const QByteArray &line : r->out.split('\n')) {
        if (!line.isEmpty() && !line.startsWith(';'))
            ++entries;
    }
    return entries; // 0 for an empty database: the header and TOC still had to parse
}

Status BackupService::restoreArchive(const QString &path, const db::ConnectionSettings &target, const OperationPtr &op)
{
    auto entries = listArchive(path, op);
    if (!entries)
        return entries.error();
    auto tool = pgTool(m_pgBinDir, QStringLiteral("pg_restore"));
    if (!tool)
        return tool.error();
    PassFile pass(target.password);
    if (!pass.ok())
        return ApiError::internal(QStringLiteral("cannot write a temporary password file"));
    int seen = 0;
    const int total = *entries;
    ToolRun run{.program = *tool,
                .args = {QStringLiteral("--dbname=") + target.database, QStringLiteral("--exit-on-error"),
                         QStringLiteral("--verbose"), QStringLiteral("--no-password"),
                         QStringLiteral("--jobs=%1").arg(qMax(1, m_config.restoreJobs)), path},
                .env = libpqEnvironment(target, pass.path()),
                .op = op};
    run.onStderrLine = [&](const QString &line) {
        if (line.contains(QLatin1StringView("creating ")) || line.contains(QLatin1StringView("processing data for table"))
            || line.contains(QLatin1StringView("processing item"))) {
            ++seen;
            if (op)
                op->setFraction(qMin(0.99, double(seen) / double(total)));
        }
        if (op && line.contains(QLatin1StringView("processing data for table")))
            op->message(line.section(QStringLiteral("table "), 1).remove(u'"'));
    };
    auto r = runTool(run);
    if (!r)
        return r.error();
    return success();
}

Result<BackupRecord> BackupService::create(BackupKind kind, const OperationPtr &opIn, const CreateOptions &options)
{
    const QStringList plan{QStringLiteral("prepare|Checking space"), QStringLiteral("snapshot|Counting rows in one snapshot"),
                           QStringLiteral("dump|Dumping the database (pg_dump)"),
                           QStringLiteral("checksum|Checking and checksumming the file"), QStringLiteral("finish|Cataloguing")};
    const OperationPtr op = opIn ? opIn : Operation::create(QStringLiteral("backup"), plan);
    op->setPlanIfEmpty(plan);
    op->beginStep(QStringLiteral("prepare"));
    auto haveCatalogue = catalogue::available(m_catalogue.connection());
    if (!haveCatalogue)
        return haveCatalogue.error();
    if (*haveCatalogue)
        (void)recoverInterrupted();
    const db::ConnectionSettings source = options.source ? *options.source : m_catalogue.settings();

    if (!QDir().mkpath(m_dir))
        return ApiError::internal(QStringLiteral("cannot create the backup folder %1").arg(m_dir));
    QFile::setPermissions(m_dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);

    // Size estimate: the recent dumps of this database, else a fraction of its size on disk.
    qint64 dbSize = 0;
    {
        ScopedDatabase src(longRunning(source));
        auto q = db::exec(src.connection(), QStringLiteral("SELECT pg_database_size(current_database())"));
        if (!q)
            return ApiError::unavailable(QStringLiteral("cannot connect to %1: %2").arg(source.redactedUrl(), q.error().message));
        q->next();
        dbSize = q->value(0).toLongLong();
    }
    qint64 recent = 0;
    if (*haveCatalogue) {
        auto r = catalogue::recentSize(m_catalogue.connection(), source.database);
        if (!r)
            return r.error();
        recent = *r;
    }
    const qint64 estimate = recent > 0 ? recent : qMax<qint64>(dbSize / 2, kMb);
    QStorageInfo disk(m_dir);
    disk.refresh();
    const qint64 needed = estimate + estimate / 4 + qint64(m_config.minFreeMb) * kMb;
    if (!disk.isValid() || disk.bytesAvailable() < needed)
        return diskFull(QStringLiteral("Not enough free space for a backup in %1: about %2 MB needed (estimated dump %3 MB plus "
                                       "the %4 MB reserve), %5 MB free. Free some space or set backups/dir to a larger disk.")
                            .arg(m_dir)
                            .arg(needed / kMb)
                            .arg(estimate / kMb)
                            .arg(m_config.minFreeMb)
                            .arg(disk.bytesAvailable() / kMb));

    BackupRecord record;
    record.kind = kindName(kind);
    record.source = source.redactedUrl();
    record.databaseName = source.database;
    record.requestedBy = options.requestedBy;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QString shortId = QUuid::createUuid().toString(QUuid::Id128).left(8);
    QString base = QStringLiteral("%1-%2-%3").arg(source.database, record.kind, fileStamp(now));
    if (!options.label.isEmpty())
        base += u'-' + QString(options.label).replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_-]")), QStringLiteral("_"));
    record.path = QDir(m_dir).filePath(base + u'-' + shortId + QStringLiteral(".dump"));
    if (*haveCatalogue) {
        auto id = catalogue::insertRunning(m_catalogue.connection(), record);
        if (!id)
            return id.error();
        record.id = *id;
    } else {
        record.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        record.catalogued = false;
    }
    record.startedAt = now;

    auto done = dump(record, source, op);
    if (!done) {
        QFile::remove(record.path + kPartial);
        const QString why = Operation::isCancelled(done.error()) ? QStringLiteral("cancelled") : done.error().message;
        if (record.catalogued)
            (void)catalogue::markFailed(m_catalogue.connection(), record.id, why);
        if (record.catalogued)
            (void)catalogue::audit(m_catalogue.connection(), QStringLiteral("backup.failed"), QStringLiteral("backup"), record.id,
                                   {{QStringLiteral("kind"), record.kind},
                                    {QStringLiteral("error"), why},
                                    {QStringLiteral("requested_by"), record.requestedBy}});
        qCWarning(lcBackup).noquote() << "backup" << record.id << "failed:" << why;
        op->finish();
        return done.error();
    }
    record = *done;
    op->beginStep(QStringLiteral("finish"));
    record.expiresAt = expiryFor(kind, now);
    if (!record.catalogued) {
        qCInfo(lcBackup).noquote() << "backup" << record.path << "taken before the catalogue exists; adopt() it later";
        op->finish();
        return record;
    }
    if (Status s = catalogue::markCompleted(m_catalogue.connection(), record); !s) {
        op->finish();
        return s.error();
    }
    VerifyResult v{.ok = true, .detail = QStringLiteral("checked when written")};
    (void)catalogue::recordVerify(m_catalogue.connection(), record.id, v);
    (void)catalogue::audit(m_catalogue.connection(), QStringLiteral("backup.created"), QStringLiteral("backup"), record.id,
                           {{QStringLiteral("kind"), record.kind},
                            {QStringLiteral("path"), record.path},
                            {QStringLiteral("size_bytes"), double(record.sizeBytes)},
                            {QStringLiteral("sha256"), record.sha256},
                            {QStringLiteral("requested_by"), record.requestedBy}});
    if (m_metrics)
        m_metrics
            ->gauge(QStringLiteral("backup_last_success_timestamp_seconds"), QStringLiteral("Time of the last successful backup"),
                    {{QStringLiteral("kind"), record.kind}})
            .set(double(QDateTime::currentSecsSinceEpoch()));
    qCInfo(lcBackup).noquote() << "backup" << record.id << record.kind << record.path << record.sizeBytes << "bytes in"
                               << record.durationMs << "ms";
    op->finish();
    auto stored = catalogue::get(m_catalogue.connection(), record.id);
    if (stored && stored->has_value())
        return **stored;
    return record;
}

Result<BackupRecord> BackupService::dump(BackupRecord record, const db::ConnectionSettings &source, const OperationPtr &op)
{
    QElapsedTimer timer;
    timer.start();
    auto tool = pgTool(m_pgBinDir, QStringLiteral("pg_dump"));
    if (!tool)
        return tool.error();

    // One snapshot for the row counts and the dump, so a drill can compare them exactly.
    op->beginStep(QStringLiteral("snapshot"));
    ScopedDatabase src(longRunning(source));
    QSqlDatabase conn = src.connection();
    if (auto r = db::exec(conn, QStringLiteral("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")); !r)
        return r.error();
    bool inSnapshot = true;
    const auto rollback = qScopeGuard([&] {
        if (inSnapshot)
            (void)db::exec(conn, QStringLiteral("ROLLBACK"));
    });
    auto snap = db::exec(conn, QStringLiteral("SELECT pg_export_snapshot(), current_setting('server_version'), "
                                              "CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 END"));
    if (!snap)
        return snap.error();
    snap->next();
    const QString snapshot = snap->value(0).toString();
    record.serverVersion = snap->value(1).toString().section(u' ', 0, 0);
    auto counts = tableCounts(conn);
    if (!counts)
        return counts.error();
    record.tableCounts = *counts;
    if (record.tableCounts.contains(QStringLiteral("public.schema_migrations"))) {
        if (auto v = db::exec(conn, QStringLiteral("SELECT coalesce(max(version), 0) FROM schema_migrations")); v && v->next())
            record.schemaVersion = v->value(0).toInt();
    }
    if (Status s = op->checkpoint(); !s)
        return s.error();

    op->beginStep(QStringLiteral("dump"));
    const QString partial = record.path + kPartial;
    PassFile pass(source.password);
    if (!pass.ok())
        return ApiError::internal(QStringLiteral("cannot write a temporary password file"));
    qint64 dbEstimate = 0;
    if (record.catalogued) {
        if (auto e = catalogue::recentSize(m_catalogue.connection(), source.database); e)
            dbEstimate = *e;
    }
    ToolRun run{.program = *tool,
                .args = {QStringLiteral("--format=custom"), QStringLiteral("--compress=%1").arg(m_config.compressLevel),
                         QStringLiteral("--verbose"), QStringLiteral("--no-password"), QStringLiteral("--snapshot=") + snapshot,
                         QStringLiteral("--file=") + partial},
                .env = libpqEnvironment(source, pass.path()),
                .op = op};
    run.onStderrLine = [&](const QString &line) {
        if (line.contains(QLatin1StringView("dumping contents of table")))
            op->message(line.section(QStringLiteral("table "), 1).remove(u'"'));
    };
    run.onTick = [&] {
        if (dbEstimate > 0)
            op->setFraction(qMin(0.99, double(QFileInfo(partial).size()) / double(dbEstimate)));
    };
    auto r = runTool(run);
    if (!r) {
        const QString stderrText = r.error().details.value(QStringLiteral("stderr")).toString() + r.error().message;
        if (stderrText.contains(QLatin1StringView("No space left on device"))) {
            QFile::remove(partial);
            QStorageInfo disk(m_dir);
            return diskFull(QStringLiteral("The backup disk filled up while writing %1 (%2 MB free now). Free some space or set "
                                           "backups/dir to a larger disk; the database itself is unaffected.")
                                .arg(m_dir)
                                .arg(disk.bytesAvailable() / kMb));
        }
        return r.error();
    }
    // The snapshot is no longer needed once pg_dump has finished.
    (void)db::exec(conn, QStringLiteral("ROLLBACK"));
    inSnapshot = false;

    op->beginStep(QStringLiteral("checksum"));
    if (!fsyncPath(partial))
        return ApiError::internal(QStringLiteral("cannot flush %1 to disk").arg(partial));
    auto entries = listArchive(partial, op);
    if (!entries)
        return entries.error();
    record.sha256 = sha256File(partial, op, &record.sizeBytes);
    if (record.sha256.isEmpty())
        return ApiError::internal(QStringLiteral("cannot read %1 back").arg(partial));
    if (QFileInfo::exists(record.path))
        return ApiError::internal(QStringLiteral("%1 already exists").arg(record.path));
    if (::rename(QFile::encodeName(partial).constData(), QFile::encodeName(record.path).constData()) != 0)
        return ApiError::internal(QStringLiteral("cannot rename %1 to its final name").arg(partial));
    fsyncPath(m_dir);
    record.durationMs = timer.elapsed();
    record.finishedAt = QDateTime::currentDateTimeUtc();
    record.status = QStringLiteral("completed");
    op->message(QStringLiteral("%1 MB, %2 archive entries, sha256 %3")
                    .arg(double(record.sizeBytes) / kMb, 0, 'f', 1)
                    .arg(*entries)
                    .arg(record.sha256.left(12)));
    return record;
}

Status BackupService::adopt(const BackupRecord &record)
{
    if (Status s = catalogue::adopt(m_catalogue.connection(), record); !s)
        return s;
    return catalogue::audit(m_catalogue.connection(), QStringLiteral("backup.created"), QStringLiteral("backup"), record.id,
                            {{QStringLiteral("kind"), record.kind},
                             {QStringLiteral("path"), record.path},
                             {QStringLiteral("size_bytes"), double(record.sizeBytes)},
                             {QStringLiteral("sha256"), record.sha256},
                             {QStringLiteral("requested_by"), record.requestedBy},
                             {QStringLiteral("adopted"), true}});
}

Result<QList<BackupRecord>> BackupService::list(int limit, bool includeGone)
{
    return catalogue::list(m_catalogue.connection(), limit, includeGone);
}

Result<BackupRecord> BackupService::get(const QString &idOrPrefix)
{
    auto r = catalogue::get(m_catalogue.connection(), idOrPrefix);
    if (!r)
        return r.error();
    if (!r->has_value())
        return ApiError::notFound(QStringLiteral("no backup with id %1").arg(idOrPrefix));
    return **r;
}

Result<std::optional<BackupRecord>> BackupService::latest(const QString &kind)
{
    return catalogue::latestCompleted(m_catalogue.connection(), kind);
}

Result<VerifyResult> BackupService::verify(const QString &id, const OperationPtr &opIn)
{
    const QStringList plan{QStringLiteral("checksum|Checking the checksum"),
                           QStringLiteral("list|Reading the archive (pg_restore --list)")};
    const OperationPtr op = opIn ? opIn : Operation::create(QStringLiteral("verify"), plan);
    op->setPlanIfEmpty(plan);
    auto rec = get(id);
    if (!rec)
        return rec.error();
    QElapsedTimer timer;
    timer.start();
    VerifyResult v;
    op->beginStep(QStringLiteral("checksum"));
    if (!rec->usable()) {
        v.detail = QStringLiteral("backup is %1, not completed").arg(rec->status);
    } else if (!QFileInfo::exists(rec->path)) {
        v.detail = QStringLiteral("file %1 is missing").arg(rec->path);
    } else {
        qint64 size = 0;
        const QString sum = sha256File(rec->path, op, &size);
        if (size != rec->sizeBytes)
            v.detail = QStringLiteral("size changed: catalogue %1 bytes, file %2 bytes").arg(rec->sizeBytes).arg(size);
        else if (sum != rec->sha256)
            v.detail = QStringLiteral("checksum mismatch: catalogue %1…, file %2… (the file is damaged)")
                           .arg(rec->sha256.left(12), sum.left(12));
        else {
            op->beginStep(QStringLiteral("list"));
            auto entries = listArchive(rec->path, op);
            if (!entries) {
                v.detail = entries.error().message;
            } else {
                v.ok = true;
                v.tocEntries = *entries;
                v.detail = QStringLiteral("checksum ok, %1 archive entries").arg(*entries);
            }
        }
    }
    v.ms = timer.elapsed();
    (void)catalogue::recordVerify(m_catalogue.connection(), rec->id, v);
    (void)catalogue::audit(m_catalogue.connection(),
                           v.ok ? QStringLiteral("backup.verified") : QStringLiteral("backup.verify_failed"),
                           QStringLiteral("backup"), rec->id, {{QStringLiteral("detail"), v.detail}});
    if (!v.ok)
        qCWarning(lcBackup).noquote() << "backup" << rec->id << "failed verification:" << v.detail;
    op->finish();
    return v;
}

Result<DrillResult> BackupService::drillArchive(const QString &path, const QJsonObject &expectedCounts,
                                                db::ConnectionSettings server, const OperationPtr &op)
{
    DrillResult d;
    d.rtoMs = qint64(m_config.rtoMinutes) * 60 * 1000;
    const QString scratch = QStringLiteral("bw_drill_%1_%2")
                                .arg(QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMddHHmmss")))
                                .arg(QUuid::createUuid().toString(QUuid::Id128).left(6));
    op->beginStep(QStringLiteral("create"));
    if (Status s = adminExec(server, QStringLiteral("CREATE DATABASE %1 TEMPLATE template0").arg(quoteIdent(scratch))); !s)
        return s.error();
    const auto dropScratch = qScopeGuard([&] {
        op->beginStep(QStringLiteral("cleanup"));
        (void)adminExec(server, QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(quoteIdent(scratch)));
    });
    db::ConnectionSettings target = longRunning(server);
    target.database = scratch;

    op->beginStep(QStringLiteral("restore"));
    QElapsedTimer restoreTimer;
    restoreTimer.start();
    Status restored = restoreArchive(path, target, op);
    d.restoreMs = restoreTimer.elapsed();
    if (!restored) {
        if (Operation::isCancelled(restored.error()))
            return restored.error();
        d.mismatches << QStringLiteral("restore failed: %1").arg(restored.error().message);
        return d;
    }
    op->beginStep(QStringLiteral("compare"));
    ScopedDatabase scratchDb(target);
    auto counts = tableCounts(scratchDb.connection());
    if (!counts)
        return counts.error();
    if (expectedCounts.isEmpty()) {
        // Nothing recorded to compare with (an off-site copy without a manifest): the schema must be there.
        if (!counts->contains(QStringLiteral("public.schema_migrations")))
            d.mismatches << QStringLiteral("the restored database has no schema_migrations table");
        return d;
    }
    QStringList tables = expectedCounts.keys();
    for (const QString &t : counts->keys()) {
        if (!tables.contains(t))
            tables << t;
    }
    for (const QString &t : std::as_const(tables)) {
        const qint64 expected = qint64(expectedCounts.value(t).toDouble(-1));
        const qint64 got = qint64(counts->value(t).toDouble(-1));
        if (expected != got)
            d.mismatches << QStringLiteral("%1: backup %2, restored %3").arg(t).arg(expected).arg(got);
    }
    d.tablesCompared = int(tables.size());
    return d;
}

Result<DrillResult> BackupService::drill(const QString &id, const OperationPtr &opIn)
{
    const QStringList plan{QStringLiteral("verify|Verifying the backup"), QStringLiteral("create|Creating a scratch database"),
                           QStringLiteral("restore|Restoring into it (pg_restore)"),
                           QStringLiteral("compare|Comparing row counts"),
                           QStringLiteral("cleanup|Dropping the scratch database")};
    const OperationPtr op = opIn ? opIn : Operation::create(QStringLiteral("drill"), plan);
    op->setPlanIfEmpty(plan);
    QElapsedTimer total;
    total.start();
    auto rec = get(id);
    if (!rec)
        return rec.error();
    DrillResult d;
    d.backupId = rec->id;
    d.rtoMs = qint64(m_config.rtoMinutes) * 60 * 1000;
    op->beginStep(QStringLiteral("verify"));
    auto v = verify(rec->id, Operation::create(QStringLiteral("verify")));
    if (!v)
        return v.error();
    if (!v->ok) {
        d.mismatches << v->detail;
        (void)catalogue::recordDrill(m_catalogue.connection(), rec->id, d);
        op->finish();
        return d;
    }
    // The scratch database lives on the server the backup came from (the catalogue's by default).
    db::ConnectionSettings server = m_catalogue.settings();
    if (auto parsed = db::ConnectionSettings::fromUrl(rec->source);
        parsed && parsed->host == server.host && parsed->port == server.port)
        server.database = rec->databaseName;
    auto core = drillArchive(rec->path, rec->tableCounts, server, op);
    if (!core)
        return core.error();
    d.restoreMs = core->restoreMs;
    d.tablesCompared = core->tablesCompared;
    d.mismatches = core->mismatches;
    d.ok = d.mismatches.isEmpty();
    d.totalMs = total.elapsed();
    d.withinRto = d.ok && d.restoreMs <= d.rtoMs;
    (void)catalogue::recordDrill(m_catalogue.connection(), rec->id, d);
    (void)catalogue::audit(m_catalogue.connection(),
                           d.ok ? QStringLiteral("backup.drill_passed") : QStringLiteral("backup.drill_failed"),
                           QStringLiteral("backup"), rec->id, d.toJson());
    qCInfo(lcBackup).noquote() << "restore drill of" << rec->id << (d.ok ? "passed" : "FAILED") << "restore" << d.restoreMs
                               << "ms" << d.mismatches.join(QStringLiteral("; "));
    op->finish();
    return d;
}

Result<QString> BackupService::copyOffsite(const QString &id, S3Client &s3, const QString &prefix, const OperationPtr &opIn)
{
    const OperationPtr op =
        opIn ? opIn : Operation::create(QStringLiteral("offsite"), {QStringLiteral("upload|Uploading the backup")});
    auto rec = get(id);
    if (!rec)
        return rec.error();
    if (!rec->usable())
        return ApiError::conflict(QStringLiteral("backup %1 is %2, not completed").arg(rec->id, rec->status));
    op->beginStep(QStringLiteral("upload"));
    // The file must still be what was catalogued before it leaves the machine.
    if (sha256File(rec->path, {}, nullptr) != rec->sha256)
        return ApiError::internal(QStringLiteral("backup %1 no longer matches its checksum; not uploading it").arg(rec->id));
    const QString key = prefix + QFileInfo(rec->path).fileName();
    auto url = s3.upload(rec->path, key, rec->sha256, op);
    if (!url) {
        (void)catalogue::audit(m_catalogue.connection(), QStringLiteral("backup.offsite_failed"), QStringLiteral("backup"),
                               rec->id, {{QStringLiteral("error"), url.error().message}});
        op->finish();
        return url.error();
    }
    if (Status s = catalogue::recordRemote(m_catalogue.connection(), rec->id, *url); !s)
        return s.error();
    // The manifest: what a machine without this catalogue needs to check and drill the copy. Its
    // loss only costs the row-count comparison there, so a failure is logged, not fatal.
    QJsonObject manifest = rec->toJson();
    manifest.remove(QStringLiteral("path"));
    manifest.insert(QStringLiteral("manifestVersion"), 1);
    manifest.insert(QStringLiteral("fileName"), QFileInfo(rec->path).fileName());
    const QString manifestFile = rec->path + QStringLiteral(".manifest.json");
    {
        QFile f(manifestFile);
        if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            f.write(QJsonDocument(manifest).toJson());
    }
    auto manifestUrl = s3.upload(manifestFile, offsiteManifestKey(key), sha256File(manifestFile, {}, nullptr));
    QFile::remove(manifestFile);
    if (!manifestUrl)
        qCWarning(lcBackup).noquote() << "off-site manifest of" << rec->id << "not uploaded:" << manifestUrl.error().message;
    (void)catalogue::audit(m_catalogue.connection(), QStringLiteral("backup.offsite_copied"), QStringLiteral("backup"), rec->id,
                           {{QStringLiteral("remote_url"), *url}});
    op->finish();
    return *url;
}

Result<RetentionResult> BackupService::enforceRetention()
{
    RetentionResult out;
    auto expired = catalogue::expire(m_catalogue.connection());
    if (!expired)
        return expired.error();
    for (const auto &[id, path] : std::as_const(*expired)) {
        out.expiredIds << id;
        if (QFileInfo::exists(path)) {
            if (QFile::remove(path))
                out.removedFiles << path;
            else
                out.errors << QStringLiteral("cannot delete %1").arg(path);
        }
        (void)catalogue::audit(m_catalogue.connection(), QStringLiteral("backup.expired"), QStringLiteral("backup"), id,
                               {{QStringLiteral("path"), path}});
    }
    (void)recoverInterrupted();
    return out;
}

Result<int> BackupService::recoverInterrupted()
{
    auto paths = catalogue::failInterrupted(m_catalogue.connection(), QSysInfo::machineHostName());
    if (!paths)
        return paths.error();
    for (const QString &p : std::as_const(*paths)) {
        QFile::remove(p + kPartial);
        qCWarning(lcBackup).noquote() << "backup" << p << "was interrupted; marked failed";
    }
    // Partial files that no running backup owns (e.g. the catalogue row was lost with a restore).
    auto running = catalogue::runningPaths(m_catalogue.connection());
    if (running) {
        const QFileInfoList partials = QDir(m_dir).entryInfoList({QStringLiteral("*.dump") + kPartial}, QDir::Files);
        for (const QFileInfo &fi : partials) {
            const QString final = fi.absoluteFilePath().chopped(kPartial.size());
            if (!running->contains(final))
                QFile::remove(fi.absoluteFilePath());
        }
    }
    return int(paths->size());
}

} // namespace bw::ops
