#pragma once
// Heartbeat routes (api.md §6): signed instructions, check-ins and the public key list at
// /.well-known/heartbeat-keys.json. Parse, call HeartbeatService, serialise.

#include "server/http/router.h"

namespace bw::domain {
class HeartbeatService;
}

namespace bw::http {

void registerHeartbeatRoutes(Router &router, domain::HeartbeatService &heartbeat, int maxJsonDepth);

} // namespace bw::http
