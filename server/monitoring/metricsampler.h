#pragma once
// The dashboards' history: 1-minute samples in metric_samples, kept 30 days (operations.md).
// Two halves, because some series live in each process and others in the database:
//  - node series (request rate, 5xx, latency quantiles, connections, guardrail/job latency, disk)
//    come from this process' MetricsRegistry; start() runs a thread that records them every
//    minute on every node, tagged with the node id;
//  - cluster series (database, queues, business counts, backup age) come from SQL and are recorded
//    once per minute for the whole cluster by rollUp(), which the "metrics-rollup" cron job runs on
//    one node (registerMetricJobs), together with pruning.
// The object is thread-safe; sample*/rollUp/prune run SQL on the calling thread's connection.

#include "server/core/metrics.h"
#include "server/core/result.h"
#include "server/monitoring/nodemetrics.h"

#include <QDateTime>
#include <QList>
#include <QPointF>
#include <QSqlDatabase>
#include <QString>
#include <QStringList>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace bw::db {
class Database;
}

namespace bw::monitoring {

struct SeriesHistory {
    QString name;
    QString label;
    QList<QPointF> points; // x = ms since epoch (bucket start, UTC), y = value
};

struct SlowQuery {
    QString query;
    qint64 calls = 0;
    double meanMs = 0;
    double totalMs = 0;
};

class MetricSampler final {
public:
    struct Options {
        QString nodeId;   // metric_samples.node of the node series
        QString diskPath; // disk_used_ratio of this filesystem; "" = none
        int keepDays = 30;
        std::chrono::milliseconds nodeInterval{60000}; // tests shorten it
    };

    MetricSampler(db::Database &database, MetricsRegistry &metrics, Options options);
    ~MetricSampler(); // stop()
    MetricSampler(const MetricSampler &) = delete;
    MetricSampler &operator=(const MetricSampler &) = delete;

    // The node thread (own DB connection): a baseline now, then one sample per interval.
    void start();
    void stop(); // wakes and joins the thread (at most one INSERT in flight)
    bool isRunning() const;

    // This node's in-process series over the time since the previous call (the first call only
    // takes the baseline and writes node_up/connections/disk). `minute` defaults to now.
    Status sampleNode(QSqlDatabase db, QDateTime minute = {});
    // The cluster series from SQL, in one INSERT … SELECT (+ pg_stat_statements when usable).
    Status sampleCluster(QSqlDatabase db, QDateTime minute = {});
    // Deletes samples older than keepDays; returns how many.
    Result<int> prune(QSqlDatabase db) const;
    // The cron job's work: sampleCluster + prune.
    Status rollUp(QSqlDatabase db);

    // Downsampled history of `names` over [from, to]: nodes combined per minute (series::combinesByMax),
    // then averaged into buckets of ≥ 1 minute so each series has at most ~maxPoints points.
    static Result<QList<SeriesHistory>> history(QSqlDatabase db, const QStringList &names, const QDateTime &from,
                                                const QDateTime &to, int maxPoints = 360);
    // The latest value of each cluster series (and the newest node values combined), for tiles.
    static Result<QList<SeriesHistory>> latest(QSqlDatabase db, const QStringList &names, int withinMinutes = 5);
    // Statements with mean time above minMeanMs from pg_stat_statements, slowest total first.
    // Error (kind Unavailable) when the extension is not installed or not preloaded.
    static Result<QList<SlowQuery>> slowQueries(QSqlDatabase db, double minMeanMs = 100, int limit = 20);

    const Options &options() const { return m_options; }

private:
    void run();

    db::Database &m_database;
    MetricsRegistry &m_metrics;
    const Options m_options;

    mutable std::mutex m_mutex;
    std::optional<NodeMetricsSnapshot> m_previous;         // node baseline
    std::optional<std::pair<double, double>> m_statements; // pg_stat_statements (total ms, calls)
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace bw::monitoring
