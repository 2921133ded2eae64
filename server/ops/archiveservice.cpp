#include "server/ops/archiveservice.h"

#include "server/db/database.h"
#include "server/db/embeddedpostgres.h"
#include "server/db/sql.h"
#include "server/ops/toolrunner.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QStandardPaths>
#include <QThread>
#include <QUuid>
#include <QtConcurrent/QtConcurrentRun>

#include <sys/stat.h>
#include <unistd.h>

namespace bw::ops {

namespace {

Q_LOGGING_CATEGORY(lcArchive, "bw.ops.archive", QtInfoMsg)

Status ownedDir(const QString &path, const QString &user)
{
    if (!QDir().mkpath(path))
        return ApiError::internal(QStringLiteral("cannot create %1").arg(path));
    const QByteArray p = QFile::encodeName(path);
    uint uid = 0, gid = 0;
    if (runningAsRoot() && systemUserIds(user, &uid, &gid) && ::chown(p.constData(), uid, gid) != 0)
        return ApiError::internal(QStringLiteral("cannot give %1 to %2").arg(path, user));
    if (::chmod(p.constData(), 0700) != 0)
        return ApiError::internal(QStringLiteral("cannot chmod %1").arg(path));
    return success();
}

QString confQuote(QString v)
{
    v.replace(u'\'', QStringLiteral("''"));
    return u'\'' + v + u'\'';
}

QString shellQuote(QString v)
{
    v.replace(u'"', QStringLiteral("\\\""));
    return u'"' + v + u'"';
}

QDateTime parseTime(const QVariant &v)
{
    QDateTime t = v.toDateTime();
    if (t.isValid())
        t = t.toUTC();
    return t;
}

} // namespace

QJsonObject ArchiveStatus::toJson() const
{
    const auto iso = [](const QDateTime &t) { return t.isValid() ? t.toString(Qt::ISODateWithMs) : QString(); };
    return {{QStringLiteral("enabled"), enabled},
            {QStringLiteral("archivedCount"), double(archivedCount)},
            {QStringLiteral("failedCount"), double(failedCount)},
            {QStringLiteral("lastArchivedWal"), lastArchivedWal},
            {QStringLiteral("lastArchivedAt"), iso(lastArchivedAt)},
            {QStringLiteral("lastFailedWal"), lastFailedWal},
            {QStringLiteral("lastFailedAt"), iso(lastFailedAt)},
            {QStringLiteral("currentWal"), currentWal},
            {QStringLiteral("archiveTimeoutSeconds"), archiveTimeoutSeconds}};
}

QString ArchiveService::findPgbackrest(const QString &configured)
{
    if (!configured.isEmpty())
        return QFileInfo(configured).isExecutable() ? configured : QString();
    return QStandardPaths::findExecutable(QStringLiteral("pgbackrest"));
}

ArchivePaths ArchiveService::pathsFor(const Config &config)
{
    ArchivePaths p;
    p.clusterDir = config.clusterDir();
    p.socketDir = config.clusterDir() + QStringLiteral("/run");
    p.baseDir = config.dataDir + QStringLiteral("/pgbackrest");
    p.pgbackrest = findPgbackrest(config.ops.pgbackrestBin);
    return p;
}

bool ArchiveService::wanted(const Config &config)
{
    if (!config.embeddedDatabase() || config.ops.walArchiving == u"off")
        return false;
    if (config.ops.walArchiving == u"on")
        return true;
    return !findPgbackrest(config.ops.pgbackrestBin).isEmpty();
}

QStringList ArchiveService::serverSettings(const ArchivePaths &paths, int archiveTimeoutSeconds)
{
    const QString command = QStringLiteral("%1 --config=%2 --stanza=%3 archive-push %p")
                                .arg(shellQuote(paths.pgbackrest), shellQuote(paths.configFile()), paths.stanza);
    return {QStringLiteral("wal_level = replica"), QStringLiteral("archive_mode = on"),
            QStringLiteral("archive_command = %1").arg(confQuote(command)),
            QStringLiteral("archive_timeout = %1").arg(qBound(1, archiveTimeoutSeconds, 3600)),
            QStringLiteral("max_wal_senders = 3")};
}

Status ArchiveService::writeConfig(const ArchivePaths &paths, int retentionDays)
{
    if (paths.pgbackrest.isEmpty())
        return ApiError::internal(
            QStringLiteral("pgbackrest is not installed (Debian package \"pgbackrest\"); set backups/wal_archiving=off "
                           "to run without point-in-time recovery"));
    const QStringList dirs{paths.baseDir, paths.repoDir(), paths.baseDir + QStringLiteral("/log"),
                           paths.baseDir + QStringLiteral("/lock"), paths.baseDir + QStringLiteral("/spool")};
    for (const QString &d : dirs) {
        if (Status s = ownedDir(d, paths.systemUser); !s)
            return s;
    }
    QStringList l;
    l << QStringLiteral("# Written by BetterWorld before every start.") << QStringLiteral("[global]")
      << QStringLiteral("repo1-path=%1").arg(paths.repoDir()) << QStringLiteral("repo1-retention-full-type=time")
      << QStringLiteral("repo1-retention-full=%1").arg(qMax(1, retentionDays))
      << QStringLiteral("log-path=%1/log").arg(paths.baseDir) << QStringLiteral("lock-path=%1/lock").arg(paths.baseDir)
      << QStringLiteral("spool-path=%1/spool").arg(paths.baseDir) << QStringLiteral("log-level-console=warn")
      << QStringLiteral("log-level-file=info") << QStringLiteral("start-fast=y") << QStringLiteral("compress-type=gz")
      << QStringLiteral("compress-level=3") << QStringLiteral("archive-timeout=120") << QString()
      << QStringLiteral("[%1]").arg(paths.stanza) << QStringLiteral("pg1-path=%1").arg(paths.clusterDir)
      << QStringLiteral("pg1-socket-path=%1").arg(paths.socketDir) << QStringLiteral("pg1-port=%1").arg(paths.port)
      << QStringLiteral("pg1-user=%1").arg(paths.superuser);
    QSaveFile f(paths.configFile());
    if (!f.open(QIODevice::WriteOnly))
        return ApiError::internal(QStringLiteral("cannot write %1").arg(paths.configFile()));
    f.write((l.join(u'\n') + u'\n').toUtf8());
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (!f.commit())
        return ApiError::internal(QStringLiteral("cannot write %1").arg(paths.configFile()));
    uint uid = 0, gid = 0;
    if (runningAsRoot() && systemUserIds(paths.systemUser, &uid, &gid))
        (void)::chown(QFile::encodeName(paths.configFile()).constData(), uid, gid);
    return success();
}

QStringList ArchiveService::embeddedSettings(const Config &config)
{
    const ArchivePaths paths = pathsFor(config);
    if (!wanted(config) || paths.pgbackrest.isEmpty())
        return {}; // prepareEmbedded() reports why
    return serverSettings(paths, config.ops.archiveTimeoutSeconds);
}

Status ArchiveService::prepareEmbedded(const Config &config)
{
    if (!wanted(config))
        return success();
    return writeConfig(pathsFor(config), config.ops.walRetentionDays);
}

ArchiveService::ArchiveService(ArchivePaths paths, db::ConnectionSettings superuser, QString pgBinDir)
    : m_paths(std::move(paths)), m_superuser(std::move(superuser)), m_pgBinDir(std::move(pgBinDir))
{
}

ArchiveService ArchiveService::forDatabase(const Config &config, const db::Database &database)
{
    db::ConnectionSettings superuser = database.settings();
    superuser.database = QStringLiteral("postgres");
    return ArchiveService(pathsFor(config), superuser, config.pgBinDir);
}

Result<QByteArray> ArchiveService::run(const QStringList &args, const OperationPtr &op, int timeoutMs,
                                       const QStringList &extraOptions)
{
    if (m_paths.pgbackrest.isEmpty())
        return ApiError::internal(QStringLiteral("pgbackrest is not installed (Debian package \"pgbackrest\")"));
    PassFile pass(m_superuser.password, runningAsRoot() ? m_paths.systemUser : QString());
    if (!pass.ok())
        return ApiError::internal(QStringLiteral("cannot write a temporary password file"));
    QStringList all{QStringLiteral("--config=") + m_paths.configFile(), QStringLiteral("--stanza=") + m_paths.stanza};
    all << extraOptions << args;
    ToolRun t{.program = m_paths.pgbackrest,
              .args = all,
              .env = {{QStringLiteral("PGPASSFILE"), pass.path()}},
              .runAsUser = runningAsRoot() ? m_paths.systemUser : QString(),
              .timeoutMs = timeoutMs,
              .op = op};
    t.onStderrLine = [op](const QString &line) {
        if (op)
            op->message(line);
    };
    auto r = runTool(t);
    if (!r)
        return r.error();
    return r->out;
}

Status ArchiveService::ensureStanza(const OperationPtr &op)
{
    if (auto r = run({QStringLiteral("stanza-create")}, op, 120000); !r)
        return r.error();
    if (auto r = run({QStringLiteral("check")}, op, 180000); !r)
        return r.error();
    return success();
}

Result<QString> ArchiveService::repairStanza(const OperationPtr &op)
{
    // pgbackrest info's stanza status: 0 ok, 2 no valid backups; anything else (missing stanza path
    // or data, a mismatch) means the stanza must be (re)made.
    auto i = info();
    const int code = i ? i->value(QStringLiteral("status")).toObject().value(QStringLiteral("code")).toInt(-1) : -1;
    if (code == 0 || code == 2)
        return QString();
    const QString why =
        i ? i->value(QStringLiteral("status")).toObject().value(QStringLiteral("message")).toString() : i.error().message;
    if (op)
        op->message(QStringLiteral("repairing the archive's stanza (%1)").arg(why));
    Status created = ensureStanza(op);
    if (created)
        return QStringLiteral("stanza created (%1)").arg(why);
    // After pg_upgrade the cluster has a new system identifier: the stanza must follow it.
    const QString error = created.error().message;
    if (!error.contains(QLatin1StringView("system-id")) && !error.contains(QLatin1StringView("does not match")))
        return created.error();
    if (auto r = run({QStringLiteral("stanza-upgrade")}, op, 120000); !r)
        return r.error();
    if (Status checked = ensureStanza(op); !checked)
        return checked.error();
    return QStringLiteral("stanza upgraded to the new PostgreSQL cluster");
}

Result<QJsonObject> ArchiveService::backup(const QString &type, const OperationPtr &op)
{
    if (type != u"full" && type != u"diff" && type != u"incr")
        return ApiError::badRequest(QStringLiteral("backup type must be full, diff or incr"));
    if (auto repaired = repairStanza(op); !repaired)
        return repaired.error();
    else if (!repaired->isEmpty())
        qCInfo(lcArchive).noquote() << "WAL archive:" << *repaired;
    if (auto r = run({QStringLiteral("--type=") + type, QStringLiteral("backup")}, op, 6 * 3600 * 1000); !r)
        return r.error();
    auto i = info();
    if (!i)
        return i.error();
    const QJsonArray backups = i->value(QStringLiteral("backup")).toArray();
    return backups.isEmpty() ? QJsonObject() : backups.last().toObject();
}

Result<QJsonObject> ArchiveService::info()
{
    auto r = run({QStringLiteral("--output=json"), QStringLiteral("info")}, {}, 60000);
    if (!r)
        return r.error();
    const QJsonArray stanzas = QJsonDocument::fromJson(*r).array();
    for (const QJsonValue &s : stanzas) {
        if (s.toObject().value(QStringLiteral("name")).toString() == m_paths.stanza)
            return s.toObject();
    }
    return ApiError::notFound(QStringLiteral("stanza %1 not found in the repository").arg(m_paths.stanza));
}

Result<ArchiveStatus> ArchiveService::status(QSqlDatabase db)
{
    auto q =
        db::exec(db, QStringLiteral("SELECT archived_count, failed_count, coalesce(last_archived_wal, ''), last_archived_time, "
                                    "coalesce(last_failed_wal, ''), last_failed_time, "
                                    "CASE WHEN pg_is_in_recovery() THEN '' ELSE pg_walfile_name(pg_current_wal_lsn()) END, "
                                    "current_setting('archive_mode'), current_setting('archive_command'), "
                                    "current_setting('archive_timeout')::interval FROM pg_stat_archiver"));
    if (!q)
        return q.error();
    ArchiveStatus s;
    if (!q->next())
        return s;
    s.archivedCount = q->value(0).toLongLong();
    s.failedCount = q->value(1).toLongLong();
    s.lastArchivedWal = q->value(2).toString();
    s.lastArchivedAt = parseTime(q->value(3));
    s.lastFailedWal = q->value(4).toString();
    s.lastFailedAt = parseTime(q->value(5));
    s.currentWal = q->value(6).toString();
    s.enabled = q->value(7).toString() != u"off" && q->value(8).toString().contains(QLatin1StringView("pgbackrest"));
    const QString timeout = q->value(9).toString(); // "00:01:00"
    const QStringList hms = timeout.split(u':');
    if (hms.size() == 3)
        s.archiveTimeoutSeconds = hms[0].toInt() * 3600 + hms[1].toInt() * 60 + int(hms[2].toDouble());
    return s;
}

Result<QString> ArchiveService::dumpAtTime(const QDateTime &time, const QString &database, const QString &dumpDir,
                                           const OperationPtr &op)
{
    const QString stamp = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMddHHmmss"));
    // Next to the real cluster, so the system user can reach it and it is on the same disk.
    const QString scratch = m_paths.baseDir + QStringLiteral("/pitr-") + stamp;
    const auto removeScratch = qScopeGuard([&] { QDir(scratch).removeRecursively(); });
    if (Status s = ownedDir(scratch, m_paths.systemUser); !s)
        return s.error();
    if (op)
        op->message(QStringLiteral("restoring the base backup and WAL up to %1").arg(time.toUTC().toString(Qt::ISODateWithMs)));
    const QString target = time.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")) + QStringLiteral("+00");
    if (auto r = run({QStringLiteral("--pg1-path=") + scratch, QStringLiteral("--type=time"),
                      QStringLiteral("--target=") + target, QStringLiteral("--target-action=promote"),
                      QStringLiteral("--target-timeline=current"), QStringLiteral("restore")},
                     op, 6 * 3600 * 1000);
        !r)
        return r.error();

    // The base backup copied the live cluster's socket lock file (run/.s.PGSQL.*.lock): a new
    // server would refuse to start on it.
    QDir(scratch + QStringLiteral("/run")).removeRecursively();

    // A throw-away server on the copy: private socket, no archiving (it must not push a new
    // timeline into our repository), replaying to the target and promoting.
    db::EmbeddedPostgresOptions o;
    o.clusterDir = scratch;
    o.binDir = m_pgBinDir;
    o.systemUser = m_paths.systemUser;
    o.superuser = m_superuser.user;
    o.database = database;
    o.port = m_paths.port;
    o.maxConnections = 100;
    o.sharedBuffers = QStringLiteral("32MB");
    o.durable = false;
    // hot_standby off: no connections (and no "settings lower than on the primary" checks) until
    // the target is reached and the copy promoted.
    o.extraSettings = {QStringLiteral("archive_mode = off"), QStringLiteral("archive_command = ''"),
                       QStringLiteral("hot_standby = off")};
    db::EmbeddedPostgres server(o);
    if (Status s = server.prepare(m_superuser.password); !s)
        return s.error();
    if (Status s = server.start(); !s)
        return s.error();
    const auto stopServer = qScopeGuard([&] { (void)server.stop(15000); });
    if (op)
        op->message(QStringLiteral("replaying WAL"));
    if (Status s = server.waitUntilReady(3600 * 1000); !s)
        return s.error();
    db::ConnectionSettings cs = server.connectionSettings(m_superuser.password);
    cs.database = database;
    cs.statementTimeoutMs = 0;
    {
        db::Database probe(cs);
        QDeadlineTimer deadline(3600 * 1000);
        bool promoted = false;
        while (!promoted) {
            if (op && !op->checkpoint()) {
                probe.releaseThisThread();
                return Operation::cancelledError();
            }
            if (!server.isRunning()) {
                probe.releaseThisThread();
                return ApiError::internal(QStringLiteral("the temporary cluster stopped during recovery (is %1 after the newest "
                                                         "archived WAL, or before the oldest base backup?)")
                                              .arg(time.toUTC().toString(Qt::ISODate)));
            }
            auto q = db::exec(probe.connection(), QStringLiteral("SELECT NOT pg_is_in_recovery()"));
            promoted = q && q->next() && q->value(0).toBool();
            if (!promoted) {
                if (deadline.hasExpired()) {
                    probe.releaseThisThread();
                    return ApiError::internal(
                        QStringLiteral("recovery to %1 did not finish within an hour").arg(time.toString(Qt::ISODate)));
                }
                QThread::msleep(200);
            }
        }
        probe.releaseThisThread();
    }
    if (op)
        op->message(QStringLiteral("dumping %1 as of %2").arg(database, time.toUTC().toString(Qt::ISODateWithMs)));
    auto tool = pgTool(m_pgBinDir, QStringLiteral("pg_dump"));
    if (!tool)
        return tool.error();
    if (!QDir().mkpath(dumpDir))
        return ApiError::internal(QStringLiteral("cannot create %1").arg(dumpDir));
    const QString file = QDir(dumpDir).filePath(QStringLiteral("%1-pitr-%2.dump.partial").arg(database, stamp));
    PassFile pass(m_superuser.password);
    auto r = runTool({.program = *tool,
                      .args = {QStringLiteral("--format=custom"), QStringLiteral("--compress=1"), QStringLiteral("--no-password"),
                               QStringLiteral("--file=") + file},
                      .env = libpqEnvironment(cs, pass.path()),
                      .op = op});
    if (!r) {
        QFile::remove(file);
        return r.error();
    }
    qCInfo(lcArchive).noquote() << "point-in-time copy of" << database << "as of" << time.toUTC().toString(Qt::ISODateWithMs)
                                << "in" << file;
    return file;
}

} // namespace bw::ops
