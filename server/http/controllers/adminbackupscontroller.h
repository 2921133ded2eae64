#pragma once
// Backups, restores and the operations that run them, over HTTP (api.md §9): list/read/create/
// verify/drill backups, start a restore (typed confirmation in the body; the server enters
// maintenance mode), the WAL archive's status and recoverable window, and /admin/operations to
// follow progress and cancel. Admin role only; every action audited. Thin: parse, call
// OpsAdminService, serialise. Handlers run on the request pool; the operations on their own threads.

#include "server/http/router.h"

namespace bw::ops {
class OpsAdminService;
}

namespace bw::http {

void registerAdminBackupRoutes(Router &router, ops::OpsAdminService &service, int maxJsonDepth);

} // namespace bw::http
