#pragma once
// What a console panel may use: the running server's services (owned by app::Runtime, alive
// until MainWindow::setServerStopping) and the signed-in moderator/administrator. A plain value
// handed to panels on the GUI thread; the services themselves must only be called off it
// (DbWorker / QtConcurrent), because every service call does SQL on the calling thread.

#include "server/moderation/admincaller.h"

#include <QString>

#include <functional>

namespace bw {
class Config;
class MetricsRegistry;
class SecretStore;
namespace db {
class Database;
}
namespace domain {
class HeartbeatService;
class VerificationService;
} // namespace domain
namespace guardrails {
struct GuardrailStack;
}
namespace jobs {
class JobSystem;
}
namespace moderation {
class AdminAuthService;
class AdminOpsService;
class ReviewService;
} // namespace moderation
} // namespace bw

namespace bw::ui {

class DbWorker;

struct ConsoleContext {
    const Config *config = nullptr;
    db::Database *database = nullptr;
    MetricsRegistry *metrics = nullptr;        // in-process metrics (live dashboards at 1 Hz)
    SecretStore *secrets = nullptr;            // keychain (API keys, S3 credentials)
    moderation::AdminAuthService *adminAuth = nullptr;
    moderation::ReviewService *reviews = nullptr;
    moderation::AdminOpsService *adminOps = nullptr;
    jobs::JobSystem *jobs = nullptr;           // null when jobs are disabled
    guardrails::GuardrailStack *guardrails = nullptr;
    domain::VerificationService *verification = nullptr;
    domain::HeartbeatService *heartbeat = nullptr;
    std::function<void(bool)> setMaintenance;  // API writes + /ready answer 503, workers pause

    // The window's shared database thread (MainWindow::dbWorker()); it is deleted when the server
    // stops, so keep it in a QPointer<DbWorker>. Service calls may run on it (DbWorker::submit).
    DbWorker *worker = nullptr;

    moderation::AdminCaller admin;             // who is signed in (role decides panels/actions)
    bool isAdmin() const { return admin.isAdmin(); }
};

} // namespace bw::ui
