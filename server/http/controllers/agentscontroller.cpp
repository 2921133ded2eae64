#include "agentscontroller.h"

#include "server/domain/agentservice.h"
#include "server/http/envelope.h"
#include "server/http/json.h"

namespace bw::http {

void registerAgentRoutes(Router &router, domain::AgentService &agents, int maxJsonDepth)
{
    router.add("POST", QStringLiteral("/api/v1/auth/agents/register"), {Auth::None, RateClass::Registration},
               [&agents, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   return respond(req, agents.registerAgent(*body), 201);
               });

    router.add("GET", QStringLiteral("/api/v1/agents/me"), {Auth::Agent, RateClass::Standard},
               [&agents](Request &req) { return respond(req, agents.me(*req.caller)); });
}

} // namespace bw::http
