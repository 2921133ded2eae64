#include "server/monitoring/metricsampler.h"

#include "server/core/threadrole.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QLoggingCategory>
#include <QSqlQuery>
#include <QStorageInfo>
#include <QTimeZone>

#include <algorithm>
#include <cmath>

Q_LOGGING_CATEGORY(lcSampler, "bw.ops.metrics")

namespace bw::monitoring {

namespace {

QString utcMinute(QDateTime at)
{
    if (!at.isValid())
        at = QDateTime::currentDateTimeUtc();
    at = at.toUTC();
    const qint64 ms = at.toMSecsSinceEpoch();
    return QDateTime::fromMSecsSinceEpoch(ms - ms % 60000, Qt::UTC).toString(Qt::ISODate);
}

// A PostgreSQL array literal of quoted elements ({"a","b"}), for one bind instead of many.
QString textArray(const QStringList &items)
{
    QStringList quoted;
    quoted.reserve(items.size());
    for (QString item : items)
        quoted << u'"' + item.replace(u'\\', QLatin1StringView("\\\\")).replace(u'"', QLatin1StringView("\\\"")) + u'"';
    return u'{' + quoted.join(u',') + u'}';
}

QString numberArray(const QList<double> &values)
{
    QStringList out;
    out.reserve(values.size());
    for (double v : values)
        out << (std::isfinite(v) ? QString::number(v, 'g', 15) : QStringLiteral("0"));
    return u'{' + out.join(u',') + u'}';
}

struct Rows {
    QStringList names, labels;
    QList<double> values;
    void add(const char *name, double value, const QString &label = {})
    {
        names << QString::fromLatin1(name);
        labels << label;
        values << value;
    }
};

Status insertRows(QSqlDatabase db, const QString &minute, const QString &node, const Rows &rows)
{
    if (rows.names.isEmpty())
        return success();
    auto q =
        db::exec(db,
                 QStringLiteral("INSERT INTO metric_samples (at, name, label, node, value)"
                                " SELECT ?::timestamptz, n, l, ?, v FROM unnest(?::text[], ?::text[], ?::float8[]) AS s(n, l, v)"
                                " ON CONFLICT (name, at, label, node) DO UPDATE SET value = EXCLUDED.value"),
                 {minute, node.isNull() ? QStringLiteral("") : node, textArray(rows.names), textArray(rows.labels),
                  numberArray(rows.values)});
    if (!q)
        return q.error();
    return success();
}

// Every cluster series but pg_stat_statements' in one statement: nothing crosses the wire.
constexpr auto kClusterSql = R"SQL(
INSERT INTO metric_samples (at, name, label, node, value)
SELECT ?::timestamptz, s.name, s.label, '', s.value FROM (
    SELECT 'db_connections' AS name, '' AS label,
           (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::float8 AS value
    UNION ALL SELECT 'db_max_connections', '', current_setting('max_connections')::float8
    UNION ALL SELECT 'db_connections_ratio', '',
           (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::float8
           / current_setting('max_connections')::float8
    UNION ALL SELECT 'db_size_bytes', '', pg_database_size(current_database())::float8
    UNION ALL SELECT 'db_cache_hit_ratio', '',
           (SELECT CASE WHEN blks_hit + blks_read = 0 THEN 1 ELSE blks_hit::float8 / (blks_hit + blks_read) END
              FROM pg_stat_database WHERE datname = current_database())
    UNION ALL SELECT 'db_dead_tuples', '', (SELECT coalesce(sum(n_dead_tup), 0)::float8 FROM pg_stat_user_tables)
    UNION ALL SELECT 'db_dead_tuple_ratio', '',
           (SELECT coalesce(sum(n_dead_tup)::float8 / nullif(sum(n_live_tup + n_dead_tup), 0), 0) FROM pg_stat_user_tables)
    UNION ALL SELECT x.name, q.queue, x.value FROM
           (SELECT queue,
                   count(*) FILTER (WHERE state IN ('available', 'retryable'))::float8 AS ready,
                   count(*) FILTER (WHERE state = 'running')::float8 AS running,
                   count(*) FILTER (WHERE state = 'discarded')::float8 AS dead
              FROM jobs WHERE state IN ('available', 'retryable', 'running', 'discarded') GROUP BY queue) q,
           LATERAL (VALUES ('job_queue_depth', q.ready), ('job_running', q.running), ('job_dead_letter', q.dead)) x(name, value)
    UNION ALL SELECT 'agents_active_24h', '',
           (SELECT count(*) FROM agents WHERE last_heartbeat_at > now() - interval '24 hours')::float8
    UNION ALL SELECT 'problems_today', '',
           (SELECT count(*) FROM problems WHERE created_at >= date_trunc('day', now(), 'UTC'))::float8
    UNION ALL SELECT 'guardrail_approval_rate', '',
           (SELECT count(*) FILTER (WHERE final_decision = 'approved')::float8
                   / nullif(count(*) FILTER (WHERE final_decision IN ('approved', 'rejected')), 0)
              FROM guardrail_evaluations WHERE completed_at > now() - interval '24 hours')
    UNION ALL SELECT 'missions_completed_week', '',
           (SELECT count(*) FROM missions WHERE completed_at > now() - interval '7 days')::float8
    UNION ALL SELECT 'tokens_distributed_week', '',
           (SELECT coalesce(sum(token_reward), 0) FROM missions
             WHERE status = 'verified' AND completed_at > now() - interval '7 days')::float8
    UNION ALL SELECT 'backup_age_hours', '',
           extract(epoch FROM now() - coalesce((SELECT max(finished_at) FROM backups WHERE status = 'completed'),
                                               (SELECT min(applied_at) FROM schema_migrations)))::float8 / 3600
    UNION ALL SELECT 'restore_drill_failed', '',
           (SELECT CASE WHEN drill_status = 'failed' THEN 1 ELSE 0 END FROM backups
             WHERE drilled_at IS NOT NULL ORDER BY drilled_at DESC LIMIT 1)::float8
) s
WHERE s.value IS NOT NULL
ON CONFLICT (name, at, label, node) DO UPDATE SET value = EXCLUDED.value
)SQL";

} // namespace

MetricSampler::MetricSampler(db::Database &database, MetricsRegistry &metrics, Options options)
    : m_database(database), m_metrics(metrics), m_options(std::move(options))
{
}

MetricSampler::~MetricSampler()
{
    stop();
}

void MetricSampler::start()
{
    std::lock_guard lock(m_mutex);
    if (m_thread.joinable())
        return;
    m_stopping = false;
    m_thread = std::thread([this] {
        setCurrentThreadName("bw-sampler");
        run();
    });
}

void MetricSampler::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable() && m_thread.get_id() != std::this_thread::get_id())
        m_thread.join();
}

