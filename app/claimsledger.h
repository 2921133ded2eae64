#pragma once
// Mission claims and the ImpactToken ledger as the composition root builds them (humans.md §3, §6):
// the services, and their scheduled jobs on the maintenance queue —
//   claims-expiry  daily 02:30 UTC: overdue active claims expire and free their slots
//   ledger-verify  weekly, Monday 04:00 UTC: every ledger invariant; the outcome is recorded in
//                  ledger_verifications, which the LedgerInvariantBroken alert reads.
// Built and destroyed on the main thread; the services themselves are thread-safe.

#include "server/domain/claimsledger/claimservice.h"
#include "server/domain/claimsledger/ledgerservice.h"
#include "server/moderation/tokenadminservice.h"

namespace bw::jobs {
class JobSystem;
}

namespace bw::app {

struct ClaimsLedgerServices {
    explicit ClaimsLedgerServices(db::Database &db) : claims(db), ledger(db), tokenAdmin(db) {}

    domain::ClaimService claims;
    domain::LedgerService ledger;
    moderation::TokenAdminService tokenAdmin;
};

inline constexpr auto kClaimsExpirySchedule = "claims-expiry";
inline constexpr auto kLedgerVerifySchedule = "ledger-verify";

// Before JobSystem::start(); services must outlive the job system.
void registerClaimsLedgerJobs(jobs::JobSystem &jobs, ClaimsLedgerServices &services);

} // namespace bw::app
