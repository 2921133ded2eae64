#pragma once
// Continuous archiving of the embedded cluster with pgBackRest: WAL segments pushed by
// archive_command (archive_timeout bounds the RPO), periodic full/differential base backups,
// time-based retention, and point-in-time recovery into a temporary cluster from which a
// logical dump is taken (RestoreService then swaps it in like any other restore).
// For an external PostgreSQL, PITR is the provider's job: wanted() is false.
// Static helpers are pure; the rest blocks (runs pgbackrest as the cluster's system user): call
// from a worker thread.

#include "server/core/config.h"
#include "server/core/result.h"
#include "server/db/connectionsettings.h"
#include "server/ops/operation.h"

#include <QDateTime>
#include <QJsonObject>
#include <QSqlDatabase>

namespace bw::db {
class Database;
}

namespace bw::ops {

struct ArchivePaths {
    QString clusterDir; // pg1-path
    QString socketDir;  // pg1-socket-path
    int port = 5432;
    QString superuser = QStringLiteral("betterworld"); // pg1-user (database role)
    QString systemUser = QStringLiteral("postgres");   // OS user of the cluster when we are root
    QString baseDir;                                   // <data dir>/pgbackrest: conf, repo, log, lock, spool
    QString stanza = QStringLiteral("betterworld");
    QString pgbackrest; // executable
    QString configFile() const { return baseDir + QStringLiteral("/pgbackrest.conf"); }
    QString repoDir() const { return baseDir + QStringLiteral("/repo"); }
};

struct ArchiveStatus {
    bool enabled = false; // archive_mode on and our archive_command in place
    qint64 archivedCount = 0;
    qint64 failedCount = 0;
    QString lastArchivedWal;
    QDateTime lastArchivedAt;
    QString lastFailedWal;
    QDateTime lastFailedAt;
    QString currentWal;            // segment being written now
    int archiveTimeoutSeconds = 0; // the RPO bound while archiving keeps up
    QJsonObject toJson() const;
};

class ArchiveService final {
public:
    // The layout for the embedded cluster of `config` (cluster dir, socket, data dir).
    static ArchivePaths pathsFor(const Config &config);
    // Embedded cluster and backups/wal_archiving is on, or auto with pgbackrest installed.
    static bool wanted(const Config &config);
    static QString findPgbackrest(const QString &configured);
    // postgresql.conf lines (EmbeddedPostgresOptions::extraSettings) that archive through pgBackRest.
    static QStringList serverSettings(const ArchivePaths &paths, int archiveTimeoutSeconds);
    // Writes pgbackrest.conf and the repo/log/lock/spool folders (owned by the system user).
    // Before the cluster starts: archive_command reads this file.
    static Status writeConfig(const ArchivePaths &paths, int retentionDays);

    // Runtime wiring for the embedded cluster (all no-ops unless wanted(config)):
    // extra postgresql.conf lines for EmbeddedPostgresOptions::extraSettings (pure)…
    static QStringList embeddedSettings(const Config &config);
    // …and pgbackrest.conf written before the cluster starts (blocking, small). Once it runs, the
    // ops job "wal-archive-check" (ArchiveKeeper) makes the stanza and the first base backup.
    static Status prepareEmbedded(const Config &config);

    // superuser: connection settings with the password (pgBackRest connects over the socket).
    ArchiveService(ArchivePaths paths, db::ConnectionSettings superuser, QString pgBinDir);
    // The archive of the embedded cluster of config, reached as database's login user.
    static ArchiveService forDatabase(const Config &config, const db::Database &database);

    // stanza-create (idempotent) + check (a WAL switch reaches the repository).
    Status ensureStanza(const OperationPtr &op = {});
    // ensureStanza() when the repository has no usable stanza (never created, removed, or made by
    // another cluster): after a PostgreSQL upgrade (a new system identifier) stanza-upgrade instead.
    // Returns what it did, "" when the stanza was fine.
    Result<QString> repairStanza(const OperationPtr &op = {});
    // type: full | diff | incr; repairs the stanza first when needed. Returns pgbackrest's
    // description of the new backup.
    Result<QJsonObject> backup(const QString &type, const OperationPtr &op = {});
    Result<QJsonObject> info();
    static Result<ArchiveStatus> status(QSqlDatabase db);
    // The database `database` as of `time`: restores the archive into a temporary cluster next to
    // the real one, replays WAL to `time`, dumps the database (custom format) into dumpDir and
    // removes the temporary cluster. Returns the dump's path (the caller deletes it).
    Result<QString> dumpAtTime(const QDateTime &time, const QString &database, const QString &dumpDir, const OperationPtr &op);

    const ArchivePaths &paths() const { return m_paths; }

private:
    Result<QByteArray> run(const QStringList &args, const OperationPtr &op, int timeoutMs, const QStringList &extraOptions = {});

    ArchivePaths m_paths;
    db::ConnectionSettings m_superuser;
    QString m_pgBinDir;
};

} // namespace bw::ops
