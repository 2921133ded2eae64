#pragma once
// The job queue of one node: worker threads per queue (own DB connections), a LISTEN thread that
// wakes them, and a housekeeping thread (lease renewal, metrics, cron leadership, lease rescue).
// The object lives in the main thread; configure it (handlers, settings, schedules) from any one
// thread before start(). stop() blocks: call it off the GUI thread.

#include "server/core/metrics.h"
#include "server/core/result.h"
#include "server/jobs/job.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace bw::db {
class Database;
}

namespace bw::jobs {

namespace detail {
struct Core;
class ManagedThread;
class NotificationListener;
} // namespace detail

class JobSystem final : public QObject {
    Q_OBJECT
public:
    // Built-in maintenance: finished-job pruning (hourly schedule → job on this queue).
    static constexpr auto kMaintenanceQueue = "maintenance";
    static constexpr auto kPruneKind = "prune-jobs";
    static constexpr auto kPruneSchedule = "jobs-prune";

    struct Retention {
        int completedHours = 24;      // completed and cancelled jobs
        int discardedHours = 30 * 24; // the dead letter
    };

    JobSystem(db::Database &database, MetricsRegistry &metrics, QString nodeId, QObject *parent = nullptr);
    ~JobSystem() override; // stops (2 s drain) if still running

    // Before start(). A queue gets workers on this node when it has at least one handler.
    void registerHandler(const QString &queue, const QString &kind, JobHandler handler);
    void setQueueSettings(const QString &queue, QueueSettings settings); // guardrail-evaluation: concurrency 10
    void setDefaultQueueSettings(QueueSettings settings);                // queues without their own settings
    // 5-field cron in UTC (see CronExpression). The leader enqueues (queue, kind, payload) when due;
    // a run still queued or running is not doubled. Invalid cron → logged and ignored.
    void addSchedule(const QString &name, const QString &cron, const QString &queue, const QString &kind,
                     const QJsonObject &payload = {});
    void setRetention(Retention retention);
    // Worker idle poll interval (the fallback when a NOTIFY is missed); ≤ 1000 ms.
    void setPollInterval(int ms);

    // Starts the threads; they connect on their own (no SQL here, so the main thread may call it).
    Status start();
    // Maintenance mode: stop claiming, firing schedules and rescuing; running jobs continue.
    // May be called before start() (starts paused). Any thread.
    void pause(bool paused);
    // Stops claiming, waits for running jobs up to timeoutMs, releases the leases of what still
    // runs, stops the listener and the housekeeper. Blocking: call off the GUI thread.
    void stop(int timeoutMs);

    bool isRunning() const;
    bool isPaused() const;
    bool isLeader() const;    // this node currently holds cron leadership
    bool isListening() const; // LISTEN connection up
    QString nodeId() const { return m_nodeId; }
    // Handler threads still running after stop() gave up on them. While > 0 the Database (and the
    // handlers' own dependencies) must stay alive: the process should simply exit.
    int stragglers() const;
    // hostname:pid:random — unique per process.
    static QString defaultNodeId();

    // For admin API / panels (any thread, uses the caller's connection):
    static Result<QJsonArray> list(QSqlDatabase db, const QString &queue, const QString &state, int limit);
    static Result<QJsonObject> counts(QSqlDatabase db);           // {queue: {state: n}}
    static Status redrive(QSqlDatabase db, const QString &jobId); // discarded → available, attempts reset
    static Status cancel(QSqlDatabase db, const QString &jobId);  // available/retryable → cancelled

private:
    void registerBuiltIns();

    db::Database &m_database;
    MetricsRegistry &m_metrics;
    const QString m_nodeId;

    mutable std::mutex m_configMutex;
    QHash<QString, QHash<QString, JobHandler>> m_handlers; // queue → kind → handler
    QHash<QString, QueueSettings> m_settings;
    QueueSettings m_defaultSettings;
    struct ScheduleSpec {
        QString name, cron, queue, kind;
        QJsonObject payload;
    };
    std::vector<ScheduleSpec> m_schedules;
    Retention m_retention;
    int m_pollIntervalMs = 1000;

    std::shared_ptr<detail::Core> m_core;
    std::unique_ptr<detail::NotificationListener> m_listener;
    std::unique_ptr<detail::ManagedThread> m_housekeeper;
    std::vector<std::unique_ptr<detail::ManagedThread>> m_workers;
    std::atomic_bool m_running{false};
    std::atomic_bool m_paused{false};
    std::atomic_bool m_stopped{false};
    std::atomic_int m_stragglers{0};
};

} // namespace bw::jobs
