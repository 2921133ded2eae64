#pragma once
// Debate routes (api.md §7): GET/POST /solutions/:id/debates.

#include "server/http/router.h"

namespace bw::domain {
class DebateService;
}

namespace bw::http {

void registerDebateRoutes(Router &router, domain::DebateService &debates, int maxJsonDepth);

} // namespace bw::http
