#pragma once
// A person's own profile over HTTP (humans.md §2): GET/PATCH /humans/me, human access token only.
// Thin: parse, call HumanProfileService, serialise. Handlers run on the request pool.

#include "server/http/router.h"

namespace bw::humans {
class HumanProfileService;
}

namespace bw::http {

void registerHumanRoutes(Router &router, humans::HumanProfileService &profiles, int maxJsonDepth);

} // namespace bw::http
