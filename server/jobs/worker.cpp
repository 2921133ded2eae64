// Worker threads: claim a job of their queue, run its handler, record the outcome. Each worker
// is its own std::thread with its own database connection (released when the thread ends).

#include "server/jobs/jobscore_p.h"

#include "server/core/threadrole.h"
#include "server/db/database.h"
#include "server/jobs/backoff.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QLoggingCategory>

namespace bw::jobs::detail {

namespace {

Q_LOGGING_CATEGORY(lcWorker, "bw.jobs.worker")

// Histogram buckets for job durations: from no-op jobs up to backups.
const std::vector<double> &durationBuckets()
{
    static const std::vector<double> b{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800};
    return b;
}

QString describe(const ApiError &e)
{
    QString text = e.code() + QLatin1StringView(": ") + e.message;
    if (!e.details.isEmpty())
        text += u' ' + QString::fromUtf8(QJsonDocument(e.details).toJson(QJsonDocument::Compact));
    return text.left(4000);
}

// Logs the same database error at most every 10 s per thread.
void logDbError(const QString &what, const ApiError &e)
{
    thread_local qint64 last = 0;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now - last < 10000)
        return;
    last = now;
    qCWarning(lcWorker).noquote() << what << e.message;
}

void execute(Core &core, QueueState &q, Job job)
{
    const LeaseEntry lease{job.id, job.attempts, q.settings.leaseSeconds};
    core.leases.add(lease);
    ++q.busy;
    JobContext context(&core.stopping, [&core] { core.requestRenewal(); });
    QElapsedTimer timer;
    timer.start();
    Status outcome = success();
    const auto handler = q.handlers.constFind(job.kind);
    if (handler == q.handlers.cend()) {
        outcome = ApiError::internal(
            QStringLiteral("no handler for kind '%1' on queue '%2' on node %3").arg(job.kind, job.queue, core.nodeId));
    } else {
        try {
            outcome = handler.value()(job, context);
        } catch (const std::exception &e) {
            outcome = ApiError::internal(QStringLiteral("handler threw: %1").arg(QString::fromLocal8Bit(e.what())));
        } catch (...) {
            outcome = ApiError::internal(QStringLiteral("handler threw a non-standard exception"));
        }
    }
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    --q.busy;
    q.duration.observe(seconds);

    QSqlDatabase db = core.database->connection();
    if (outcome) {
        auto done = JobStore::complete(db, job, core.nodeId);
        if (!done)
            qCWarning(lcWorker).noquote() << "job" << job.id << "succeeded but its completion was not recorded"
                                          << "(it will run again after its lease expires):" << done.error().message;
        else if (!*done)
            qCWarning(lcWorker).noquote() << "job" << job.id << "finished after its lease was lost; result not recorded";
        else
            q.completed.inc();
    } else if (core.stopping) {
        // Most likely the handler gave up because of cancelled(): not the job's fault.
        auto r =
            JobStore::release(db, {lease}, core.nodeId,
                              QStringLiteral("interrupted by shutdown of %1: %2").arg(core.nodeId, describe(outcome.error())));
        if (!r)
            qCWarning(lcWorker).noquote() << "could not release job" << job.id << ":" << r.error().message;
    } else {
        q.failed.inc();
        const ApiError &error = outcome.error();
        const bool noRetry = error.details.value(QStringLiteral("retry")) == QJsonValue(false);
        const QString text = describe(error);
        if (noRetry || job.attempts >= job.maxAttempts) {
            auto r = JobStore::discard(db, job, core.nodeId, text);
            if (r && *r)
                q.discarded.inc();
            qCWarning(lcWorker).noquote() << "job" << job.id << job.queue << job.kind << "discarded after attempt" << job.attempts
                                          << "of" << job.maxAttempts << ":" << text;
        } else {
            const qint64 delay = backoffDelayMs(job.attempts, q.settings.backoffBaseMs, q.settings.backoffCapMs);
            auto r = JobStore::retryLater(db, job, core.nodeId, text, delay);
            if (!r)
                qCWarning(lcWorker).noquote() << "could not schedule the retry of job" << job.id << ":" << r.error().message;
            qCInfo(lcWorker).noquote() << "job" << job.id << job.queue << job.kind << "attempt" << job.attempts
                                       << "failed, retry in" << delay << "ms:" << text;
        }
    }
    // Only now: the housekeeper renews the lease until the outcome is written.
    core.leases.remove(job.id);
}

} // namespace

