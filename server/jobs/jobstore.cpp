#include "server/jobs/jobstore.h"

#include "server/core/ids.h"
#include "server/db/sql.h"
#include "server/db/sqltext.h"

#include <QJsonDocument>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>

namespace bw::jobs {

using db::format;

namespace {

// The queue's statements are built as text (db::format + db::literal) so each is one round trip.
// A null QString stays NULL here (db::literal writes E'' for it: a Qt 6 QVariant of a null QString
// is not null).
QString lit(const QString &text)
{
    return text.isNull() ? QStringLiteral("NULL") : db::literal(text);
}

QString num(qint64 n)
{
    return QString::number(n);
}

// Session advisory lock (int4, int4) of the cron leader; advisory locks are per database.
constexpr int kLeaderLockClass = 1651133547; // "bw" jobs
constexpr int kLeaderLockObject = 1;

const QString kLiveStates = QStringLiteral("('available', 'running', 'retryable')");

// Appended to the WHERE of the queue's own bookkeeping (claim, outcome, lease renewal, rescue):
// that implicit transaction commits without waiting for the WAL flush. Losing such a commit in a
// server crash only repeats a job (delivery is at least once anyway); handlers' own writes and
// enqueue() keep synchronous commits. Measured: a no-op job needed two fsyncs (~10 ms here) before.
const QString kAsyncCommit = QStringLiteral(" AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL");

QString channel()
{
    return lit(QString::fromLatin1(kNotifyChannel));
}

QString jsonText(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QDateTime fromMs(const QVariant &v)
{
    return v.isNull() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(v.toLongLong(), Qt::UTC);
}

bool isState(const QString &s)
{
    static const QStringList all = {state::kAvailable, state::kRunning,   state::kRetryable,
                                    state::kCompleted, state::kDiscarded, state::kCancelled};
    return all.contains(s);
}

// The fence every transition of a running job carries.
QString fence(const Job &job, const QString &node)
{
    return format(QStringLiteral("id = %1::uuid AND attempts = %2 AND state = 'running' AND locked_by = %3"),
                  {lit(job.id), num(job.attempts), lit(node)})
           + kAsyncCommit;
}

Result<bool> affectedOne(Result<QSqlQuery> r)
{
    if (!r)
        return r.error();
    return r->numRowsAffected() > 0;
}

// "{(id,attempts,lease),…}" as three parallel array literals for unnest().
QString leaseValues(const QList<LeaseEntry> &jobs)
{
    QStringList ids, attempts, leases;
    for (const LeaseEntry &e : jobs) {
        ids << e.id;
        attempts << QString::number(e.attempts);
        leases << QString::number(e.leaseSeconds);
    }
    return format(QStringLiteral("unnest(%1::uuid[], %2::int[], %3::int[]) AS v(id, attempts, lease)"),
                  {db::textArray(ids), db::textArray(attempts), db::textArray(leases)});
}

Result<QList<StateCount>> stateCounts(Result<QSqlQuery> r)
{
    if (!r)
        return r.error();
    QList<StateCount> out;
    while (r->next())
        out.append(StateCount{r->value(0).toString(), r->value(1).toString(), r->value(2).toLongLong()});
    return out;
}

} // namespace

Result<QString> enqueue(QSqlDatabase db, const QString &queue, const QString &kind, const QJsonObject &payload,
                        const EnqueueOptions &options)
{
    if (queue.trimmed().isEmpty() || kind.trimmed().isEmpty())
        return ApiError::badRequest(QStringLiteral("a job needs a queue and a kind"));
    if (options.maxAttempts < 1)
        return ApiError::badRequest(QStringLiteral("maxAttempts must be at least 1"));
    const QString insert =
        format(QStringLiteral("INSERT INTO jobs (queue, kind, payload, priority, run_at, max_attempts, unique_key)"
                              " VALUES (%1, %2, %3::jsonb, %4, %5, %6, %7)"),
               {lit(queue), lit(kind), lit(jsonText(payload)), num(options.priority), db::timestampOrNow(options.runAt),
                num(options.maxAttempts), options.uniqueKey.isEmpty() ? QStringLiteral("NULL") : lit(options.uniqueKey)});
    if (options.uniqueKey.isEmpty()) {
        auto r = db::exec(db, insert + QLatin1StringView(" RETURNING id"));
        if (!r)
            return r.error();
        if (!r->next())
            return ApiError::internal(QStringLiteral("job insert returned no id"));
        return r->value(0).toString();
    }
    // ON CONFLICT on the partial unique index, then read the live holder of the key. If it
    // finished between the two statements, the key is free again: insert once more.
    const QString upsert = format(
        QStringLiteral(
            "WITH ins AS (%1 ON CONFLICT (queue, unique_key) WHERE unique_key IS NOT NULL AND state IN %2 DO NOTHING RETURNING id)"
            " SELECT id FROM ins UNION ALL"
            " SELECT id FROM jobs WHERE queue = %3 AND unique_key = %4 AND state IN %2 AND NOT EXISTS (SELECT 1 FROM ins)"
            " LIMIT 1"),
        {insert, kLiveStates, lit(queue), lit(options.uniqueKey)});
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto r = db::exec(db, upsert);
        if (!r)
            return r.error();
        if (r->next())
            return r->value(0).toString();
    }
    return ApiError::conflict(QStringLiteral("unique key %1 kept changing hands; try again").arg(options.uniqueKey));
}

Result<std::optional<Job>> JobStore::claim(QSqlDatabase db, const QString &queue, const QString &node, int leaseSeconds)
{
    const QString sql = format(
        QStringLiteral(
            "UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, locked_by = %2,"
            " locked_until = now() + make_interval(secs => %3), started_at = now(), heartbeat_at = now()"
            " WHERE j.id = (SELECT id FROM jobs WHERE queue = %1 AND state IN ('available', 'retryable') AND run_at <= now()"
            "  ORDER BY priority DESC, run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)%4"
            " RETURNING j.id, j.kind, j.payload::text, j.attempts, j.max_attempts, j.unique_key,"
            "  (extract(epoch FROM j.run_at) * 1000)::int8, j.priority"),
        {lit(queue), lit(node), num(leaseSeconds), kAsyncCommit});
    auto r = db::exec(db, sql);
    if (!r)
        return r.error();
    if (!r->next())
        return std::optional<Job>();
    Job job;
    job.id = r->value(0).toString();
    job.queue = queue;
    job.kind = r->value(1).toString();
    job.payload = db::jsonObjectOrEmpty(r->value(2).toString());
    job.attempts = r->value(3).toInt();
    job.maxAttempts = r->value(4).toInt();
    job.uniqueKey = r->value(5).toString();
    job.runAt = fromMs(r->value(6));
    job.priority = r->value(7).toInt();
    return std::optional<Job>(std::move(job));
}

Result<bool> JobStore::complete(QSqlDatabase db, const Job &job, const QString &node)
{
    return affectedOne(db::exec(
        db,
        format(QStringLiteral(
                   "UPDATE jobs SET state = 'completed', finished_at = now(), locked_by = NULL, locked_until = NULL WHERE %1"),
               {fence(job, node)})));
}

Result<bool> JobStore::retryLater(QSqlDatabase db, const Job &job, const QString &node, const QString &error, qint64 delayMs)
{
    return affectedOne(db::exec(
        db,
        format(QStringLiteral(
                   "UPDATE jobs SET state = 'retryable', run_at = now() + make_interval(secs => %2 / 1000.0), last_error = %3,"
                   " locked_by = NULL, locked_until = NULL WHERE %1"),
               {fence(job, node), num(delayMs), lit(error)})));
}

Result<bool> JobStore::discard(QSqlDatabase db, const Job &job, const QString &node, const QString &error)
{
    return affectedOne(db::exec(
        db,
        format(
            QStringLiteral(
                "UPDATE jobs SET state = 'discarded', finished_at = now(), last_error = %2, locked_by = NULL, locked_until = NULL"
                " WHERE %1"),
            {fence(job, node), lit(error)})));
}

Result<int> JobStore::release(QSqlDatabase db, const QList<LeaseEntry> &jobs, const QString &node, const QString &reason)
{
    if (jobs.isEmpty())
        return 0;
    auto r = db::exec(
        db,
        format(
            QStringLiteral(
                "WITH r AS (UPDATE jobs j SET state = 'available', attempts = greatest(j.attempts - 1, 0), run_at = now(),"
                "  last_error = %2, locked_by = NULL, locked_until = NULL FROM %3"
                "  WHERE j.id = v.id AND j.attempts = v.attempts AND j.state = 'running' AND j.locked_by = %1%5 RETURNING j.queue)"
                " SELECT count(*), pg_notify(%4, queue)::text FROM r GROUP BY queue"),
            {lit(node), lit(reason), leaseValues(jobs), channel(), kAsyncCommit}));
    if (!r)
        return r.error();
    int n = 0;
    while (r->next())
        n += r->value(0).toInt();
    return n;
}

Result<int> JobStore::extendLeases(QSqlDatabase db, const QList<LeaseEntry> &jobs, const QString &node)
{
    if (jobs.isEmpty())
        return 0;
    auto r = db::exec(
        db, format(QStringLiteral(
                       "UPDATE jobs j SET locked_until = now() + make_interval(secs => v.lease), heartbeat_at = now() FROM %2"
                       " WHERE j.id = v.id AND j.attempts = v.attempts AND j.state = 'running' AND j.locked_by = %1%3"),
                   {lit(node), leaseValues(jobs), kAsyncCommit}));
    if (!r)
        return r.error();
    return r->numRowsAffected();
}

Result<QList<StateCount>> JobStore::rescueExpired(QSqlDatabase db, int limit)
{
    return stateCounts(db::exec(
        db, format(QStringLiteral(
                       "WITH expired AS (SELECT id FROM jobs WHERE state = 'running' AND locked_until < now()%3"
                       "  ORDER BY locked_until LIMIT %1 FOR UPDATE SKIP LOCKED),"
                       " moved AS (UPDATE jobs j SET"
                       "  state = CASE WHEN j.attempts >= j.max_attempts THEN 'discarded' ELSE 'available' END,"
                       "  finished_at = CASE WHEN j.attempts >= j.max_attempts THEN now() END,"
                       "  run_at = now(), last_error = format('lease of %s expired: the node stopped renewing it', j.locked_by),"
                       "  locked_by = NULL, locked_until = NULL"
                       "  FROM expired e WHERE j.id = e.id RETURNING j.queue, j.state)"
                       " SELECT queue, state, count(*), CASE WHEN state = 'available' THEN pg_notify(%2, queue)::text END"
                       " FROM moved GROUP BY queue, state"),
                   {num(limit), channel(), kAsyncCommit})));
}

Result<int> JobStore::pruneBatch(QSqlDatabase db, int completedHours, int discardedHours, int batch)
{
    auto r = db::exec(
        db,
        format(QStringLiteral("DELETE FROM jobs WHERE id IN (SELECT id FROM jobs"
                              " WHERE finished_at < now() - make_interval(hours => least(%1, %2))"
                              "  AND ((state IN ('completed', 'cancelled') AND finished_at < now() - make_interval(hours => %1))"
                              "   OR (state = 'discarded' AND finished_at < now() - make_interval(hours => %2)))"
                              " LIMIT %3 FOR UPDATE SKIP LOCKED)"),
               {num(completedHours), num(discardedHours), num(batch)}));
    if (!r)
        return r.error();
    return r->numRowsAffected();
}

Result<QList<StateCount>> JobStore::liveCounts(QSqlDatabase db)
{
    return stateCounts(db::exec(
        db,
        QStringLiteral("SELECT queue, state, count(*) FROM jobs WHERE state IN ('available', 'retryable', 'running', 'discarded')"
                       " GROUP BY queue, state")));
}

Result<bool> JobStore::holdLeadership(QSqlDatabase db)
{
    // Re-checked every tick: after a silent reconnect the new session no longer holds the lock.
    auto r = db::exec(
        db, format(QStringLiteral(
                       "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                       "  AND classid = %1 AND objid = %2 AND objsubid = 2 AND granted)"
                       " THEN true ELSE pg_try_advisory_lock(%1, %2) END"),
                   {num(kLeaderLockClass), num(kLeaderLockObject)}));
    if (!r)
        return r.error();
    return r->next() && r->value(0).toBool();
}

