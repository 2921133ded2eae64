#pragma once
// Administrator controls over HTTP (api.md §9): agent rate-limit override, claim status and
// activation; jobs (list, dead-letter redrive); the audit log. Thin: parse, call AdminOpsService,
// serialise. Handlers run on the request pool.

#include "server/http/router.h"

namespace bw::moderation {
class AdminOpsService;
}

namespace bw::http {

void registerAdminOpsRoutes(Router &router, moderation::AdminOpsService &ops, int maxJsonDepth);

} // namespace bw::http
