#include "server/ops/opsadminservice.h"

#include "server/db/database.h"
#include "server/ops/archivekeeper.h"
#include "server/ops/catalogue.h"

namespace bw::ops {

namespace {
ApiError invalid(const QString &field, const QString &message)
{
    return ApiError::validation({{field, {message}}});
}

QStringList backupPlan()
{
    return {QStringLiteral("dump|Dumping the database"), QStringLiteral("verify|Verifying the dump")};
}
} // namespace

OpsAdminService::OpsAdminService(Config config, db::Database &database, OperationRegistry &registry, ServicesFactory makeServices)
    : m_config(std::move(config)), m_database(database), m_registry(registry), m_makeServices(std::move(makeServices))
{
}

Result<QJsonArray> OpsAdminService::listBackups(bool includeGone)
{
    auto list = m_makeServices()->backups->list(200, includeGone);
    if (!list)
        return list.error();
    QJsonArray out;
    for (const BackupRecord &b : std::as_const(*list))
        out.append(b.toJson());
    return out;
}

Result<QJsonObject> OpsAdminService::backup(const QString &idOrPrefix)
{
    auto b = m_makeServices()->backups->get(idOrPrefix);
    if (!b)
        return b.error();
    return b->toJson();
}

Status OpsAdminService::audit(const OpsActor &actor, const QString &action, const QString &targetType, const QString &targetId,
                              const QJsonObject &after)
{
    return catalogue::auditByModerator(m_database.connection(), actor.moderatorId, actor.ip, action, targetType, targetId, after);
}

// The audit row comes first: an action that cannot be recorded does not start.
Result<QJsonObject> OpsAdminService::startAudited(const OpsActor &actor, const OperationRegistry::Start &what,
                                                  const QStringList &plan, OperationRegistry::Work work,
                                                  const QJsonObject &auditDetails)
{
    auto started = m_registry.start(what, plan, std::move(work));
    if (!started)
        return started;
    QJsonObject after = auditDetails;
    after.insert(QStringLiteral("operationId"), started->value(QStringLiteral("id")));
    after.insert(QStringLiteral("requestedBy"), what.requestedBy);
    if (Status s = audit(actor, QStringLiteral("ops.%1.start").arg(what.kind), QStringLiteral("operation"),
                         started->value(QStringLiteral("id")).toString(), after);
        !s) {
        (void)m_registry.cancel(started->value(QStringLiteral("id")).toString());
        return s.error();
    }
    return started;
}

Result<QJsonObject> OpsAdminService::startBackup(const OpsActor &actor, const QJsonObject &body)
{
    const QJsonValue label = body.value(QStringLiteral("label"));
    if (!label.isUndefined() && !label.isNull() && (!label.isString() || label.toString().size() > 100))
        return invalid(QStringLiteral("label"), QStringLiteral("a text of at most 100 characters"));
    const CreateOptions options{.requestedBy = actor.label(), .label = label.toString()};
    return startAudited(actor, {QStringLiteral("backup"), {}, actor.label(), false}, backupPlan(),
                        [make = m_makeServices, options](const OperationPtr &op) -> Result<QJsonObject> {
                            auto r = make()->backups->create(BackupKind::Manual, op, options);
                            if (!r)
                                return r.error();
                            return r->toJson();
                        },
                        {{QStringLiteral("label"), label.toString()}});
}

Result<QJsonObject> OpsAdminService::startVerify(const OpsActor &actor, const QString &backupId)
{
    auto b = m_makeServices()->backups->get(backupId);
    if (!b)
        return b.error();
    return startAudited(actor, {QStringLiteral("verify"), b->id, actor.label(), false}, {},
                        [make = m_makeServices, id = b->id](const OperationPtr &op) -> Result<QJsonObject> {
                            auto v = make()->backups->verify(id, op);
                            if (!v)
                                return v.error();
                            if (!v->ok)
                                return ApiError::conflict(QStringLiteral("backup %1 failed verification: %2").arg(id, v->detail));
                            return QJsonObject{{QStringLiteral("backupId"), id},
                                               {QStringLiteral("ok"), true},
                                               {QStringLiteral("detail"), v->detail},
                                               {QStringLiteral("ms"), double(v->ms)}};
                        },
                        {{QStringLiteral("backupId"), b->id}});
}

Result<QJsonObject> OpsAdminService::startDrill(const OpsActor &actor, const QString &backupId)
{
    auto b = m_makeServices()->backups->get(backupId);
    if (!b)
        return b.error();
    return startAudited(actor, {QStringLiteral("drill"), b->id, actor.label(), false}, {},
                        [make = m_makeServices, id = b->id](const OperationPtr &op) -> Result<QJsonObject> {
                            auto d = make()->backups->drill(id, op);
                            if (!d)
                                return d.error();
                            if (!d->ok)
                                return ApiError::make(ErrorKind::Conflict, QStringLiteral("restore drill of %1 failed").arg(id),
                                                      d->toJson());
                            return d->toJson();
                        },
                        {{QStringLiteral("backupId"), b->id}});
}

Result<QJsonObject> OpsAdminService::startRestore(const OpsActor &actor, const QJsonObject &body)
{
    const auto services = m_makeServices();
    FieldErrors errors;
    const QJsonValue backupId = body.value(QStringLiteral("backupId"));
    const QJsonValue targetTime = body.value(QStringLiteral("targetTime"));
    const QJsonValue confirm = body.value(QStringLiteral("confirm"));
    RestoreRequest req;
    req.requestedBy = actor.label();
    if (backupId.isString() == targetTime.isString())
        errors.add(QStringLiteral("backupId"), QStringLiteral("give either backupId or targetTime"));
    if (targetTime.isString()) {
        req.targetTime = QDateTime::fromString(targetTime.toString(), Qt::ISODateWithMs);
        if (!req.targetTime.isValid())
            errors.add(QStringLiteral("targetTime"), QStringLiteral("an ISO 8601 time, e.g. 2026-01-31T12:00:00Z"));
    }
    if (!confirm.isString() || confirm.toString() != services->databaseName)
        errors.add(QStringLiteral("confirm"),
                   QStringLiteral("type the database's name (%1) to confirm that it is replaced").arg(services->databaseName));
    for (const char *flag : {"keepPrevious", "safetySnapshot"}) {
        const QJsonValue v = body.value(QLatin1StringView(flag));
        if (!v.isUndefined() && !v.isBool())
            errors.add(QLatin1StringView(flag), QStringLiteral("true or false"));
    }
    if (!errors.empty())
        return errors.toError();
    req.confirmation = confirm.toString();
    req.keepPrevious = body.value(QStringLiteral("keepPrevious")).toBool(false);
    req.safetySnapshot = body.value(QStringLiteral("safetySnapshot")).toBool(true);
    if (req.targetTime.isValid() && !services->pointInTimeRecovery)
        return ApiError::conflict(QStringLiteral("point-in-time recovery is not available here (an external database, or WAL "
                                                 "archiving is off); restore a backup by backupId"));
    if (backupId.isString()) {
        auto b = services->backups->get(backupId.toString());
        if (!b)
            return b.error();
        req.backupId = b->id;
    }
    const QString target = req.backupId.isEmpty() ? req.targetTime.toUTC().toString(Qt::ISODate) : req.backupId;
    return startAudited(actor, {QStringLiteral("restore"), target, actor.label(), true}, RestoreService::plannedSteps(),
                        [make = m_makeServices, req](const OperationPtr &op) -> Result<QJsonObject> {
                            auto r = make()->restore->restore(req, op);
                            if (!r)
                                return r.error();
                            return r->toJson();
                        },
                        {{QStringLiteral("backupId"), req.backupId},
                         {QStringLiteral("targetTime"), req.targetTime.isValid() ? QJsonValue(target) : QJsonValue()},
                         {QStringLiteral("keepPrevious"), req.keepPrevious},
                         {QStringLiteral("safetySnapshot"), req.safetySnapshot}});
}

Result<QJsonObject> OpsAdminService::archiveStatus()
{
    return ArchiveKeeper::report(m_config, m_database);
}

Result<QJsonObject> OpsAdminService::operation(const QString &id) const
{
    if (auto o = m_registry.find(id))
        return *o;
    return ApiError::notFound(QStringLiteral("no operation %1 on this node").arg(id));
}

QJsonArray OpsAdminService::operations() const
{
    return m_registry.list();
}

Result<QJsonObject> OpsAdminService::cancel(const OpsActor &actor, const QString &id)
{
    auto cancelled = m_registry.cancel(id);
    if (!cancelled)
        return cancelled;
    // Best effort: during a restore the database may be between two names right now.
    (void)audit(actor, QStringLiteral("ops.operation.cancel"), QStringLiteral("operation"), id,
                {{QStringLiteral("kind"), cancelled->value(QStringLiteral("kind"))}});
    return cancelled;
}

} // namespace bw::ops
