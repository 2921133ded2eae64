#pragma once
// Logical backups (pg_dump --format=custom) and their catalogue: create, list, verify, restore
// drill, retention, and clean-up after a crash. Every method blocks (runs tools, SQL) and uses the
// calling thread's connections: call from a worker thread, never the GUI or HTTP I/O threads.
// One object may serve several threads at once.

#include "server/core/config.h"
#include "server/core/result.h"
#include "server/db/connectionsettings.h"
#include "server/ops/backuprecord.h"
#include "server/ops/operation.h"

#include <QSqlDatabase>

#include <optional>

namespace bw {
class MetricsRegistry;
namespace db {
class Database;
}
} // namespace bw

namespace bw::ops {

class S3Client;

struct CreateOptions {
    std::optional<db::ConnectionSettings> source; // what to dump; default: the catalogue database
    QString requestedBy = QStringLiteral("system");
    QString label; // extra word in the file name, e.g. a deployment id
};

class BackupService final {
public:
    // catalogue: where the backups table lives (the app database). pgBinDir: database/pg_bindir.
    BackupService(db::Database &catalogue, OpsConfig config, QString backupDir, QString pgBinDir,
                  MetricsRegistry *metrics = nullptr);

    // Dumps to <dir>/<db>-<kind>-<UTC time>-<id8>.dump.partial, checks it (pg_restore --list),
    // checksums it, then renames it; the catalogue row turns 'completed' only after that.
    // Checks free space first. Steps: prepare, snapshot, dump, checksum, finish.
    Result<BackupRecord> create(BackupKind kind, const OperationPtr &op = {}, const CreateOptions &options = {});
    // Catalogues a backup that create() took while the backups table did not exist yet
    // (record.catalogued == false), e.g. the pre-migration snapshot of the migration adding it.
    Status adopt(const BackupRecord &record);
    Result<QList<BackupRecord>> list(int limit = 200, bool includeGone = false);
    Result<BackupRecord> get(const QString &idOrPrefix);
    Result<std::optional<BackupRecord>> latest(const QString &kind = {});

    // SHA-256 against the catalogue + pg_restore --list; records the result on the row.
    Result<VerifyResult> verify(const QString &id, const OperationPtr &op = {});
    // Restores into a scratch database on the source's server, compares per-table row counts with
    // those recorded in the dump's snapshot, drops the scratch database, records the measured
    // restore time against the RTO. ok=false (not an error) when the comparison fails.
    Result<DrillResult> drill(const QString &id, const OperationPtr &op = {});
    // The drill's core for any dump file: scratch database on `server` → pg_restore → compare with
    // expectedCounts ({} = no counts known: only checks the schema came back) → drop. Records nothing.
    Result<DrillResult> drillArchive(const QString &path, const QJsonObject &expectedCounts, db::ConnectionSettings server,
                                     const OperationPtr &op);
    // Uploads a completed backup to S3-compatible storage under <prefix><file name>, verifies it
    // there (size, ETag, SHA-256 metadata) and records remote_url. Returns the URL. A small
    // <key>.manifest.json (the catalogue row: checksum, row counts, schema version) goes next to it,
    // so that a machine without this catalogue can verify and drill the copy.
    Result<QString> copyOffsite(const QString &id, S3Client &s3, const QString &prefix, const OperationPtr &op = {});
    // Expires completed backups past expires_at (never the newest) and deletes their files.
    Result<RetentionResult> enforceRetention();
    // Marks 'running' rows whose process died as failed and deletes orphaned .partial files.
    Result<int> recoverInterrupted();

    // Helpers shared with the restore and deployment services.
    const OpsConfig &config() const { return m_config; }
    QString backupDir() const { return m_dir; }
    QString pgBinDir() const { return m_pgBinDir; }
    db::Database &catalogueDatabase() { return m_catalogue; }
    // {"schema.table": rows} of every ordinary table outside the system schemas.
    static Result<QJsonObject> tableCounts(QSqlDatabase db);
    static QString sha256File(const QString &path, const OperationPtr &op, qint64 *size);
    // pg_restore --list: number of archive entries, or an error naming the damage.
    Result<int> listArchive(const QString &path, const OperationPtr &op);
    // pg_restore into an existing empty database (progress from the TOC count).
    Status restoreArchive(const QString &path, const db::ConnectionSettings &target, const OperationPtr &op);

private:
    Result<BackupRecord> dump(BackupRecord record, const db::ConnectionSettings &source, const OperationPtr &op);
    QDateTime expiryFor(BackupKind kind, const QDateTime &from) const;

    db::Database &m_catalogue;
    OpsConfig m_config;
    QString m_dir;
    QString m_pgBinDir;
    MetricsRegistry *m_metrics;
};

// The same server, connected to a maintenance database ("postgres") for CREATE/DROP/ALTER DATABASE.
db::ConnectionSettings maintenanceSettings(const db::ConnectionSettings &s);
// Runs one admin statement on the maintenance database from this thread (own short-lived connection).
Status adminExec(const db::ConnectionSettings &server, const QString &sql, const QVariantList &binds = {});
QString quoteIdent(const QString &name);
// The off-site manifest object next to a dump uploaded by copyOffsite.
inline QString offsiteManifestKey(const QString &dumpKey)
{
    return dumpKey + QStringLiteral(".manifest.json");
}

} // namespace bw::ops
