#pragma once
// Every SQL statement of the job queue, one round trip each, on the caller's connection (the
// calling thread's, from Database::connection()). Stateless; any thread. Transitions are fenced by
// (id, attempts, locked_by, state = 'running'), so a worker whose lease was rescued cannot
// overwrite what the next attempt did.

#include "server/core/result.h"
#include "server/jobs/job.h"

#include <QJsonArray>
#include <QList>
#include <QSqlDatabase>
#include <QStringList>

#include <optional>

namespace bw::jobs {

inline constexpr auto kNotifyChannel = "bw_jobs"; // payload = queue name (see migration 0004)

struct LeaseEntry {
    QString id;
    int attempts = 0;
    int leaseSeconds = 60;
};

struct StateCount {
    QString queue;
    QString state;
    qint64 count = 0;
};

struct ScheduleRow {
    QString name;
    std::optional<qint64> lastRunAtMicros; // exact stored value, for fireSchedule()'s compare-and-set
    QDateTime lastRunAt;                   // null = never
};

class JobStore final {
public:
    // Takes the best ready job of `queue` (priority DESC, run_at) with FOR UPDATE SKIP LOCKED and
    // leases it to `node`: state running, attempts + 1. nullopt when nothing is ready.
    static Result<std::optional<Job>> claim(QSqlDatabase db, const QString &queue, const QString &node, int leaseSeconds);
    // The outcome of an attempt. false = the lease was lost meanwhile (nothing changed).
    static Result<bool> complete(QSqlDatabase db, const Job &job, const QString &node);
    static Result<bool> retryLater(QSqlDatabase db, const Job &job, const QString &node, const QString &error, qint64 delayMs);
    static Result<bool> discard(QSqlDatabase db, const Job &job, const QString &node, const QString &error);
    // Puts running jobs of this node back to available without counting the attempt (shutdown).
    static Result<int> release(QSqlDatabase db, const QList<LeaseEntry> &jobs, const QString &node, const QString &reason);
    // Renews the leases of this node's running jobs; returns how many were still held.
    static Result<int> extendLeases(QSqlDatabase db, const QList<LeaseEntry> &jobs, const QString &node);
    // Leader: running jobs whose lease expired → available (or discarded when out of attempts).
    // Returns counts per (queue, new state).
    static Result<QList<StateCount>> rescueExpired(QSqlDatabase db, int limit);
    // Deletes up to `batch` finished jobs past retention; returns how many.
    static Result<int> pruneBatch(QSqlDatabase db, int completedHours, int discardedHours, int batch);
    // Counts of the unfinished and dead-letter states per queue (cheap: index-only).
    static Result<QList<StateCount>> liveCounts(QSqlDatabase db);

    // The cron leader holds a session advisory lock on its connection. Idempotent: true while held.
    static Result<bool> holdLeadership(QSqlDatabase db);
    static Status releaseLeadership(QSqlDatabase db);

    // Creates or updates a schedule row; a new row starts counting from now (no immediate run).
    static Status upsertSchedule(QSqlDatabase db, const QString &name, const QString &cron, const QString &queue,
                                 const QString &kind, const QJsonObject &payload);
    static Result<QList<ScheduleRow>> schedules(QSqlDatabase db, const QStringList &names);
    // Atomically: if last_run_at is still `previous`, set it to `due` and enqueue the job with
    // unique key cron:<name> (a run still queued or running is not doubled). false when another
    // node fired it first.
    static Result<bool> fireSchedule(QSqlDatabase db, const ScheduleRow &previous, const QDateTime &due, const QString &queue,
                                     const QString &kind, const QJsonObject &payload);

    // Admin/panels.
    static Result<QJsonArray> list(QSqlDatabase db, const QString &queue, const QString &state, int limit);
    static Result<QJsonObject> counts(QSqlDatabase db);
    static Status redrive(QSqlDatabase db, const QString &jobId);
    static Status cancel(QSqlDatabase db, const QString &jobId);
};

} // namespace bw::jobs
