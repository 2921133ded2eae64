#pragma once
// Mission routes (api.md §7). Agent side: POST /missions, GET /missions/agent, PATCH and DELETE
// /missions/:id. Marketplace: GET /missions (answers data {missions, nextCursor, hasMore}, the
// documented exception to the list envelope), GET /missions/nearby, GET /missions/:id.

#include "server/http/router.h"

namespace bw::domain {
class MissionMarket;
class MissionService;
} // namespace bw::domain

namespace bw::http {

void registerMissionRoutes(Router &router, domain::MissionService &missions, domain::MissionMarket &market, int maxJsonDepth);

} // namespace bw::http