QueueState::QueueState(QString queueName, QueueSettings queueSettings, QHash<QString, JobHandler> queueHandlers,
                       MetricsRegistry &metrics)
    : name(std::move(queueName)), settings(queueSettings), handlers(std::move(queueHandlers)),
      completed(metrics.counter(QStringLiteral("job_completed_total"), QStringLiteral("Jobs completed"), {{"queue", name}})),
      failed(metrics.counter(QStringLiteral("job_failed_total"), QStringLiteral("Job attempts that failed"), {{"queue", name}})),
      discarded(metrics.counter(QStringLiteral("job_discarded_total"), QStringLiteral("Jobs moved to the dead letter"),
                                {{"queue", name}})),
      duration(metrics.histogram(QStringLiteral("job_duration_seconds"), QStringLiteral("Job handler run time"),
                                 durationBuckets(), {{"queue", name}}))
{
}

quint64 QueueState::wakeSeq() const
{
    std::lock_guard lock(m_mutex);
    return m_wakeSeq;
}

void QueueState::wakeOne()
{
    {
        std::lock_guard lock(m_mutex);
        ++m_wakeSeq;
    }
    m_cv.notify_one();
}

void QueueState::wakeAll()
{
    {
        std::lock_guard lock(m_mutex);
        ++m_wakeSeq;
    }
    m_cv.notify_all();
}

void QueueState::waitForWork(quint64 seen, const std::atomic_bool &stopping, int pollIntervalMs)
{
    std::unique_lock lock(m_mutex);
    const auto woken = [&] { return m_wakeSeq != seen || stopping.load(); };
    if (woken())
        return;
    const bool poller = !m_pollerTaken;
    if (poller)
        m_pollerTaken = true;
    m_cv.wait_for(lock, std::chrono::milliseconds(poller ? pollIntervalMs : 30000), woken);
    if (poller)
        m_pollerTaken = false; // the next thread to go idle takes the timer
}

void QueueState::waitBriefly(quint64 seen, const std::atomic_bool &stopping, int ms)
{
    std::unique_lock lock(m_mutex);
    m_cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return m_wakeSeq != seen || stopping.load(); });
}

void runWorker(std::shared_ptr<Core> core, std::shared_ptr<QueueState> q)
{
    bool justWorked = false;
    while (!core->stopping) {
        const quint64 seen = q->wakeSeq();
        if (!core->paused) {
            auto claimed = JobStore::claim(core->database->connection(), q->name, core->nodeId, q->settings.leaseSeconds);
            if (!claimed) {
                logDbError(QStringLiteral("cannot claim from queue %1:").arg(q->name), claimed.error());
                q->waitForWork(q->wakeSeq(), core->stopping, core->pollIntervalMs); // back off
                continue;
            }
            if (claimed->has_value()) {
                q->wakeOne(); // there may be more: let a sibling look
                execute(*core, *q, std::move(**claimed));
                justWorked = true;
                continue;
            }
            if (justWorked) {
                // Busy → idle: an insert that skipped its NOTIFY because it saw the job we just
                // ran still waiting (see migration 0004) may be committing right now. Look once more.
                justWorked = false;
                q->waitBriefly(seen, core->stopping, 25);
                continue;
            }
        }
        q->waitForWork(seen, core->stopping, core->pollIntervalMs);
    }
    core->database->releaseThisThread();
}

ManagedThread::~ManagedThread()
{
    if (m_thread.joinable()) {
        if (finished())
            m_thread.join();
        else
            m_thread.detach();
    }
}

void ManagedThread::start(QByteArray name, std::function<void()> body)
{
    m_done = std::make_shared<Done>();
    m_thread = std::thread([done = m_done, name = std::move(name), body = std::move(body)] {
        setCurrentThreadName(name.constData());
        body();
        {
            std::lock_guard lock(done->mutex);
            done->done = true;
        }
        done->cv.notify_all();
    });
}

bool ManagedThread::wait(QDeadlineTimer deadline)
{
    if (!m_done)
        return true;
    {
        std::unique_lock lock(m_done->mutex);
        const auto isDone = [&] { return m_done->done; };
        if (deadline.isForever())
            m_done->cv.wait(lock, isDone);
        else if (!m_done->cv.wait_for(lock, std::chrono::milliseconds(std::max<qint64>(0, deadline.remainingTime())), isDone))
            return false;
    }
    if (m_thread.joinable())
        m_thread.join();
    return true;
}

bool ManagedThread::finished() const
{
    if (!m_done)
        return true;
    std::lock_guard lock(m_done->mutex);
    return m_done->done;
}

} // namespace bw::jobs::detail
