#pragma once
// The instance facts the console's Overview shows next to the live metrics: PostgreSQL's version,
// the database size and how many agents and problems exist (exact counts: fine at pilot scale,
// polled every few seconds, never overlapping). Thread-safe and stateless: call from any thread
// except the GUI thread (one round trip on the calling thread's connection).

#include "server/core/result.h"

#include <QString>

namespace bw::db {
class Database;
}

namespace bw::ops {

struct InstanceStatus {
    QString databaseVersion; // server_version, e.g. "15.18 (Debian …)"
    qint64 databaseSizeBytes = 0;
    qint64 agents = 0;
    qint64 problems = 0;
};

class InstanceStatusService final {
public:
    explicit InstanceStatusService(db::Database &db);

    // The current facts; an Internal error (sqlState "08001" etc.) when the database cannot answer.
    Result<InstanceStatus> current() const;

private:
    db::Database &m_db;
};

} // namespace bw::ops
