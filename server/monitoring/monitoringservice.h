#pragma once
// The monitoring data as the console reads it — alert episodes (current, history, acknowledging
// one) and the dashboards' metric history and slow statements — on the calling thread's
// connection, so callers hold no QSqlDatabase. Thread-safe and stateless: call from any thread
// except the GUI thread (SQL on the calling thread's connection).

#include "server/core/result.h"
#include "server/monitoring/alertengine.h"
#include "server/monitoring/metricsampler.h"

#include <QDateTime>
#include <QList>
#include <QStringList>

namespace bw::db {
class Database;
}

namespace bw::monitoring {

class MonitoringService final {
public:
    explicit MonitoringService(db::Database &db);

    // Open alert episodes plus those resolved in the last `resolvedHours` (AlertEngine::current).
    Result<QList<AlertEvent>> currentAlerts(int resolvedHours = 24) const;
    // Every alert episode, newest first, at most `limit` (AlertEngine::history).
    Result<QList<AlertEvent>> alertHistory(int limit = 200) const;
    // Marks an episode acknowledged by `by` (NotFound when unknown; the first acknowledgement stays).
    Status acknowledgeAlert(qint64 id, const QString &by) const;

    // Downsampled metric history of `names` over [from, to] (MetricSampler::history).
    Result<QList<SeriesHistory>> metricHistory(const QStringList &names, const QDateTime &from, const QDateTime &to,
                                               int maxPoints = 360) const;
    // Statements averaging over 100 ms (MetricSampler::slowQueries); Unavailable without pg_stat_statements.
    Result<QList<SlowQuery>> slowQueries() const;

private:
    db::Database &m_db;
};

} // namespace bw::monitoring
