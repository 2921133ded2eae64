// The housekeeping thread of a node: renews the leases of this node's running jobs, keeps the
// job_queue_size gauges fresh, and competes for cron leadership (a session advisory lock). The
// leader rescues expired leases and fires due schedules; it never does long work itself — a
// schedule only enqueues a job. One thread per JobSystem, with its own connection.

#include "server/jobs/jobscore_p.h"

#include "server/db/database.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QSet>

#include <algorithm>

namespace bw::jobs::detail {

namespace {

Q_LOGGING_CATEGORY(lcHouse, "bw.jobs.housekeeper")

const QStringList kGaugeStates = {state::kAvailable, state::kRetryable, state::kRunning, state::kDiscarded};

class Housekeeper final {
public:
    explicit Housekeeper(std::shared_ptr<Core> core) : m_core(std::move(core))
    {
        int minLease = 3600;
        for (const auto &q : m_core->queues)
            minLease = std::min(minLease, q->settings.leaseSeconds);
        // Renew at a third of the shortest lease: two renewals may fail before a lease lapses.
        m_renewEveryMs = std::clamp(minLease * 1000 / 3, 200, 20000);
        m_tickMs = std::min(1000, m_renewEveryMs);
        for (const auto &q : m_core->queues)
            for (const QString &s : kGaugeStates)
                gauge(q->name, s).set(0);
    }

    void run()
    {
        m_sinceRenewal.start();
        QElapsedTimer sinceGauges;
        bool gaugesDue = true;
        while (true) {
            bool renewNow = false;
            {
                std::unique_lock lock(m_core->hkMutex);
                m_core->hkCv.wait_for(lock, std::chrono::milliseconds(m_tickMs),
                                      [&] { return m_core->hkStop || m_core->hkRenewNow; });
                if (m_core->hkStop)
                    break;
                renewNow = std::exchange(m_core->hkRenewNow, false);
            }
            if (renewNow || m_sinceRenewal.elapsed() >= m_renewEveryMs)
                renewLeases();
            if (!m_schedulesSaved)
                saveSchedules();
            updateLeadership();
            if (m_leader && !m_core->paused) {
                rescue();
                fireSchedules();
            }
            if (gaugesDue || sinceGauges.elapsed() >= 2000) {
                refreshGauges();
                sinceGauges.start();
                gaugesDue = false;
            }
        }
        shutdown();
    }

private:
    QSqlDatabase db() { return m_core->database->connection(); }

    void logError(const QString &what, const ApiError &e)
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (now - m_lastErrorLog < 10000)
            return;
        m_lastErrorLog = now;
        qCWarning(lcHouse).noquote() << what << e.message;
    }

    void renewLeases()
    {
        m_sinceRenewal.start();
        const QList<LeaseEntry> running = m_core->leases.snapshot();
        if (running.isEmpty())
            return;
        auto r = JobStore::extendLeases(db(), running, m_core->nodeId);
        if (!r)
            logError(QStringLiteral("cannot renew job leases:"), r.error());
    }

    void saveSchedules()
    {
        for (const Schedule &s : m_core->schedules) {
            if (Status st = JobStore::upsertSchedule(db(), s.name, s.cron.text(), s.queue, s.kind, s.payload); !st) {
                logError(QStringLiteral("cannot save the job schedules:"), st.error());
                return;
            }
        }
        m_schedulesSaved = true;
    }

    void updateLeadership()
    {
        auto held = JobStore::holdLeadership(db());
        const bool now = held && *held;
        if (!held)
            logError(QStringLiteral("cannot check cron leadership:"), held.error());
        if (now != m_leader) {
            m_leader = now;
            m_core->leader = now;
            qCInfo(lcHouse).noquote() << "node" << m_core->nodeId
                                      << (now ? "is now the job leader" : "is no longer the job leader");
        }
    }

