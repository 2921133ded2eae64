#pragma once
// Private to bw_jobs: the state JobSystem shares with its threads (workers, listener,
// housekeeper). Held by shared_ptr so a handler that ignores shutdown past the drain limit can
// never touch freed memory; everything here is atomic or mutex-guarded.

#include "server/core/metrics.h"
#include "server/jobs/cronexpression.h"
#include "server/jobs/job.h"
#include "server/jobs/jobstore.h"

#include <QDeadlineTimer>
#include <QHash>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace bw::db {
class Database;
}

namespace bw::jobs::detail {

// The jobs this node is running, so the housekeeper can renew (and at shutdown release) their leases.
class LeaseRegistry final {
public:
    void add(const LeaseEntry &e)
    {
        std::lock_guard lock(m_mutex);
        m_entries[e.id] = e;
    }
    void remove(const QString &id)
    {
        std::lock_guard lock(m_mutex);
        m_entries.erase(id);
    }
    QList<LeaseEntry> snapshot() const
    {
        std::lock_guard lock(m_mutex);
        QList<LeaseEntry> out;
        for (const auto &[id, e] : m_entries)
            out.append(e);
        return out;
    }

private:
    mutable std::mutex m_mutex;
    std::map<QString, LeaseEntry> m_entries;
};

// One queue on this node: its handlers, settings, metrics and the wake-up channel of its workers.
// Only one idle worker polls (every pollIntervalMs); the others sleep until woken, and each
// successful claim wakes one more, so a burst fans out without every idle thread polling.
class QueueState final {
public:
    QueueState(QString name, QueueSettings settings, QHash<QString, JobHandler> handlers, MetricsRegistry &metrics);

    const QString name;
    const QueueSettings settings;
    const QHash<QString, JobHandler> handlers;
    Counter &completed;
    Counter &failed;
    Counter &discarded;
    Histogram &duration;
    std::atomic_int busy{0}; // handlers running now

    quint64 wakeSeq() const;
    void wakeOne();
    void wakeAll();
    // Returns when woken after `seen`, on stop, or after the poll interval (the one poller) /
    // a long idle interval (the rest).
    void waitForWork(quint64 seen, const std::atomic_bool &stopping, int pollIntervalMs);
    // Up to ms, woken early like waitForWork(); never takes the poller role.
    void waitBriefly(quint64 seen, const std::atomic_bool &stopping, int ms);

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    quint64 m_wakeSeq = 0;
    bool m_pollerTaken = false;
};

struct Schedule {
    QString name;
    CronExpression cron;
    QString queue;
    QString kind;
    QJsonObject payload;
};

struct Retention {
    int completedHours = 24;      // completed and cancelled jobs
    int discardedHours = 30 * 24; // the dead letter, kept for inspection and redrive
};

struct Core {
    db::Database *database = nullptr;
    MetricsRegistry *metrics = nullptr;
    QString nodeId;
    int pollIntervalMs = 1000;
    Retention retention;

    std::atomic_bool stopping{false}; // workers stop claiming; handlers see cancelled()
    std::atomic_bool paused{false};   // maintenance: no claiming, no cron, no rescue
    std::atomic_bool leader{false};
    LeaseRegistry leases;

    std::vector<std::shared_ptr<QueueState>> queues; // fixed at start
    std::vector<Schedule> schedules;                 // fixed at start

    // Housekeeper wake-up (renew now / stop).
    std::mutex hkMutex;
    std::condition_variable hkCv;
    bool hkRenewNow = false;
    bool hkStop = false;

    std::shared_ptr<QueueState> queue(const QString &name) const
    {
        for (const auto &q : queues)
            if (q->name == name)
                return q;
        return nullptr;
    }
    void wakeAllQueues()
    {
        for (const auto &q : queues)
            q->wakeAll();
    }
    void requestRenewal()
    {
        {
            std::lock_guard lock(hkMutex);
            hkRenewNow = true;
        }
        hkCv.notify_all();
    }
};

// A std::thread that can be waited for with a deadline (std::thread::join cannot). If it does not
// finish in time it is detached when destroyed; the body must then only use shared_ptr state.
class ManagedThread final {
public:
    ManagedThread() = default;
    ~ManagedThread();
    ManagedThread(const ManagedThread &) = delete;
    ManagedThread &operator=(const ManagedThread &) = delete;

    // name: the OS thread name (top -H; 15 characters are kept).
    void start(QByteArray name, std::function<void()> body);
    // True (and joined) when the body returned before the deadline.
    bool wait(QDeadlineTimer deadline);
    bool finished() const;

private:
    struct Done {
        std::mutex mutex;
        std::condition_variable cv;
        bool done = false;
    };
    std::shared_ptr<Done> m_done;
    std::thread m_thread;
};

// Thread bodies (workers.cpp, housekeeper.cpp).
void runWorker(std::shared_ptr<Core> core, std::shared_ptr<QueueState> queue);
void runHousekeeper(std::shared_ptr<Core> core);

} // namespace bw::jobs::detail
