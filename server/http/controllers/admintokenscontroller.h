#pragma once
// The ImpactToken ledger for administrators over HTTP (humans.md §6): audited adjustments, a
// human's balance and transfers, and the ledger verification. Thin: parse, call
// TokenAdminService, serialise. Handlers run on the request pool.

#include "server/http/router.h"

namespace bw::moderation {
class TokenAdminService;
}

namespace bw::http {

void registerAdminTokenRoutes(Router &router, moderation::TokenAdminService &tokens, int maxJsonDepth);

} // namespace bw::http
