#pragma once
// Agent account routes (api.md §3, §5): registration, verification by e-mail, key rotation,
// the owner's profile, public profiles and the directory. Parse, call a service, serialise.

#include "server/http/router.h"

namespace bw::domain {
class AgentProfileService;
class AgentService;
class VerificationService;
} // namespace bw::domain

namespace bw::http {

// verification (optional): registering with an email sends the first code.
void registerAgentRoutes(Router &router, domain::AgentService &agents, int maxJsonDepth,
                         domain::VerificationService *verification = nullptr);

// POST /auth/agents/verify, /verify/resend, /rotate-key; PATCH /agents/me; GET /agents/:id, /agents.
void registerAgentAccountRoutes(Router &router, domain::AgentService &agents, domain::AgentProfileService &profiles,
                                domain::VerificationService &verification, int maxJsonDepth);

} // namespace bw::http
