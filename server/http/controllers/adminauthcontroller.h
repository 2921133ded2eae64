#pragma once
// Admin sessions over HTTP (api.md §3, §9): login (per-IP login rate class), logout, whoami.
// Thin: parse, call AdminAuthService, serialise. Handlers run on the request pool.

#include "server/http/router.h"

namespace bw::moderation {
class AdminAuthService;
}

namespace bw::http {

void registerAdminAuthRoutes(Router &router, moderation::AdminAuthService &auth, int maxJsonDepth);

} // namespace bw::http
