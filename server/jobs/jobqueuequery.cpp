#include "server/jobs/jobqueuequery.h"

#include "server/db/database.h"
#include "server/jobs/jobsystem.h"

namespace bw::jobs {

JobQueueQuery::JobQueueQuery(db::Database &db) : m_db(db) {}

Result<QJsonObject> JobQueueQuery::counts() const
{
    return JobSystem::counts(m_db.connection());
}

Result<QJsonArray> JobQueueQuery::list(const QString &queue, const QString &state, int limit) const
{
    return JobSystem::list(m_db.connection(), queue, state, limit);
}

} // namespace bw::jobs
