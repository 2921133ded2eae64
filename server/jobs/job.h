#pragma once
// The job queue's public vocabulary: what a job is, how to enqueue one (on the caller's own
// connection, so it joins the caller's transaction), and what a handler sees while it runs.
// Plain values except JobContext, which lives on the worker thread running the handler.

#include "server/core/result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QString>

#include <atomic>
#include <functional>

namespace bw::jobs {

// The job states (jobs.state).
namespace state {
inline constexpr auto kAvailable = "available";
inline constexpr auto kRunning = "running";
inline constexpr auto kRetryable = "retryable";
inline constexpr auto kCompleted = "completed";
inline constexpr auto kDiscarded = "discarded"; // the dead letter: redrivable
inline constexpr auto kCancelled = "cancelled";
} // namespace state

struct Job {
    QString id;
    QString queue;
    QString kind;
    QJsonObject payload;
    int attempts = 0;    // including the current one (1 on the first run)
    int maxAttempts = 3; // attempts >= maxAttempts: this is the last try
    QString uniqueKey;
    QDateTime runAt;
    int priority = 0;

    bool lastAttempt() const { return attempts >= maxAttempts; }
};

struct EnqueueOptions {
    int priority = 0; // higher runs first
    QDateTime runAt;  // null = now
    int maxAttempts = 3;
    QString uniqueKey; // at most one live (available/running/retryable) job per (queue, key)
};

// Inserts a job on the caller's connection (so it joins the caller's open transaction) in one
// round trip; workers are woken by NOTIFY when it commits. A unique-key clash with a live job
// returns the existing job's id. Any thread (the connection must be that thread's).
Result<QString> enqueue(QSqlDatabase db, const QString &queue, const QString &kind, const QJsonObject &payload,
                        const EnqueueOptions &options = {});

// What a handler sees. Lives on the worker thread for the duration of one handler call.
// Leases are renewed by the node's housekeeping thread while the handler runs (a lease only
// expires when the node dies or loses the database), so heartbeat() is optional: it asks for an
// immediate renewal (and heartbeat_at update) without blocking the handler.
class JobContext final {
public:
    JobContext() = default; // standalone (handler unit tests): never cancelled
    JobContext(const std::atomic_bool *cancelFlag, std::function<void()> onHeartbeat)
        : m_cancel(cancelFlag), m_onHeartbeat(std::move(onHeartbeat))
    {
    }

    // True once shutdown was requested: finish quickly or return an error (the job is then put
    // back for another node without counting the attempt).
    bool cancelled() const { return m_cancel && m_cancel->load(std::memory_order_relaxed); }
    void heartbeat()
    {
        if (m_onHeartbeat)
            m_onHeartbeat();
    }

private:
    const std::atomic_bool *m_cancel = nullptr;
    std::function<void()> m_onHeartbeat;
};

// Error → retry with capped exponential backoff + jitter until maxAttempts, then 'discarded'
// (dead letter) with last_error. Return an ApiError with details {"retry": false} to discard at once.
// Runs on a worker thread that has its own DB connection (database.connection()). Handlers must be
// idempotent: delivery is at least once (a node that dies after the work but before recording
// completion leaves the job to be run again once its lease expires).
using JobHandler = std::function<Status(const Job &job, JobContext &context)>;

struct QueueSettings {
    int concurrency = 1;      // worker threads for this queue on each node
    int leaseSeconds = 60;    // a dead node's jobs are rescued this long after its last renewal
    int backoffBaseMs = 1000; // retry n waits ~base·2^(n-1), jittered to [½, 1]×, capped
    int backoffCapMs = 10 * 60 * 1000;
};

} // namespace bw::jobs
