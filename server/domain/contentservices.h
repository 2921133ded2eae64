#pragma once
// The content services the composition root builds together (problem edits, solutions, debates,
// missions, the marketplace): one member in Runtime instead of five. Built and destroyed on the
// main thread; the services themselves are thread-safe.

#include "debateservice.h"
#include "missionmarket.h"
#include "missionservice.h"
#include "problemeditservice.h"
#include "solutionservice.h"

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
