#pragma once
// People's accounts over HTTP (humans.md §1): register, verify-email, resend-code, login, refresh,
// logout, password-reset. Thin: parse, call HumanAuthService / HumanSessions, serialise. Everything
// but logout and refresh is in the per-IP registration/login rate class. Handlers run on the request pool.

#include "server/http/router.h"

namespace bw::humans {
class HumanAuthService;
class HumanSessions;
} // namespace bw::humans

namespace bw::http {

void registerHumanAuthRoutes(Router &router, humans::HumanAuthService &auth, humans::HumanSessions &sessions, int maxJsonDepth);

} // namespace bw::http
