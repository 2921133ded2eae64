#include "server/monitoring/monitoringservice.h"

#include "server/db/database.h"

namespace bw::monitoring {

MonitoringService::MonitoringService(db::Database &db) : m_db(db) {}

Result<QList<AlertEvent>> MonitoringService::currentAlerts(int resolvedHours) const
{
    return AlertEngine::current(m_db.connection(), resolvedHours);
}

Result<QList<AlertEvent>> MonitoringService::alertHistory(int limit) const
{
    return AlertEngine::history(m_db.connection(), limit);
}

Status MonitoringService::acknowledgeAlert(qint64 id, const QString &by) const
{
    return AlertEngine::acknowledge(m_db.connection(), id, by);
}

Result<QList<SeriesHistory>> MonitoringService::metricHistory(const QStringList &names, const QDateTime &from,
                                                              const QDateTime &to, int maxPoints) const
{
    return MetricSampler::history(m_db.connection(), names, from, to, maxPoints);
}

Result<QList<SlowQuery>> MonitoringService::slowQueries() const
{
    return MetricSampler::slowQueries(m_db.connection());
}

} // namespace bw::monitoring
