#pragma once
// The in-process series the dashboards, the metric sampler and the alert rules derive rates and
// quantiles from: a copy of the MetricsRegistry at one instant (NodeMetricsSnapshot) and what
// happened between two copies (NodeRates). Plain values, any thread; capture() only takes the
// registry's lock briefly.

#include "server/core/metrics.h"

#include <QString>

#include <map>
#include <optional>
#include <vector>

namespace bw::monitoring {

// Names of the stored series (metric_samples.name). Node series carry the node id; cluster
// series (database, queues, business) node ''.
namespace series {
// node-local, per minute (live: per second)
inline constexpr auto kRequestRate = "http_request_rate"; // req/s
inline constexpr auto kErrorRate = "http_5xx_rate";       // 5xx responses/s
inline constexpr auto kLatencyP50 = "http_latency_p50";   // seconds
inline constexpr auto kLatencyP95 = "http_latency_p95";
inline constexpr auto kLatencyP99 = "http_latency_p99";
inline constexpr auto kActiveConnections = "http_active_connections";
inline constexpr auto kGuardrailP95 = "guardrail_latency_p95";  // seconds
inline constexpr auto kJobDurationP95 = "job_duration_p95";     // seconds, all queues
inline constexpr auto kJobProcessedRate = "job_processed_rate"; // label queue; jobs/s
inline constexpr auto kJobFailedRate = "job_failed_rate";       // label queue; failed attempts/min
inline constexpr auto kDiskUsedRatio = "disk_used_ratio";       // the node's data directory
inline constexpr auto kNodeUp = "node_up";
inline constexpr auto kPitrWindowSeconds = "pitr_window_seconds"; // where the WAL archive is kept (ArchiveKeeper)
// cluster-wide, per minute
inline constexpr auto kDbConnections = "db_connections";
inline constexpr auto kDbMaxConnections = "db_max_connections";
inline constexpr auto kDbConnectionsRatio = "db_connections_ratio";
inline constexpr auto kDbSizeBytes = "db_size_bytes";
inline constexpr auto kDbCacheHitRatio = "db_cache_hit_ratio";
inline constexpr auto kDbDeadTuples = "db_dead_tuples";
inline constexpr auto kDbDeadTupleRatio = "db_dead_tuple_ratio";
inline constexpr auto kDbQueryMeanMs = "db_query_mean_ms"; // pg_stat_statements only
inline constexpr auto kDbSlowQueries = "db_slow_queries";  // statements with mean > 100 ms
inline constexpr auto kQueueDepth = "job_queue_depth";     // label queue; available + retryable
inline constexpr auto kQueueRunning = "job_running";       // label queue
inline constexpr auto kQueueDead = "job_dead_letter";      // label queue; discarded
inline constexpr auto kActiveAgents24h = "agents_active_24h";
inline constexpr auto kProblemsToday = "problems_today";
inline constexpr auto kApprovalRate = "guardrail_approval_rate"; // approved / (approved + rejected), 24 h
inline constexpr auto kMissionsWeek = "missions_completed_week";
inline constexpr auto kTokensWeek = "tokens_distributed_week";
inline constexpr auto kBackupAgeHours = "backup_age_hours";
inline constexpr auto kRestoreDrillFailed = "restore_drill_failed"; // 1 when the newest drill failed

// Several nodes' values of one minute combine by max (latencies, ratios) or by sum (rates, counts).
bool combinesByMax(const QString &name);
} // namespace series

struct NodeMetricsSnapshot {
    qint64 atMs = 0;
    double requests = 0;
    double errors5xx = 0;
    double activeConnections = 0;
    std::optional<double> pitrWindowSeconds; // set once the WAL archive check published it
    Histogram::Snapshot latency;             // http_request_duration_seconds, all routes
    Histogram::Snapshot guardrail;           // guardrail_evaluation_duration_seconds
    Histogram::Snapshot jobDuration;         // job_duration_seconds, all queues
    std::map<QString, double> jobsCompleted; // per queue
    std::map<QString, double> jobsFailed;
    std::map<QString, double> queueDepth; // job_queue_size{state=available|retryable} (this node's view)
    struct Route {
        QString method, route;
        double requests = 0, errors5xx = 0;
    };
    std::map<QString, Route> routes; // "METHOD route" → counts

    static NodeMetricsSnapshot capture(const MetricsRegistry &registry);
};

struct NodeRates {
    double seconds = 0;
    double requestRate = 0;           // per second
    double errorRate = 0;             // 5xx per second
    double errorRatio = 0;            // 5xx / all (0 without traffic)
    double p50 = 0, p95 = 0, p99 = 0; // seconds; 0 without traffic
    double guardrailP95 = 0;
    double jobDurationP95 = 0;
    double activeConnections = 0;
    std::map<QString, double> jobsProcessedRate; // per second
    std::map<QString, double> jobsFailedPerMinute;
    std::map<QString, double> queueDepth;
    struct Route {
        QString method, route;
        double total = 0, rate = 0, errors5xx = 0;
    };
    std::vector<Route> routes; // busiest first

    static NodeRates between(const NodeMetricsSnapshot &before, const NodeMetricsSnapshot &after);
};

// The q-quantile of the observations made between two snapshots of one histogram (a reset or an
// empty `before` counts from zero). 0 when nothing was observed.
double quantileBetween(const Histogram::Snapshot &before, const Histogram::Snapshot &after, double q);

} // namespace bw::monitoring
