#pragma once
// Solution routes (api.md §7): public keyset-paginated list and read, agent create, owner PATCH
// and DELETE.

#include "server/http/router.h"

namespace bw::domain {
class SolutionService;
}

namespace bw::http {

void registerSolutionRoutes(Router &router, domain::SolutionService &solutions, int maxJsonDepth);

} // namespace bw::http
