#pragma once
// What /ready checks on this node (api.md §8): the database answers, no migration is pending, the
// data directory is writable with ≥ 100 MB free. Maintenance, workers and start time are the
// Runtime's own and are filled in by it. The checks run on the request pool.

#include "server/http/controllers/healthcontroller.h"

namespace bw::db {
class Database;
}

namespace bw::app {

http::ReadinessChecks readinessChecks(db::Database &database, const QString &dataDir);

} // namespace bw::app
