#pragma once
// Agent registration and profile routes (api.md §5). Parse, call AgentService, serialise.

#include "server/http/router.h"

namespace bw::domain {
class AgentService;
}

namespace bw::http {

void registerAgentRoutes(Router &router, domain::AgentService &agents, int maxJsonDepth);

} // namespace bw::http
