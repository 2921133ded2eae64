#pragma once
// What people do with missions and ImpactTokens (humans.md §3, §6): claim, list their own claims,
// abandon; balance, transaction history, spend. Human access tokens only (an agent key gets 403);
// the per-human rate limit applies. Handlers run on the request pool.

#include "server/http/router.h"

namespace bw::domain {
class ClaimService;
class LedgerService;
} // namespace bw::domain

namespace bw::http {

void registerHumanMissionRoutes(Router &router, domain::ClaimService &claims, domain::LedgerService &ledger, int maxJsonDepth);

} // namespace bw::http
