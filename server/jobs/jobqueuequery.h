#pragma once
// Read access to the job queue for the console (works whether or not this node runs workers):
// counts per queue and state, and the newest jobs in one state. Thread-safe and stateless: call
// from any thread except the GUI thread (SQL on the calling thread's connection).

#include "server/core/result.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

namespace bw::db {
class Database;
}

namespace bw::jobs {

class JobQueueQuery final {
public:
    explicit JobQueueQuery(db::Database &db);

    // {queue: {state: n}} (JobSystem::counts).
    Result<QJsonObject> counts() const;
    // Jobs of `queue` ("" = any) in `state` ("" = any), newest first, at most `limit` (JobSystem::list).
    Result<QJsonArray> list(const QString &queue, const QString &state, int limit) const;

private:
    db::Database &m_db;
};

} // namespace bw::jobs
