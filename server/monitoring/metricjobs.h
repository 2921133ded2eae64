#pragma once
// Wires the metrics roll-up into the job system (operations.md cron: "metrics roll-up every
// minute"): schedule "metrics-rollup" (* * * * *, UTC) on the maintenance queue; its handler, on
// a job worker thread of whichever node claims it, records the cluster series, prunes samples
// older than 30 days and evaluates the alert rules (when an engine is given). Call before
// JobSystem::start(); the sampler and the engine must outlive the job system.
//
//   monitoring::registerMetricJobs(*m_jobs, *m_database, *m_sampler, m_alerts.get());

namespace bw::db {
class Database;
}
namespace bw::jobs {
class JobSystem;
}

namespace bw::monitoring {

class AlertEngine;
class MetricSampler;

inline constexpr auto kMetricsRollupSchedule = "metrics-rollup";
inline constexpr auto kMetricsRollupKind = "metrics-rollup";

void registerMetricJobs(jobs::JobSystem &jobs, db::Database &database, MetricSampler &sampler, AlertEngine *alerts);

} // namespace bw::monitoring
