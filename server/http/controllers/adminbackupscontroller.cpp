#include "adminbackupscontroller.h"

#include "server/http/envelope.h"
#include "server/http/json.h"
#include "server/moderation/admincaller.h"
#include "server/ops/opsadminservice.h"

namespace bw::http {

namespace {
ops::OpsActor actorOf(const Request &req)
{
    return {req.admin->moderatorId, req.admin->email, req.admin->ip};
}

// 202 Accepted with the operation, and where to follow it.
Response accepted(const Request &req, const Result<QJsonObject> &operation)
{
    if (!operation)
        return error(req, operation.error());
    Response res = ok(req, *operation, 202);
    res.setHeader("Location", "/api/v1/admin/operations/" + operation->value(QStringLiteral("id")).toString().toUtf8());
    return res;
}

// The body as a JSON object; an empty body is an empty object.
Result<QJsonObject> bodyObject(const Request &req, int maxJsonDepth)
{
    if (req.body.trimmed().isEmpty())
        return QJsonObject();
    return parseJsonObject(req.body, maxJsonDepth);
}
} // namespace

void registerAdminBackupRoutes(Router &router, ops::OpsAdminService &service, int maxJsonDepth)
{
    const RouteOptions admin{Auth::Admin, RateClass::Admin, true, 16 * 1024};

    router.add("GET", QStringLiteral("/api/v1/admin/backups"), admin, [&service](Request &req) {
        return respond(req, service.listBackups(req.query.value(QStringLiteral("all")) == u"true"));
    });
    router.add("GET", QStringLiteral("/api/v1/admin/backups/archive"), admin,
               [&service](Request &req) { return respond(req, service.archiveStatus()); });
    router.add("GET", QStringLiteral("/api/v1/admin/backups/:id"), admin,
               [&service](Request &req) { return respond(req, service.backup(req.params.value(QStringLiteral("id")))); });
    router.add("POST", QStringLiteral("/api/v1/admin/backups"), admin, [&service, maxJsonDepth](Request &req) {
        const auto body = bodyObject(req, maxJsonDepth);
        if (!body)
            return error(req, body.error());
        return accepted(req, service.startBackup(actorOf(req), *body));
    });
    router.add("POST", QStringLiteral("/api/v1/admin/backups/:id/verify"), admin, [&service](Request &req) {
        return accepted(req, service.startVerify(actorOf(req), req.params.value(QStringLiteral("id"))));
    });
    router.add("POST", QStringLiteral("/api/v1/admin/backups/:id/drill"), admin, [&service](Request &req) {
        return accepted(req, service.startDrill(actorOf(req), req.params.value(QStringLiteral("id"))));
    });
    router.add("POST", QStringLiteral("/api/v1/admin/restores"), admin, [&service, maxJsonDepth](Request &req) {
        const auto body = parseJsonObject(req.body, maxJsonDepth);
        if (!body)
            return error(req, body.error());
        return accepted(req, service.startRestore(actorOf(req), *body));
    });
    router.add("GET", QStringLiteral("/api/v1/admin/operations"), admin,
               [&service](Request &req) { return ok(req, service.operations()); });
    router.add("GET", QStringLiteral("/api/v1/admin/operations/:id"), admin,
               [&service](Request &req) { return respond(req, service.operation(req.params.value(QStringLiteral("id")))); });
    router.add("POST", QStringLiteral("/api/v1/admin/operations/:id/cancel"), admin, [&service](Request &req) {
        return respond(req, service.cancel(actorOf(req), req.params.value(QStringLiteral("id"))));
    });
}

} // namespace bw::http