bool MetricSampler::isRunning() const
{
    std::lock_guard lock(m_mutex);
    return m_thread.joinable() && !m_stopping;
}

void MetricSampler::run()
{
    if (Status s = sampleNode(m_database.connection()); !s) // baseline + node_up
        qCWarning(lcSampler).noquote() << "node metrics sample failed:" << s.error().message;
    std::unique_lock lock(m_mutex);
    for (;;) {
        // Aligned on the interval (minute boundaries in production), so nodes sample together.
        const qint64 interval = m_options.nodeInterval.count();
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const auto wait = std::chrono::milliseconds(interval - now % interval + (interval >= 60000 ? 1000 : 0));
        if (m_wake.wait_for(lock, wait, [this] { return m_stopping; }))
            break;
        lock.unlock();
        if (Status s = sampleNode(m_database.connection()); !s)
            qCWarning(lcSampler).noquote() << "node metrics sample failed:" << s.error().message;
        lock.lock();
    }
    lock.unlock();
    m_database.releaseThisThread();
}

Status MetricSampler::sampleNode(QSqlDatabase db, QDateTime minute)
{
    const NodeMetricsSnapshot now = NodeMetricsSnapshot::capture(m_metrics);
    std::optional<NodeMetricsSnapshot> before;
    {
        std::lock_guard lock(m_mutex);
        before = std::move(m_previous);
        m_previous = now;
    }
    Rows rows;
    rows.add(series::kNodeUp, 1);
    rows.add(series::kActiveConnections, now.activeConnections);
    if (now.pitrWindowSeconds)
        rows.add(series::kPitrWindowSeconds, *now.pitrWindowSeconds);
    if (!m_options.diskPath.isEmpty()) {
        const QStorageInfo disk(m_options.diskPath);
        if (disk.isValid() && disk.bytesTotal() > 0)
            rows.add(series::kDiskUsedRatio, 1.0 - double(disk.bytesAvailable()) / double(disk.bytesTotal()));
    }
    if (before) {
        const NodeRates r = NodeRates::between(*before, now);
        rows.add(series::kRequestRate, r.requestRate);
        rows.add(series::kErrorRate, r.errorRate);
        rows.add(series::kLatencyP50, r.p50);
        rows.add(series::kLatencyP95, r.p95);
        rows.add(series::kLatencyP99, r.p99);
        rows.add(series::kGuardrailP95, r.guardrailP95);
        rows.add(series::kJobDurationP95, r.jobDurationP95);
        for (const auto &[queue, rate] : r.jobsProcessedRate)
            rows.add(series::kJobProcessedRate, rate, queue);
        for (const auto &[queue, perMinute] : r.jobsFailedPerMinute)
            rows.add(series::kJobFailedRate, perMinute, queue);
    }
    return insertRows(db, utcMinute(minute), m_options.nodeId, rows);
}

