#pragma once
// Restores a database from a catalogued backup, a backup file, or a point in time (via a
// PointInTimeSource such as the pgBackRest archive). The restore goes into a NEW database that is
// verified and only then swapped in by renaming, so a failed or cancelled restore leaves the
// current database untouched. Order: confirm → maintenance → safety snapshot → restore → verify →
// swap (point of no return) → carry the ops catalogue over → leave maintenance. Every step is
// written to audit_log and to the restores row. Blocking: run on a worker thread.

#include "server/core/result.h"
#include "server/db/connectionsettings.h"
#include "server/ops/backupservice.h"
#include "server/ops/operation.h"

#include <QDateTime>

#include <functional>
#include <optional>

namespace bw::ops {

struct RestoreRequest {
    QString backupId;     // a catalogued backup (id or unique prefix), or
    QString file;         // a pg_dump custom-format file (disaster recovery), or
    QDateTime targetTime; // a point in time (needs a PointInTimeSource)
    QString confirmation; // must equal the target database's name (typed confirmation)
    QString requestedBy = QStringLiteral("system");
    std::optional<db::ConnectionSettings> target; // default: the catalogue database
    bool safetySnapshot = true;                   // pre_restore backup of the current state first
    bool keepPrevious = false;                    // keep the replaced database as <name>_pre_restore_<time>
    // With `file`: what the restores row records as the source instead of the (temporary) file,
    // e.g. "s3://bucket/key", and the row counts to verify against ({} = schema check only).
    QString sourceLabel;
    QJsonObject expectedTableCounts;
};

struct RestoreResult {
    QString restoreId;
    QString safetyBackupId;
    QString previousDatabase; // name it was renamed to (dropped unless keepPrevious)
    qint64 ms = 0;            // measured RTO: request to service restored
    QJsonObject toJson() const;
};

// Produces a custom-format dump of the database as it was at `time` (e.g. from a pgBackRest
// archive via a temporary cluster). Returns the dump's path; the caller deletes it.
using PointInTimeSource = std::function<Result<QString>(const QDateTime &time, const QString &database, const OperationPtr &op)>;

class RestoreService final {
public:
    using MaintenanceSwitch = std::function<void(bool on)>; // Runtime::setMaintenance (+ pause jobs)

    RestoreService(BackupService &backups, MaintenanceSwitch maintenance, PointInTimeSource pointInTime = {});

    static QStringList plannedSteps();
    Result<RestoreResult> restore(const RestoreRequest &request, const OperationPtr &op = {});

private:
    BackupService &m_backups;
    MaintenanceSwitch m_maintenance;
    PointInTimeSource m_pointInTime;
};

} // namespace bw::ops
