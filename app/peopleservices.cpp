#include "app/peopleservices.h"

#include "server/http/controllers/admintokenscontroller.h"
#include "server/http/controllers/humanauthcontroller.h"
#include "server/http/controllers/humanmissionscontroller.h"
#include "server/http/controllers/humanscontroller.h"

namespace bw::app {

PeopleServices::PeopleServices(db::Database &db, std::unique_ptr<domain::Mailer> mailer)
    : claimsLedger(db), codes(db, std::move(mailer)), sessions(db, humans::HumanSessions::Options{}),
      auth(db, sessions, codes, passwordGate), profiles(db)
{
}

void PeopleServices::registerRoutes(http::Router &router, int maxJsonDepth)
{
    http::registerAdminTokenRoutes(router, claimsLedger.tokenAdmin, maxJsonDepth);
    http::registerHumanAuthRoutes(router, auth, sessions, maxJsonDepth);
    http::registerHumanRoutes(router, profiles, codes, maxJsonDepth);
    http::registerHumanMissionRoutes(router, claimsLedger.claims, claimsLedger.ledger, maxJsonDepth);
}

} // namespace bw::app