Status MetricSampler::sampleCluster(QSqlDatabase db, QDateTime minute)
{
    const QString at = utcMinute(minute);
    if (auto q = db::exec(db, QString::fromLatin1(kClusterSql), {at}); !q)
        return q.error();
    // pg_stat_statements: optional (needs the extension and shared_preload_libraries). The mean
    // over the last minute comes from the difference of the cumulative totals.
    auto q = db::exec(
        db,
        QStringLiteral("SELECT coalesce(sum(total_exec_time), 0)::float8, coalesce(sum(calls), 0)::float8,"
                       " count(*) FILTER (WHERE mean_exec_time > 100)::float8"
                       " FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"));
    if (!q || !q->next())
        return success(); // not available here: the Database dashboard says so
    const double total = q->value(0).toDouble(), calls = q->value(1).toDouble(), slow = q->value(2).toDouble();
    std::optional<std::pair<double, double>> before;
    {
        std::lock_guard lock(m_mutex);
        before = m_statements;
        m_statements = std::make_pair(total, calls);
    }
    double meanMs = calls > 0 ? total / calls : 0;
    if (before && calls > before->second && total >= before->first)
        meanMs = (total - before->first) / (calls - before->second);
    Rows rows;
    rows.add(series::kDbQueryMeanMs, meanMs);
    rows.add(series::kDbSlowQueries, slow);
    return insertRows(db, at, QString(), rows);
}

Result<int> MetricSampler::prune(QSqlDatabase db) const
{
    auto q = db::exec(db, QStringLiteral("DELETE FROM metric_samples WHERE at < now() - make_interval(days => ?)"),
                      {m_options.keepDays});
    if (!q)
        return q.error();
    return q->numRowsAffected();
}

Status MetricSampler::rollUp(QSqlDatabase db)
{
    if (Status s = sampleCluster(db); !s)
        return s;
    auto pruned = prune(db);
    if (!pruned)
        return pruned.error();
    if (*pruned > 0)
        qCInfo(lcSampler) << "pruned" << *pruned << "metric samples older than" << m_options.keepDays << "days";
    return success();
}

namespace {
QString maxNamesArray()
{
    // Combining rule per name, decided in C++ (series::combinesByMax) and handed to SQL.
    QStringList names;
    for (const char *n : {series::kLatencyP50, series::kLatencyP95, series::kLatencyP99, series::kGuardrailP95,
                          series::kJobDurationP95, series::kDiskUsedRatio, series::kNodeUp, series::kDbConnectionsRatio,
                          series::kDbCacheHitRatio, series::kDbDeadTupleRatio, series::kDbQueryMeanMs, series::kApprovalRate,
                          series::kBackupAgeHours, series::kRestoreDrillFailed})
        names << QString::fromLatin1(n);
    return textArray(names);
}

QList<SeriesHistory> readSeries(QSqlQuery &q)
{
    QList<SeriesHistory> out;
    while (q.next()) {
        const QString name = q.value(0).toString(), label = q.value(1).toString();
        if (out.isEmpty() || out.back().name != name || out.back().label != label)
            out.append(SeriesHistory{name, label, {}});
        out.back().points.append(QPointF(q.value(2).toDouble() * 1000.0, q.value(3).toDouble()));
    }
    return out;
}
} // namespace

