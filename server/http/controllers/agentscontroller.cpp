#include "agentscontroller.h"

#include "server/domain/accounts/agentprofileservice.h"
#include "server/domain/accounts/agentservice.h"
#include "server/domain/accounts/verificationservice.h"
#include "server/http/envelope.h"
#include "server/http/json.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcAgentsController, "bw.agents")

namespace bw::http {

namespace {
// 429s carry Retry-After like the pipeline's own rate limiter (api.md §4).
Response errorWithRetry(const Request &req, const ApiError &e)
{
    Response res = error(req, e);
    if (e.kind == ErrorKind::RateLimited && e.details.contains(QStringLiteral("retryAfter")))
        res.setHeader("Retry-After", QByteArray::number(e.details.value(QStringLiteral("retryAfter")).toInt()));
    return res;
}
} // namespace

void registerAgentRoutes(Router &router, domain::AgentService &agents, int maxJsonDepth,
                         domain::VerificationService *verification)
{
    router.add("POST", QStringLiteral("/api/v1/auth/agents/register"), {Auth::None, RateClass::Registration},
               [&agents, maxJsonDepth, verification](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   auto result = agents.registerAgent(*body);
                   if (result && verification && body->value(QStringLiteral("email")).isString()) {
                       // The account exists either way; a failed first code is resent on request.
                       const QString agentId = result->value(QStringLiteral("agentId")).toString();
                       if (Status sent = verification->sendRegistrationCode(agentId); !sent)
                           qCWarning(lcAgentsController).noquote()
                               << "first verification code for" << agentId << "not issued:" << sent.error().message;
                   }
                   return respond(req, result, 201);
               });

    router.add("GET", QStringLiteral("/api/v1/agents/me"), {Auth::Agent, RateClass::Standard},
               [&agents](Request &req) { return respond(req, agents.me(*req.caller)); });
}

void registerAgentAccountRoutes(Router &router, domain::AgentService &agents, domain::AgentProfileService &profiles,
                                domain::VerificationService &verification, int maxJsonDepth)
{
    router.add("POST", QStringLiteral("/api/v1/auth/agents/verify"), {Auth::Agent, RateClass::Standard},
               [&verification, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   return respond(req, verification.verify(*req.caller, *body));
               });

    router.add("POST", QStringLiteral("/api/v1/auth/agents/verify/resend"), {Auth::Agent, RateClass::Standard},
               [&verification](Request &req) {
                   const auto result = verification.resend(*req.caller);
                   return result ? ok(req, *result) : errorWithRetry(req, result.error());
               });

    router.add("POST", QStringLiteral("/api/v1/auth/agents/rotate-key"), {Auth::Agent, RateClass::Standard},
               [&agents](Request &req) { return respond(req, agents.rotateKey(*req.caller)); });

    router.add("PATCH", QStringLiteral("/api/v1/agents/me"), {Auth::Agent, RateClass::Standard},
               [&profiles, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   return respond(req, profiles.update(*req.caller, *body));
               });

    router.add("GET", QStringLiteral("/api/v1/agents/:id"), {Auth::None, RateClass::Standard}, [&profiles](Request &req) {
        return respond(req, profiles.publicProfile(req.params.value(QStringLiteral("id"))));
    });

    router.add("GET", QStringLiteral("/api/v1/agents"), {Auth::None, RateClass::Standard}, [&profiles](Request &req) {
        const auto query = domain::AgentDirectoryQuery::fromQuery(req.query);
        if (!query)
            return error(req, query.error());
        const auto result = profiles.directory(*query);
        if (!result)
            return error(req, result.error());
        return page(req, result->itemsJson, result->hasMore, result->nextCursor, result->count);
    });
}

} // namespace bw::http
