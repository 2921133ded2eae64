#pragma once
// Our agent-facing docs (api.md §8): /skills/betterworld/SKILL.md and HEARTBEAT.md rendered from
// the templates in resources/agent-docs with this server's base URL and the heartbeat public
// key(s); /skill.md and /heartbeat.md redirect there. Any other name (including traversal
// attempts with /, \ or ..) is 404.

#include "server/http/router.h"

#include <QString>

namespace bw::domain {
class HeartbeatService;
}

namespace bw::http {

// publicUrl: e.g. "https://api.example.org"; empty → "http://" + the request's Host header.
void registerSkillRoutes(Router &router, domain::HeartbeatService &heartbeat, const QString &publicUrl);

} // namespace bw::http
