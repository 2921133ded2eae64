#pragma once
// One construction of the ops services for a database, shared by the CLI (app/opscommands.cpp)
// and the desktop Backups/Deployments panels: the backup service on the configured folder and
// binaries, the restore service with point-in-time recovery from the pgBackRest archive when the
// embedded cluster archives WAL, and the deployment service. No SQL or I/O here (any thread); the
// services themselves block and must run on worker threads.

#include "server/core/config.h"
#include "server/ops/backupservice.h"
#include "server/ops/deploymentservice.h"
#include "server/ops/restoreservice.h"

#include <QJsonObject>

#include <functional>
#include <memory>

namespace bw {
class MetricsRegistry;
class SecretStore;
namespace db {
class Database;
}
} // namespace bw

namespace bw::ops {

struct OpsServices {
    std::unique_ptr<BackupService> backups;
    std::unique_ptr<RestoreService> restore;
    std::unique_ptr<DeploymentService> deployments;
    QString databaseName;             // the database these services back up and restore
    bool pointInTimeRecovery = false; // restores can go to a point in time (pointInTimeSource)
    // The WAL archive's status and recoverable window (ArchiveKeeper::report); blocking, worker thread.
    std::function<Result<QJsonObject>()> archiveReport;

    // database, secrets and metrics must outlive the result; maintenance may be empty (no-op).
    static std::unique_ptr<OpsServices> create(const Config &config, db::Database &database, SecretStore *secrets,
                                               RestoreService::MaintenanceSwitch maintenance, MetricsRegistry *metrics = nullptr);
    // PITR from the pgBackRest archive of the embedded cluster; empty when there is none.
    static PointInTimeSource pointInTimeSource(const Config &config, const db::Database &database);
};

} // namespace bw::ops
