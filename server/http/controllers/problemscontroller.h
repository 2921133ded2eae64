#pragma once
// Problem routes (api.md §7): public keyset-paginated list, single read, agent create.

#include "server/http/router.h"

namespace bw::domain {
class ProblemService;
}

namespace bw::http {

void registerProblemRoutes(Router &router, domain::ProblemService &problems, int maxJsonDepth);

} // namespace bw::http

namespace bw::domain {
class ProblemEditService;
}

namespace bw::http {

// PATCH /problems/:id (owner; back to guardrail review) and DELETE /problems/:id (owner).
void registerProblemEditRoutes(Router &router, domain::ProblemEditService &edits, int maxJsonDepth);

} // namespace bw::http
