#include "app/claimsledger.h"

#include "server/core/logging.h"
#include "server/jobs/jobsystem.h"

namespace bw::app {

void registerClaimsLedgerJobs(jobs::JobSystem &jobs, ClaimsLedgerServices &services)
{
    const QString queue = QString::fromLatin1(jobs::JobSystem::kMaintenanceQueue);
    const QString expiry = QString::fromLatin1(kClaimsExpirySchedule);
    const QString verify = QString::fromLatin1(kLedgerVerifySchedule);
    // After the missions' own expiry (02:00): a claim's deadline never passes its mission's expiry.
    jobs.addSchedule(expiry, QStringLiteral("30 2 * * *"), queue, expiry);
    jobs.registerHandler(queue, expiry, [claims = &services.claims](const jobs::Job &, jobs::JobContext &) -> Status {
        auto expired = claims->expireOverdue();
        if (!expired)
            return expired.error();
        qCInfo(lcApp) << "mission claims expired:" << *expired;
        return success();
    });
    jobs.addSchedule(verify, QStringLiteral("0 4 * * 1"), queue, verify);
    jobs.registerHandler(queue, verify, [ledger = &services.ledger](const jobs::Job &, jobs::JobContext &) -> Status {
        // Violations are an outcome, not a job failure: they are recorded and alerted on; only a
        // check that could not run is retried.
        auto violations = ledger->verifyAndRecord(QStringLiteral("job"));
        if (!violations)
            return violations.error();
        if (violations->isEmpty())
            qCInfo(lcApp) << "ledger verified: no violations";
        else
            qCCritical(lcApp) << "ledger verification found" << violations->size()
                              << "violation(s); first:" << violations->first().kind << violations->first().subject
                              << violations->first().detail;
        return success();
    });
}

} // namespace bw::app
