#pragma once
// Deployments of this build's schema to an environment (a database and its API nodes), in the
// seed's order: confirm (typed name where required) → preflight (connectivity, migration lint) →
// snapshot (pre_migration backup of the target) → migrate → poll every node's /ready until all are
// green or the timeout passes → record (who, when, version, migrations, duration, outcome, log).
// A failed deployment offers rollback = restoring its snapshot (confirmed, never automatic).
// Blocking: call from a worker thread. Records live in the local catalogue database.

#include "server/core/result.h"
#include "server/db/connectionsettings.h"
#include "server/ops/backupservice.h"
#include "server/ops/operation.h"
#include "server/ops/restoreservice.h"

#include <QDateTime>
#include <QJsonObject>
#include <QStringList>

namespace bw {
class SecretStore;
}

namespace bw::ops {

struct Environment {
    QString name;                          // [a-z0-9_-]
    QString databaseUrl;                   // stored without the password
    QStringList nodeUrls;                  // base URLs; /ready is appended
    bool requireTypedConfirmation = false; // always true for "production"
    int readyTimeoutSeconds = 120;
    QJsonObject toJson() const;
};

struct DeployRequest {
    QString environment;
    QString confirmation; // the environment's name, where required
    QString requestedBy = QStringLiteral("system");
    bool force = false; // deploy despite blocking lint findings
    int pollIntervalMs = 2000;
    QString appVersion; // default: this build
};

struct DeploymentRecord {
    QString id;
    QString environment;
    QString appVersion;
    QStringList migrationsApplied;
    QString snapshotBackupId;
    QString requestedBy;
    QDateTime startedAt;
    QDateTime finishedAt;
    qint64 durationMs = 0;
    QString outcome; // running | succeeded | failed | cancelled | rolled_back
    QString failedStep;
    QString log;
    bool rollbackAvailable() const { return outcome == QLatin1StringView("failed") && !snapshotBackupId.isEmpty(); }
    QJsonObject toJson() const;
};

class DeploymentService final {
public:
    // secrets: where environment database passwords live ("deploy-<name>-password").
    DeploymentService(BackupService &backups, SecretStore *secrets);

    static QStringList plannedSteps();
    Result<QList<Environment>> environments();
    // url may contain a password: it goes to the secret store, the table keeps the URL without it.
    Status saveEnvironment(Environment env, const QString &urlWithPassword);
    Result<DeploymentRecord> deploy(const DeployRequest &request, const OperationPtr &op = {});
    Result<QList<DeploymentRecord>> history(const QString &environment = {}, int limit = 50);
    Result<DeploymentRecord> get(const QString &idOrPrefix);
    // Restores the deployment's snapshot into the environment's database; confirmation = env name.
    Result<RestoreResult> rollback(const QString &deploymentId, const QString &confirmation, const QString &requestedBy,
                                   const OperationPtr &op = {});

private:
    Result<Environment> environment(const QString &name);
    Result<db::ConnectionSettings> targetSettings(const Environment &env);

    BackupService &m_backups;
    SecretStore *m_secrets;
};

// GET url with a timeout (plain HTTP or HTTPS); the status code, or an error when unreachable.
Result<int> httpStatus(const QString &url, int timeoutMs);

} // namespace bw::ops
