#pragma once
// A person's own profile over HTTP (humans.md §2): GET/PATCH /humans/me, human access token only;
// and, for administrators of a server without SMTP, the e-mail codes held for people
// (GET /admin/humans/codes). Thin: parse, call the service, serialise. Handlers run on the request pool.

#include "server/http/router.h"

namespace bw::humans {
class HumanCodes;
class HumanProfileService;
} // namespace bw::humans

namespace bw::http {

void registerHumanRoutes(Router &router, humans::HumanProfileService &profiles, humans::HumanCodes &codes, int maxJsonDepth);

} // namespace bw::http
