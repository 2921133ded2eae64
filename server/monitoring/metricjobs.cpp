#include "server/monitoring/metricjobs.h"

#include "server/db/database.h"
#include "server/jobs/jobsystem.h"
#include "server/monitoring/alertengine.h"
#include "server/monitoring/metricsampler.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcMetricJobs, "bw.ops.metrics.jobs")

namespace bw::monitoring {

void registerMetricJobs(jobs::JobSystem &jobs, db::Database &database, MetricSampler &sampler, AlertEngine *alerts)
{
    const QString queue = QString::fromLatin1(jobs::JobSystem::kMaintenanceQueue);
    const QString kind = QString::fromLatin1(kMetricsRollupKind);
    jobs.registerHandler(queue, kind, [&database, &sampler, alerts](const jobs::Job &, jobs::JobContext &) -> Status {
        QSqlDatabase db = database.connection();
        const Status sampled = sampler.rollUp(db);
        if (!sampled)
            qCWarning(lcMetricJobs).noquote() << "metrics roll-up failed:" << sampled.error().message;
        if (alerts) { // evaluated even when sampling failed: the alert inputs also come from live SQL
            auto evaluated = alerts->evaluate(db);
            if (!evaluated)
                return evaluated.error();
        }
        return sampled;
    });
    jobs.addSchedule(QString::fromLatin1(kMetricsRollupSchedule), QStringLiteral("* * * * *"), queue, kind);
}

} // namespace bw::monitoring
