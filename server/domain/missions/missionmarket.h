#pragma once
// The mission marketplace (api.md §7): approved, open, unexpired missions, filtered and keyset-
// paginated (newest, best paid, or nearest first), and the nearby search. Geo filters, distances
// and the distance order all work on the *public* point (missions.public_earth: coordinates rounded
// to 2 decimals, as shown), so no query sequence reveals more than that (radius: earth_box @>
// public_earth, then the great-circle distance; order: KNN on public_earth <-> point; distanceKm
// to 0.1 km), through its partial GiST index. Thread-safe: any thread (the calling thread's connection).

#include "server/domain/content/keysetlist.h"
#include "server/domain/content/problemservice.h"
#include "server/domain/missions/missioninput.h"

#include "server/core/result.h"

namespace bw::domain {

class MissionMarket final {
public:
    explicit MissionMarket(db::Database &db);

    // GET /missions and GET /missions/nearby (query from MarketQuery::fromNearbyQuery).
    Result<Page> list(const MarketQuery &query);

    // The statement list() runs (tests EXPLAIN it against seeded data).
    static KeysetSpec spec(const MarketQuery &query);

private:
    db::Database &m_db;
    CursorSource m_cursors;
};

} // namespace bw::domain
