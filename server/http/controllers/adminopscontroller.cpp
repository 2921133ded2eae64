#include "adminopscontroller.h"

#include "server/http/envelope.h"
#include "server/http/json.h"
#include "server/moderation/adminopsservice.h"

namespace bw::http {

namespace {
Response jsonPage(const Request &req, const Result<moderation::JsonPage> &result)
{
    if (!result)
        return error(req, result.error());
    return page(req, result->itemsJson, result->hasMore, result->nextCursor, result->count);
}

// Parses the body, then hands the parsed value to call.
template <typename Parse, typename Call>
Response withBody(Request &req, int maxJsonDepth, Parse parse, Call call)
{
    const auto body = parseJsonObject(req.body, maxJsonDepth);
    if (!body)
        return error(req, body.error());
    const auto value = parse(*body);
    if (!value)
        return error(req, value.error());
    return respond(req, call(*value));
}
} // namespace

void registerAdminOpsRoutes(Router &router, moderation::AdminOpsService &ops, int maxJsonDepth)
{
    using moderation::AdminOpsService;
    const RouteOptions admin{Auth::Admin, RateClass::Admin, true, 16 * 1024};

    router.add("PUT", QStringLiteral("/api/v1/admin/agents/:id/rate-limit"), admin, [&ops, maxJsonDepth](Request &req) {
        return withBody(req, maxJsonDepth, &AdminOpsService::parseRateLimitBody, [&](std::optional<int> limit) {
            return ops.setRateLimitOverride(*req.admin, req.params.value(QStringLiteral("id")), limit);
        });
    });

    router.add("PATCH", QStringLiteral("/api/v1/admin/agents/:id/verification"), admin, [&ops, maxJsonDepth](Request &req) {
        return withBody(req, maxJsonDepth, &AdminOpsService::parseClaimStatusBody, [&](const QString &status) {
            return ops.setClaimStatus(*req.admin, req.params.value(QStringLiteral("id")), status);
        });
    });

    router.add("PATCH", QStringLiteral("/api/v1/admin/agents/:id"), admin, [&ops, maxJsonDepth](Request &req) {
        return withBody(req, maxJsonDepth, &AdminOpsService::parseActiveBody,
                        [&](bool active) { return ops.setActive(*req.admin, req.params.value(QStringLiteral("id")), active); });
    });

    router.add("GET", QStringLiteral("/api/v1/admin/jobs"), admin, [&ops](Request &req) {
        const auto query = moderation::JobQuery::fromQuery(req.query);
        if (!query)
            return error(req, query.error());
        return jsonPage(req, ops.listJobs(*req.admin, *query));
    });

    router.add("POST", QStringLiteral("/api/v1/admin/jobs/:id/retry"), admin,
               [&ops](Request &req) { return respond(req, ops.retryJob(*req.admin, req.params.value(QStringLiteral("id")))); });

    router.add("GET", QStringLiteral("/api/v1/admin/audit-log"), admin, [&ops](Request &req) {
        const auto query = moderation::AuditQuery::fromQuery(req.query);
        if (!query)
            return error(req, query.error());
        return jsonPage(req, ops.auditLog(*req.admin, *query));
    });
}

} // namespace bw::http
