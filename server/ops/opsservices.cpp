#include "server/ops/opsservices.h"

#include "server/db/database.h"
#include "server/ops/archivekeeper.h"
#include "server/ops/archiveservice.h"

namespace bw::ops {

PointInTimeSource OpsServices::pointInTimeSource(const Config &config, const db::Database &database)
{
    if (!config.embeddedDatabase() || !ArchiveService::wanted(config))
        return {};
    return [archive = ArchiveService::forDatabase(config, database),
            dumpDir = config.backupDir()](const QDateTime &t, const QString &db, const OperationPtr &op) mutable {
        return archive.dumpAtTime(t, db, dumpDir, op);
    };
}

std::unique_ptr<OpsServices> OpsServices::create(const Config &config, db::Database &database, SecretStore *secrets,
                                                 RestoreService::MaintenanceSwitch maintenance, MetricsRegistry *metrics)
{
    auto s = std::make_unique<OpsServices>();
    s->backups = std::make_unique<BackupService>(database, config.ops, config.backupDir(), config.pgBinDir, metrics);
    if (!maintenance)
        maintenance = [](bool) {};
    PointInTimeSource pitr = pointInTimeSource(config, database);
    s->pointInTimeRecovery = static_cast<bool>(pitr);
    s->databaseName = database.settings().database;
    s->restore = std::make_unique<RestoreService>(*s->backups, std::move(maintenance), std::move(pitr));
    s->deployments = std::make_unique<DeploymentService>(*s->backups, secrets);
    s->archiveReport = [config, db = &database] { return ArchiveKeeper::report(config, *db); };
    return s;
}

} // namespace bw::ops
