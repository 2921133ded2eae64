#include "server/jobs/jobsystem.h"

#include "server/db/database.h"
#include "server/jobs/jobscore_p.h"
#include "server/jobs/jobstore.h"
#include "server/jobs/notificationlistener_p.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QSysInfo>

#include <algorithm>

namespace bw::jobs {

namespace {
Q_LOGGING_CATEGORY(lcJobs, "bw.jobs")

constexpr int kPruneBatch = 5000;
} // namespace

JobSystem::JobSystem(db::Database &database, MetricsRegistry &metrics, QString nodeId, QObject *parent)
    : QObject(parent), m_database(database), m_metrics(metrics), m_nodeId(nodeId.isEmpty() ? defaultNodeId() : std::move(nodeId))
{
}

JobSystem::~JobSystem()
{
    if (m_running && !m_stopped) {
        qCWarning(lcJobs) << "JobSystem destroyed while running; stopping with a 2 s drain";
        stop(2000);
    }
}

QString JobSystem::defaultNodeId()
{
    return QStringLiteral("%1:%2:%3")
        .arg(QSysInfo::machineHostName())
        .arg(QCoreApplication::applicationPid())
        .arg(QRandomGenerator::system()->generate() & 0xffffff, 6, 16, QLatin1Char('0'));
}

void JobSystem::registerHandler(const QString &queue, const QString &kind, JobHandler handler)
{
    std::lock_guard lock(m_configMutex);
    if (m_running) {
        qCWarning(lcJobs).noquote() << "registerHandler after start() ignored:" << queue << kind;
        return;
    }
    m_handlers[queue].insert(kind, std::move(handler));
}

void JobSystem::setQueueSettings(const QString &queue, QueueSettings settings)
{
    std::lock_guard lock(m_configMutex);
    m_settings.insert(queue, settings);
}

void JobSystem::setDefaultQueueSettings(QueueSettings settings)
{
    std::lock_guard lock(m_configMutex);
    m_defaultSettings = settings;
}

void JobSystem::addSchedule(const QString &name, const QString &cron, const QString &queue, const QString &kind,
                            const QJsonObject &payload)
{
    const CronExpression parsed = CronExpression::parse(cron);
    if (!parsed.isValid() || name.isEmpty() || queue.isEmpty() || kind.isEmpty()) {
        qCWarning(lcJobs).noquote() << "schedule" << name << "ignored: invalid cron" << cron << parsed.error();
        return;
    }
    std::lock_guard lock(m_configMutex);
    if (m_running) {
        qCWarning(lcJobs).noquote() << "addSchedule after start() ignored:" << name;
        return;
    }
    std::erase_if(m_schedules, [&](const ScheduleSpec &s) { return s.name == name; });
    m_schedules.push_back(ScheduleSpec{name, cron, queue, kind, payload});
}

void JobSystem::setRetention(Retention retention)
{
    std::lock_guard lock(m_configMutex);
    m_retention = retention;
}

void JobSystem::setPollInterval(int ms)
{
    std::lock_guard lock(m_configMutex);
    m_pollIntervalMs = std::clamp(ms, 10, 1000);
}

void JobSystem::registerBuiltIns()
{
    // Caller holds m_configMutex.
    const Retention retention = m_retention;
    if (!m_handlers.value(QString::fromLatin1(kMaintenanceQueue)).contains(QString::fromLatin1(kPruneKind))) {
        m_handlers[QString::fromLatin1(kMaintenanceQueue)].insert(
            QString::fromLatin1(kPruneKind), [database = &m_database, retention](const Job &, JobContext &context) -> Status {
                QSqlDatabase db = database->connection();
                qint64 total = 0;
                for (int batch = 0; batch < 1000 && !context.cancelled(); ++batch) {
                    auto n = JobStore::pruneBatch(db, retention.completedHours, retention.discardedHours, kPruneBatch);
                    if (!n)
                        return n.error();
                    total += *n;
                    if (*n < kPruneBatch)
                        break;
                }
                if (total > 0)
                    qCInfo(lcJobs) << "pruned" << total << "finished jobs";
                return success();
            });
    }
    if (std::none_of(m_schedules.cbegin(), m_schedules.cend(),
                     [](const ScheduleSpec &s) { return s.name == QLatin1StringView(kPruneSchedule); }))
        m_schedules.push_back(ScheduleSpec{QString::fromLatin1(kPruneSchedule),
                                           QStringLiteral("17 * * * *"),
                                           QString::fromLatin1(kMaintenanceQueue),
                                           QString::fromLatin1(kPruneKind),
                                           {}});
}

Status JobSystem::start()
{
    std::lock_guard lock(m_configMutex);
    if (m_running)
        return success();
    if (m_stopped)
        return ApiError::internal(QStringLiteral("a stopped JobSystem cannot be restarted"));
    registerBuiltIns();

    auto core = std::make_shared<detail::Core>();
    core->database = &m_database;
    core->metrics = &m_metrics;
    core->nodeId = m_nodeId;
    core->pollIntervalMs = m_pollIntervalMs;
    core->paused = m_paused.load();
    core->retention = detail::Retention{m_retention.completedHours, m_retention.discardedHours};
    for (auto it = m_handlers.cbegin(); it != m_handlers.cend(); ++it) {
        QueueSettings s = m_settings.value(it.key(), m_defaultSettings);
        s.concurrency = std::clamp(s.concurrency, 1, 256);
        s.leaseSeconds = std::clamp(s.leaseSeconds, 1, 24 * 3600);
        core->queues.push_back(std::make_shared<detail::QueueState>(it.key(), s, it.value(), m_metrics));
    }
    for (const ScheduleSpec &spec : m_schedules)
        core->schedules.push_back(
            detail::Schedule{spec.name, CronExpression::parse(spec.cron), spec.queue, spec.kind, spec.payload});
    m_core = core;

    m_listener = std::make_unique<detail::NotificationListener>(core, m_database.settings());
    m_listener->start();
    m_housekeeper = std::make_unique<detail::ManagedThread>();
    m_housekeeper->start("bw-housekeeper", [core] { detail::runHousekeeper(core); });
    int threads = 0;
    for (const auto &q : core->queues) {
        for (int i = 0; i < q->settings.concurrency; ++i) {
            auto t = std::make_unique<detail::ManagedThread>();
            t->start("bw-job-" + q->name.toLatin1(), [core, q] { detail::runWorker(core, q); }); // e.g. bw-job-maintena
            m_workers.push_back(std::move(t));
            ++threads;
        }
    }
    m_running = true;
    qCInfo(lcJobs).noquote() << "job system started on node" << m_nodeId << "with" << core->queues.size() << "queue(s),"
                             << threads << "worker thread(s)," << core->schedules.size() << "schedule(s)";
    return success();
}

void JobSystem::pause(bool paused)
{
    m_paused = paused;
    if (!m_core)
        return; // applied by start()
    m_core->paused = paused;
    if (!paused)
        m_core->wakeAllQueues();
    qCInfo(lcJobs) << (paused ? "job workers paused" : "job workers resumed");
}

void JobSystem::stop(int timeoutMs)
{
    if (!m_running || m_stopped.exchange(true))
        return;
    auto core = m_core;
    core->stopping = true;
    core->wakeAllQueues();
    const QDeadlineTimer drain(std::max(0, timeoutMs));
    int stragglers = 0;
    for (auto &w : m_workers)
        if (!w->wait(drain))
            ++stragglers;
    m_stragglers = stragglers;
    if (stragglers > 0)
        qCWarning(lcJobs) << stragglers << "job handler(s) still running after" << timeoutMs << "ms; releasing their leases";
    m_listener->stop(3000);
    {
        std::lock_guard lock(core->hkMutex);
        core->hkStop = true;
    }
    core->hkCv.notify_all();
    if (!m_housekeeper->wait(QDeadlineTimer(15000)))
        qCWarning(lcJobs) << "the job housekeeper did not stop in time";
    m_workers.clear(); // joins finished threads, detaches stragglers (they hold the Core alive)
    m_running = false;
    qCInfo(lcJobs) << "job system stopped";
}

bool JobSystem::isRunning() const
{
    return m_running;
}
bool JobSystem::isPaused() const
{
    return m_paused;
}
bool JobSystem::isLeader() const
{
    return m_core && m_core->leader;
}
bool JobSystem::isListening() const
{
    return m_listener && m_listener->listening();
}
int JobSystem::stragglers() const
{
    return m_stragglers;
}

Result<QJsonArray> JobSystem::list(QSqlDatabase db, const QString &queue, const QString &state, int limit)
{
    return JobStore::list(db, queue, state, limit);
}

Result<QJsonObject> JobSystem::counts(QSqlDatabase db)
{
    return JobStore::counts(db);
}

Status JobSystem::redrive(QSqlDatabase db, const QString &jobId)
{
    return JobStore::redrive(db, jobId);
}

Status JobSystem::cancel(QSqlDatabase db, const QString &jobId)
{
    return JobStore::cancel(db, jobId);
}

} // namespace bw::jobs
