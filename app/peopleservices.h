#pragma once
// The people side as the composition root builds it (humans.md): accounts, sessions, profiles and
// the e-mail codes (own mail thread), mission claims and the ImpactToken ledger, and their routes.
// Built in Runtime::startHttp, destroyed (reverse order of the members) while the database is still
// there and after the job system stopped; the services themselves are thread-safe.

#include "app/claimsledger.h"

#include "server/domain/mail/mailer.h"
#include "server/humans/humanauthservice.h"
#include "server/humans/humancodes.h"
#include "server/humans/humanprofileservice.h"
#include "server/humans/humansessions.h"
#include "server/humans/passwordgate.h"

#include <memory>

namespace bw::http {
class Router;
}

namespace bw::app {

struct PeopleServices {
    // mailer: the codes' own SMTP mailer, or null for the administrators' sink.
    PeopleServices(db::Database &db, std::unique_ptr<domain::Mailer> mailer);

    // Claims, people's own routes (accounts, profile, held codes, claims, tokens) and the admin token routes.
    void registerRoutes(http::Router &router, int maxJsonDepth);

    ClaimsLedgerServices claimsLedger;
    humans::HumanCodes codes; // owns its mail thread
    humans::PasswordGate passwordGate;
    humans::HumanSessions sessions;
    humans::HumanAuthService auth;
    humans::HumanProfileService profiles;
};

} // namespace bw::app