Status JobStore::releaseLeadership(QSqlDatabase db)
{
    auto r = db::exec(
        db, format(QStringLiteral(
                       "SELECT pg_advisory_unlock(%1, %2) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                       " AND classid = %1 AND objid = %2 AND objsubid = 2 AND granted"),
                   {num(kLeaderLockClass), num(kLeaderLockObject)}));
    if (!r)
        return r.error();
    return success();
}

Status JobStore::upsertSchedule(QSqlDatabase db, const QString &name, const QString &cron, const QString &queue,
                                const QString &kind, const QJsonObject &payload)
{
    auto r = db::exec(
        db,
        format(
            QStringLiteral(
                "INSERT INTO job_schedules (name, cron, queue, kind, payload, last_run_at) VALUES (%1, %2, %3, %4, %5::jsonb, now())"
                " ON CONFLICT (name) DO UPDATE SET cron = EXCLUDED.cron, queue = EXCLUDED.queue, kind = EXCLUDED.kind,"
                "  payload = EXCLUDED.payload, updated_at = now()"
                " WHERE (job_schedules.cron, job_schedules.queue, job_schedules.kind, job_schedules.payload)"
                "  IS DISTINCT FROM (EXCLUDED.cron, EXCLUDED.queue, EXCLUDED.kind, EXCLUDED.payload)"),
            {lit(name), lit(cron), lit(queue), lit(kind), lit(jsonText(payload))}));
    if (!r)
        return r.error();
    return success();
}

Result<QList<ScheduleRow>> JobStore::schedules(QSqlDatabase db, const QStringList &names)
{
    auto r = db::exec(
        db,
        format(
            QStringLiteral(
                "SELECT name, (extract(epoch FROM last_run_at) * 1000000)::int8 FROM job_schedules WHERE name = ANY(%1::text[])"),
            {db::textArray(names)}));
    if (!r)
        return r.error();
    QList<ScheduleRow> out;
    while (r->next()) {
        ScheduleRow row;
        row.name = r->value(0).toString();
        if (!r->value(1).isNull()) {
            row.lastRunAtMicros = r->value(1).toLongLong();
            row.lastRunAt = QDateTime::fromMSecsSinceEpoch(*row.lastRunAtMicros / 1000, Qt::UTC);
        }
        out.append(row);
    }
    return out;
}

Result<bool> JobStore::fireSchedule(QSqlDatabase db, const ScheduleRow &previous, const QDateTime &due, const QString &queue,
                                    const QString &kind, const QJsonObject &payload)
{
    const QString prev = previous.lastRunAtMicros ? QString::number(*previous.lastRunAtMicros) : QStringLiteral("NULL");
    auto r = db::exec(
        db,
        format(
            QStringLiteral(
                "WITH s AS (UPDATE job_schedules SET last_run_at = %2, updated_at = now()"
                "  WHERE name = %1 AND (extract(epoch FROM last_run_at) * 1000000)::int8 IS NOT DISTINCT FROM %3 RETURNING name),"
                " j AS (INSERT INTO jobs (queue, kind, payload, unique_key)"
                "  SELECT %4, %5, %6::jsonb, 'cron:' || name FROM s ON CONFLICT DO NOTHING RETURNING id)"
                " SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM j)"),
            {lit(previous.name), db::timestampOrNow(due), prev, lit(queue), lit(kind), lit(jsonText(payload))}));
    if (!r)
        return r.error();
    return r->next() && r->value(0).toInt() > 0;
}

Result<QJsonArray> JobStore::list(QSqlDatabase db, const QString &queue, const QString &stateFilter, int limit)
{
    if (!stateFilter.isEmpty() && !isState(stateFilter))
        return ApiError::badRequest(QStringLiteral("unknown job state '%1'").arg(stateFilter));
    QStringList where;
    if (!queue.isEmpty())
        where << QStringLiteral("queue = ") + lit(queue);
    if (!stateFilter.isEmpty())
        where << QStringLiteral("state = ") + lit(stateFilter);
    using db::isoUtc;
    auto r = db::exec(
        db,
        format(
            QStringLiteral(
                "SELECT coalesce(json_agg(t), '[]')::text FROM (SELECT id, queue, kind, payload, state, priority, attempts,"
                " max_attempts AS \"maxAttempts\", unique_key AS \"uniqueKey\", locked_by AS \"lockedBy\", last_error AS \"lastError\","
                " %1 AS \"runAt\", %2 AS \"lockedUntil\", %3 AS \"heartbeatAt\", %4 AS \"startedAt\", %5 AS \"createdAt\","
                " %6 AS \"finishedAt\" FROM jobs %7 ORDER BY created_at DESC, id LIMIT %8) t"),
            {isoUtc(QStringLiteral("run_at")), isoUtc(QStringLiteral("locked_until")), isoUtc(QStringLiteral("heartbeat_at")),
             isoUtc(QStringLiteral("started_at")), isoUtc(QStringLiteral("created_at")), isoUtc(QStringLiteral("finished_at")),
             where.isEmpty() ? QString() : QStringLiteral("WHERE ") + where.join(QLatin1StringView(" AND ")),
             num(std::clamp(limit, 1, 1000))}));
    if (!r)
        return r.error();
    if (!r->next())
        return QJsonArray();
    return QJsonDocument::fromJson(r->value(0).toString().toUtf8()).array();
}

Result<QJsonObject> JobStore::counts(QSqlDatabase db)
{
    auto r = db::exec(
        db,
        QStringLiteral(
            "SELECT coalesce(json_object_agg(queue, states), '{}')::text FROM ("
            " SELECT queue, json_object_agg(state, n) AS states FROM (SELECT queue, state, count(*) AS n FROM jobs GROUP BY 1, 2) c"
            " GROUP BY queue) q"));
    if (!r)
        return r.error();
    if (!r->next())
        return QJsonObject();
    return db::jsonObjectOrEmpty(r->value(0).toString());
}

Status JobStore::redrive(QSqlDatabase db, const QString &jobId)
{
    if (!ids::isUuid(jobId))
        return ApiError::notFound(QStringLiteral("job not found"));
    auto r = db::exec(
        db, format(QStringLiteral(
                       "WITH r AS (UPDATE jobs SET state = 'available', attempts = 0, run_at = now(), finished_at = NULL,"
                       "  locked_by = NULL, locked_until = NULL WHERE id = %1::uuid AND state = 'discarded' RETURNING queue)"
                       " SELECT queue, pg_notify(%2, queue)::text FROM r"),
                   {lit(jobId), channel()}));
    if (!r) {
        if (db::sqlState(r.error()) == QLatin1StringView(db::kUniqueViolation))
            return ApiError::conflict(QStringLiteral("another live job holds this job's unique key"));
        return r.error();
    }
    if (r->next())
        return success();
    auto s = db::exec(db, QStringLiteral("SELECT state FROM jobs WHERE id = ") + lit(jobId) + QLatin1StringView("::uuid"));
    if (!s)
        return s.error();
    if (!s->next())
        return ApiError::notFound(QStringLiteral("job not found"));
    return ApiError::conflict(QStringLiteral("only discarded jobs can be redriven; this one is %1").arg(s->value(0).toString()));
}

Status JobStore::cancel(QSqlDatabase db, const QString &jobId)
{
    if (!ids::isUuid(jobId))
        return ApiError::notFound(QStringLiteral("job not found"));
    auto r = db::exec(
        db,
        format(
            QStringLiteral(
                "UPDATE jobs SET state = 'cancelled', finished_at = now() WHERE id = %1::uuid AND state IN ('available', 'retryable')"),
            {lit(jobId)}));
    if (!r)
        return r.error();
    if (r->numRowsAffected() > 0)
        return success();
    auto s = db::exec(db, QStringLiteral("SELECT state FROM jobs WHERE id = ") + lit(jobId) + QLatin1StringView("::uuid"));
    if (!s)
        return s.error();
    if (!s->next())
        return ApiError::notFound(QStringLiteral("job not found"));
    return ApiError::conflict(QStringLiteral("only waiting jobs can be cancelled; this one is %1").arg(s->value(0).toString()));
}

} // namespace bw::jobs
