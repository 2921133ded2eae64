#pragma once
// The content services the composition root builds together (problem edits, solutions, debates,
// missions, the marketplace): one member in Runtime instead of five. Built and destroyed on the
// main thread; the services themselves are thread-safe.

#include "server/domain/content/debateservice.h"
#include "server/domain/content/problemeditservice.h"
#include "server/domain/content/solutionservice.h"
#include "server/domain/missions/missionmarket.h"
#include "server/domain/missions/missionservice.h"

namespace bw::domain {

struct ContentServices {
    explicit ContentServices(db::Database &db) : problemEdits(db), solutions(db), debates(db), missions(db), market(db) {}

    ProblemEditService problemEdits;
    SolutionService solutions;
    DebateService debates;
    MissionService missions;
    MissionMarket market;
};

} // namespace bw::domain
