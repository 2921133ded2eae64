#pragma once
// The operations CLI: `betterworld backup list|create|verify|drill|restore|prune`, `migrate lint`,
// `deploy`. A thin layer over server/ops: start the database (Runtime without HTTP), run the
// service on a worker thread with progress lines on stderr (Ctrl-C cancels while cancellable),
// print the result, stop. Exit codes: 0 ok, 1 failed, 2 usage.

#include "app/cli.h"
#include "server/core/config.h"
#include "server/core/result.h"
#include "server/ops/operation.h"

#include <QTextStream>

namespace bw::db {
class Database;
}

namespace bw::app {

class ShutdownSignals;

bool isOpsCommand(CommandKind kind);
void runOpsCommand(const Config &config, const Command &command, ShutdownSignals &signals);

// `migrate up`, before applying (worker thread): lints the pending migrations against the live
// database (a blocking finding stops unless force) and takes a pre_migration snapshot when the
// database already holds data. `after` (called once migrations ran) catalogues a snapshot taken
// before the backups table existed.
struct MigrationGuard {
    // snapshotProgress: where the snapshot's steps go (default: stderr, for the CLI).
    Status before(const Config &config, db::Database &database, bool force, QTextStream &out,
                  ops::Operation::Listener snapshotProgress = {});
    void after(db::Database &database, QTextStream &out);
    struct State;
    std::shared_ptr<State> state;
};

} // namespace bw::app