    void rescue()
    {
        auto r = JobStore::rescueExpired(db(), 1000);
        if (!r)
            return logError(QStringLiteral("cannot rescue expired leases:"), r.error());
        for (const StateCount &c : *r) {
            qCWarning(lcHouse).noquote() << "rescued" << c.count << "job(s) of queue" << c.queue << "whose lease expired; now"
                                         << c.state;
            // The expired attempt failed; counted by the node that rescued it.
            m_core->metrics
                ->counter(QStringLiteral("job_failed_total"), QStringLiteral("Job attempts that failed"), {{"queue", c.queue}})
                .inc(double(c.count));
        }
    }

    void fireSchedules()
    {
        if (m_core->schedules.empty())
            return;
        QStringList names;
        for (const Schedule &s : m_core->schedules)
            names << s.name;
        auto rows = JobStore::schedules(db(), names);
        if (!rows)
            return logError(QStringLiteral("cannot read the job schedules:"), rows.error());
        const QDateTime now = QDateTime::currentDateTimeUtc();
        for (const ScheduleRow &row : *rows) {
            const auto s = std::find_if(m_core->schedules.cbegin(), m_core->schedules.cend(),
                                        [&](const Schedule &x) { return x.name == row.name; });
            if (s == m_core->schedules.cend())
                continue;
            QDateTime due = s->cron.next(row.lastRunAt.isValid() ? row.lastRunAt : now);
            if (!due.isValid() || due > now)
                continue;
            // Missed runs (node down, no leader) collapse into one: the latest due time.
            for (int i = 0; i < 100000; ++i) {
                const QDateTime later = s->cron.next(due);
                if (!later.isValid() || later > now)
                    break;
                due = later;
            }
            auto fired = JobStore::fireSchedule(db(), row, due, s->queue, s->kind, s->payload);
            if (!fired)
                logError(QStringLiteral("cannot fire schedule %1:").arg(s->name), fired.error());
            else if (*fired)
                qCInfo(lcHouse).noquote() << "schedule" << s->name << "fired for" << due.toString(Qt::ISODate);
        }
    }

    Gauge &gauge(const QString &queue, const QString &state)
    {
        const QString key = queue + u'\n' + state;
        auto it = m_gauges.find(key);
        if (it == m_gauges.end())
            it = m_gauges.insert(key, &m_core->metrics->gauge(QStringLiteral("job_queue_size"),
                                                              QStringLiteral("Jobs per queue and state"),
                                                              {{"queue", queue}, {"state", state}}));
        return **it;
    }

    void refreshGauges()
    {
        auto counts = JobStore::liveCounts(db());
        if (!counts)
            return logError(QStringLiteral("cannot count jobs:"), counts.error());
        QSet<QString> seen;
        for (const StateCount &c : *counts) {
            gauge(c.queue, c.state).set(double(c.count));
            seen.insert(c.queue + u'\n' + c.state);
        }
        for (auto it = m_gauges.begin(); it != m_gauges.end(); ++it)
            if (!seen.contains(it.key()))
                (*it)->set(0);
    }

    void shutdown()
    {
        // Jobs still running here belong to handlers that outlived the drain limit: hand them back.
        const QList<LeaseEntry> left = m_core->leases.snapshot();
        if (!left.isEmpty()) {
            auto r = JobStore::release(
                db(), left, m_core->nodeId,
                QStringLiteral("released at shutdown of %1 (still running after the drain limit)").arg(m_core->nodeId));
            if (r)
                qCWarning(lcHouse).noquote() << "released" << *r << "job lease(s) still running at shutdown";
            else
                qCWarning(lcHouse).noquote() << "cannot release job leases at shutdown:" << r.error().message;
        }
        if (m_leader)
            (void)JobStore::releaseLeadership(db());
        m_core->leader = false;
        m_core->database->releaseThisThread();
    }

    std::shared_ptr<Core> m_core;
    int m_renewEveryMs = 20000;
    int m_tickMs = 1000;
    QElapsedTimer m_sinceRenewal;
    bool m_schedulesSaved = false;
    bool m_leader = false;
    qint64 m_lastErrorLog = 0;
    QHash<QString, Gauge *> m_gauges;
};

} // namespace

void runHousekeeper(std::shared_ptr<Core> core)
{
    Housekeeper(std::move(core)).run();
}

} // namespace bw::jobs::detail
