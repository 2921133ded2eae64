#include "ui/overview/overviewloader.h"

#include "server/core/metrics.h"
#include "server/ops/instancestatusservice.h"
#include "ui/common/dbworker.h"

#include <algorithm>

namespace bw::ui {

OverviewLoader::OverviewLoader(QObject *parent) : QObject(parent)
{
    m_sampleTimer.setInterval(std::chrono::seconds(1));
    m_countTimer.setInterval(std::chrono::seconds(5));
    connect(&m_sampleTimer, &QTimer::timeout, this, &OverviewLoader::sampleMetrics);
    connect(&m_countTimer, &QTimer::timeout, this, &OverviewLoader::pollDatabase);
}

void OverviewLoader::setSampleInterval(std::chrono::milliseconds interval)
{
    m_sampleTimer.setInterval(interval);
}

void OverviewLoader::setCountInterval(std::chrono::milliseconds interval)
{
    m_countTimer.setInterval(interval);
}

void OverviewLoader::setStarting(const QString &message)
{
    m_snapshot.state = ServerState::Starting;
    m_snapshot.stateMessage = message;
    publish();
}

void OverviewLoader::start(const OverviewContext &context, DbWorker *worker)
{
    m_context = context;
    m_worker = worker;
    m_lastRequestTotal.reset();
    m_pollInFlight = false; // a poll of an earlier worker never reports back

    m_snapshot.state = ServerState::Running;
    m_snapshot.stateMessage.clear();
    m_snapshot.listenAddress = context.listenAddress;
    m_snapshot.embeddedDatabase = context.embeddedDatabase;
    m_snapshot.databaseDescription = context.databaseDescription;
    m_snapshot.requestRate.reset();

    sampleMetrics(); // publishes
    pollDatabase();
    m_sampleTimer.start();
    m_countTimer.start();
}

void OverviewLoader::setStopping(const QString &message)
{
    stopPolling(ServerState::Stopping, message);
}

void OverviewLoader::setFailed(const QString &message)
{
    stopPolling(ServerState::Failed, message);
}

void OverviewLoader::stopPolling(ServerState state, const QString &message)
{
    m_sampleTimer.stop();
    m_countTimer.stop();
    m_snapshot.state = state;
    m_snapshot.stateMessage = message;
    m_snapshot.requestRate.reset();
    publish();
}

void OverviewLoader::sampleMetrics()
{
    const QDateTime now = QDateTime::currentDateTime();
    if (m_context.startedAt.isValid())
        m_snapshot.uptimeSeconds = std::max<qint64>(0, m_context.startedAt.secsTo(now));

    if (m_context.metrics) {
        const double total = m_context.metrics->sum(QStringLiteral("http_requests_total"));
        const qint64 elapsedMs = m_sinceLastSample.restart();
        // A rate needs two samples; the elapsed time (not the nominal interval) keeps it honest
        // when the GUI thread was busy and the timer fired late.
        if (m_lastRequestTotal && elapsedMs > 0) {
            const double rate = std::max(0.0, total - *m_lastRequestTotal) * 1000.0 / double(elapsedMs);
            m_snapshot.requestRate = rate;
            Q_EMIT rateSampled(now, rate);
        }
        m_lastRequestTotal = total;
        m_snapshot.activeConnections = m_context.metrics->sum(QStringLiteral("http_active_connections"));
    }
    publish();
}

void OverviewLoader::pollDatabase()
{
    if (!m_worker || !m_context.instanceStatus || m_pollInFlight)
        return; // a slow database must not pile up queries
    m_pollInFlight = true;
    // Every few seconds on the worker thread, never overlapping (InstanceStatusService::current).
    m_worker->submit(
        this,
        [status = m_context.instanceStatus] {
            DatabaseFacts facts;
            auto current = status->current();
            if (!current) {
                facts.error = current.error().message;
                return facts;
            }
            facts.version = current->databaseVersion;
            facts.sizeBytes = current->databaseSizeBytes;
            facts.agents = current->agents;
            facts.problems = current->problems;
            return facts;
        },
        [this](const DatabaseFacts &facts) {
            m_pollInFlight = false;
            applyDatabaseFacts(facts);
        });
}

void OverviewLoader::applyDatabaseFacts(const DatabaseFacts &facts)
{
    m_snapshot.databaseError = facts.error;
    if (facts.error.isEmpty()) {
        m_snapshot.databaseVersion = facts.version;
        m_snapshot.databaseSizeBytes = facts.sizeBytes;
        m_snapshot.agentCount = facts.agents;
        m_snapshot.problemCount = facts.problems;
    }
    publish();
}

void OverviewLoader::publish()
{
    Q_EMIT snapshotChanged(m_snapshot);
}

} // namespace bw::ui
