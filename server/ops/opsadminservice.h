#pragma once
// The backups and restores of the admin API (api.md §9): list and read backups synchronously,
// start backups, verifications, drills and restores as operations (OperationRegistry) that the
// caller follows and may cancel, and the archive's status. Every action is audited with the
// administrator who asked. Request-pool threads (the list/read/audit SQL); the operations run on
// the registry's threads.

#include "server/core/config.h"
#include "server/core/result.h"
#include "server/ops/operationregistry.h"
#include "server/ops/opsservices.h"

#include <QJsonArray>
#include <QJsonObject>

#include <functional>
#include <memory>

namespace bw::db {
class Database;
}

namespace bw::ops {

// Who asked, for the audit log and the operation's requestedBy.
struct OpsActor {
    QString moderatorId;
    QString email;
    QString ip;
    QString label() const { return QStringLiteral("admin:%1").arg(email); }
};

class OpsAdminService final {
public:
    using ServicesFactory = std::function<std::unique_ptr<OpsServices>()>;

    // All must outlive the service; makeServices is called on the registry's threads.
    OpsAdminService(Config config, db::Database &database, OperationRegistry &registry, ServicesFactory makeServices);

    Result<QJsonArray> listBackups(bool includeGone);
    Result<QJsonObject> backup(const QString &idOrPrefix);
    // Each returns the operation (202 + /admin/operations/:id).
    Result<QJsonObject> startBackup(const OpsActor &actor, const QJsonObject &body); // {label?}
    Result<QJsonObject> startVerify(const OpsActor &actor, const QString &backupId);
    Result<QJsonObject> startDrill(const OpsActor &actor, const QString &backupId);
    // {backupId | targetTime, confirm: <database name>, keepPrevious?, safetySnapshot?}; runs alone.
    Result<QJsonObject> startRestore(const OpsActor &actor, const QJsonObject &body);
    Result<QJsonObject> archiveStatus();

    Result<QJsonObject> operation(const QString &id) const;
    QJsonArray operations() const;
    Result<QJsonObject> cancel(const OpsActor &actor, const QString &id);

private:
    Status audit(const OpsActor &actor, const QString &action, const QString &targetType, const QString &targetId,
                 const QJsonObject &after);
    Result<QJsonObject> startAudited(const OpsActor &actor, const OperationRegistry::Start &what, const QStringList &plan,
                                     OperationRegistry::Work work, const QJsonObject &auditDetails);

    Config m_config;
    db::Database &m_database;
    OperationRegistry &m_registry;
    ServicesFactory m_makeServices;
};

} // namespace bw::ops
