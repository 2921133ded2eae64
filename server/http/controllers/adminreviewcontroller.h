#pragma once
// The moderators' review queue over HTTP (api.md §9 /admin/flagged…): list, detail, claim,
// release, review. Thin: parse, call ReviewService (the same service the desktop panels use),
// serialise. Handlers run on the request pool.

#include "server/http/router.h"

namespace bw::moderation {
class ReviewService;
}

namespace bw::http {

void registerAdminReviewRoutes(Router &router, moderation::ReviewService &reviews, int maxJsonDepth);

} // namespace bw::http