Result<QList<SeriesHistory>> MetricSampler::history(QSqlDatabase db, const QStringList &names, const QDateTime &from,
                                                    const QDateTime &to, int maxPoints)
{
    const qint64 span = std::max<qint64>(60, from.secsTo(to));
    const qint64 bucket = std::max<qint64>(60, (span / std::max(1, maxPoints) + 59) / 60 * 60);
    const QString combine = QStringLiteral("CASE WHEN s.name = ANY(?::text[]) THEN max(s.value) ELSE sum(s.value) END");
    Result<QSqlQuery> q = ApiError::internal(QString());
    if (span <= 86400) {
        // Up to a day: every minute counts (nodes combined per minute, then bucket averages).
        q = db::exec(db,
                     QStringLiteral("WITH per_minute AS ("
                                    "  SELECT s.name, s.label, s.at, %1 AS v FROM metric_samples s"
                                    "   WHERE s.name = ANY(?::text[]) AND s.at >= ?::timestamptz AND s.at <= ?::timestamptz"
                                    "   GROUP BY s.name, s.label, s.at)"
                                    " SELECT name, label, floor(extract(epoch FROM at) / ?) * ? AS t, avg(v)"
                                    "   FROM per_minute GROUP BY name, label, t ORDER BY name, label, t")
                         .arg(combine),
                     {maxNamesArray(), textArray(names), from.toUTC().toString(Qt::ISODateWithMs),
                      to.toUTC().toString(Qt::ISODateWithMs), double(bucket), double(bucket)});
    } else {
        // Longer windows: the minute at each bucket start, found by index probes on (name, at),
        // so a 30-day chart costs maxPoints lookups per series instead of a scan of 43 200 rows.
        q = db::exec(
            db,
            QStringLiteral(
                "SELECT s.name, s.label, extract(epoch FROM t.at) AS t, %1"
                "  FROM unnest(?::text[]) n(name)"
                "  CROSS JOIN generate_series(to_timestamp(ceil(?::float8 / ?) * ?), ?::timestamptz, make_interval(secs => ?)) t(at)"
                "  JOIN metric_samples s ON s.name = n.name AND s.at = t.at"
                " GROUP BY s.name, s.label, t.at ORDER BY s.name, s.label, t.at")
                .arg(combine),
            {maxNamesArray(), textArray(names), double(from.toSecsSinceEpoch()), double(bucket), double(bucket),
             to.toUTC().toString(Qt::ISODateWithMs), double(bucket)});
    }
    if (!q)
        return q.error();
    return readSeries(*q);
}

Result<QList<SeriesHistory>> MetricSampler::latest(QSqlDatabase db, const QStringList &names, int withinMinutes)
{
    auto q = db::exec(db,
                      QStringLiteral("WITH per_minute AS ("
                                     "  SELECT name, label, at,"
                                     "         CASE WHEN name = ANY(?::text[]) THEN max(value) ELSE sum(value) END AS v"
                                     "    FROM metric_samples"
                                     "   WHERE name = ANY(?::text[]) AND at >= now() - make_interval(mins => ?)"
                                     "   GROUP BY name, label, at)"
                                     " SELECT DISTINCT ON (name, label) name, label, extract(epoch FROM at), v"
                                     "   FROM per_minute ORDER BY name, label, at DESC"),
                      {maxNamesArray(), textArray(names), withinMinutes});
    if (!q)
        return q.error();
    return readSeries(*q);
}

Result<QList<SlowQuery>> MetricSampler::slowQueries(QSqlDatabase db, double minMeanMs, int limit)
{
    auto q = db::exec(
        db,
        QStringLiteral("SELECT query, calls, mean_exec_time, total_exec_time FROM pg_stat_statements"
                       " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND mean_exec_time > ?"
                       " ORDER BY total_exec_time DESC LIMIT ?"),
        {minMeanMs, limit});
    if (!q)
        return ApiError::unavailable(QStringLiteral("pg_stat_statements is not available: %1").arg(q.error().message));
    QList<SlowQuery> out;
    while (q->next())
        out.append(SlowQuery{q->value(0).toString(), q->value(1).toLongLong(), q->value(2).toDouble(), q->value(3).toDouble()});
    return out;
}

} // namespace bw::monitoring
