#pragma once
// What a console panel may use: the running server's services (owned by app::Runtime or, for
// the shared_ptr ones, by the context's copies; alive until MainWindow::setServerStopping) and
// the signed-in moderator/administrator. A plain value handed to panels on the GUI thread; the
// services themselves must only be called off it (DbWorker / OperationRunner), because every
// service call does SQL on the calling thread. The console itself never touches the database.

#include "server/moderation/admincaller.h"

#include <QString>

#include <functional>
#include <memory>

namespace bw {
class Config;
class MetricsRegistry;
class SecretStore;
namespace domain {
class HeartbeatService;
class VerificationService;
} // namespace domain
namespace guardrails {
struct GuardrailStack;
}
namespace jobs {
class JobQueueQuery;
class JobSystem;
} // namespace jobs
namespace moderation {
class AdminAuthService;
class AdminOpsService;
class AgentAdminService;
class ReviewService;
class SettingsService;
} // namespace moderation
namespace monitoring {
class MonitoringService;
} // namespace monitoring
namespace ops {
struct OpsServices;
} // namespace ops
} // namespace bw

namespace bw::ui {

class DbWorker;

struct ConsoleContext {
    const Config *config = nullptr;
    MetricsRegistry *metrics = nullptr; // in-process metrics (live dashboards at 1 Hz)
    SecretStore *secrets = nullptr;     // keychain (API keys, S3 credentials)
    moderation::AdminAuthService *adminAuth = nullptr;
    moderation::ReviewService *reviews = nullptr;
    moderation::AdminOpsService *adminOps = nullptr;
    jobs::JobSystem *jobs = nullptr; // null when jobs are disabled
    guardrails::GuardrailStack *guardrails = nullptr;
    domain::VerificationService *verification = nullptr;
    domain::HeartbeatService *heartbeat = nullptr;
    std::function<void(bool)> setMaintenance; // API writes + /ready answer 503, workers pause

    // Services over the database for the console alone (app::addDatabaseServices builds them).
    std::shared_ptr<const moderation::AgentAdminService> agentAdmin;
    std::shared_ptr<moderation::SettingsService> settings;
    std::shared_ptr<const jobs::JobQueueQuery> jobQueue;
    std::shared_ptr<const monitoring::MonitoringService> monitoring;
    // Backups/Deployments: a fresh set of ops services per panel (they run on pool threads).
    std::function<std::unique_ptr<ops::OpsServices>()> makeOpsServices;
    // Releases the calling thread's database connection; a thread that called services runs it
    // before it ends (DbWorker, OperationRunner). Empty until the database is up.
    std::function<void()> releaseThreadConnection;

    // The window's shared database thread (MainWindow::dbWorker()); it is deleted when the server
    // stops, so keep it in a QPointer<DbWorker>. Service calls may run on it (DbWorker::submit).
    DbWorker *worker = nullptr;

    moderation::AdminCaller admin; // who is signed in (role decides panels/actions)
    bool isAdmin() const { return admin.isAdmin(); }
};

} // namespace bw::ui
