#pragma once
// The composition root: builds every service from the Config, starts them in order (secrets →
// database → migrations → HTTP) and stops them in reverse (drain HTTP → request pool → database).
// Lives in the main thread; blocking steps run on worker threads and report back via signals, so
// the GUI never waits. Used by `betterworld`, `betterworld serve`, the CLI and the API tests.

#include "server/core/config.h"
#include "server/core/metrics.h"
#include "server/core/secretstore.h"

#include <QDateTime>
#include <QObject>

#include <atomic>
#include <map>
#include <memory>

namespace bw {
namespace db {
class Database;
class EmbeddedPostgres;
} // namespace db
namespace domain {
class AgentService;
class AgentProfileService;
class HeartbeatService;
class HeartbeatSigner;
class ProblemService;
struct ContentServices;
class VerificationService;
} // namespace domain
namespace moderation {
class AdminAuthService;
class AdminOpsService;
class ReviewService;
} // namespace moderation
namespace guardrails {
struct GuardrailStack;
} // namespace guardrails
namespace humans {
class HumanCodes;
}
namespace jobs {
class JobSystem;
} // namespace jobs
namespace monitoring {
class AlertEngine;
class AlertNotifier;
class MetricSampler;
} // namespace monitoring
namespace ops {
class OperationRegistry;
class OpsAdminService;
class OpsJobs;
} // namespace ops
namespace domain {
class Mailer;
} // namespace domain
namespace http {
class HttpServer;
class InMemoryRateLimiter;
class RateLimiter;
class Pipeline;
class RequestPool;
class Router;
} // namespace http
} // namespace bw

namespace bw::app {

struct PeopleServices;

class Runtime final : public QObject {
    Q_OBJECT
public:
    struct Options {
        bool serveHttp = true; // false: database only (migrate commands)
        bool applyMigrations = true;
        // CLI commands: when another BetterWorld runs the embedded cluster of this data directory,
        // use that server instead of failing (pending migrations then refuse; see attachedTo()).
        bool attachToRunning = false;
    };

    // secrets: injected by tests; when null, chosen by config.secretsBackend.
    Runtime(Config config, Options options, std::unique_ptr<SecretStore> secrets = nullptr, QObject *parent = nullptr);
    ~Runtime() override;

    void start(); // → ready() or failed()
    void stop();  // → stopped(); safe to call at any time, more than once

    const Config &config() const { return m_config; }
    quint16 port() const;           // the bound HTTP port once ready
    db::Database *database() const; // null until the database is up
    MetricsRegistry &metrics() { return m_metrics; }
    QString databaseDescription() const;
    QDateTime startedAt() const { return m_startedAt; }
    bool isReady() const { return m_ready; }
    bool isStopped() const { return m_finished; }
    SecretStore *secrets() const { return m_secrets.get(); } // null until start() prepared it
    // Agent accounts (null until the API is up): the desktop Agents/Settings panels call these in-process.
    domain::VerificationService *verification() const { return m_ready ? m_verification.get() : nullptr; }
    domain::HeartbeatService *heartbeat() const { return m_ready ? m_heartbeat.get() : nullptr; }
    // The moderation services (null until the API is up): the desktop panels call these in-process.
    moderation::AdminAuthService *adminAuth() const { return m_ready ? m_adminAuth.get() : nullptr; }
    moderation::ReviewService *reviews() const { return m_ready ? m_reviews.get() : nullptr; }
    moderation::AdminOpsService *adminOps() const { return m_ready ? m_adminOps.get() : nullptr; }
    // People's accounts (null until the API is up); humanCodes()->heldCodes() is what a Humans
    // panel shows when no SMTP is configured.
    humans::HumanCodes *humanCodes() const;

    // The job queue (null until the API is up): handlers/schedules are registered in startHttp();
    // panels call its static list/counts/redrive. Workers run only when jobs/enabled.
    jobs::JobSystem *jobs() const { return m_ready ? m_jobs.get() : nullptr; }
    // Guardrail settings/patterns (GuardrailSettingsStore::update audits edits), the evaluator and
    // the classifier hub, for the desktop panels (null until the API is up).
    guardrails::GuardrailStack *guardrails() const { return m_ready ? m_guardrails.get() : nullptr; }

    // The BetterWorld process whose embedded database we use (attachToRunning), 0 when we run our own.
    qint64 attachedTo() const { return m_attachedTo; }
    // "<what>, and BetterWorld (pid N) is serving this data directory. Stop it … or …": for commands
    // that need the database to themselves.
    QString runningServerNote(const QString &what) const;

    // Maintenance mode: writes and /ready answer 503 (restores use this); job workers pause.
    void setMaintenance(bool on);

Q_SIGNALS:
    void progress(const QString &message);
    void ready();
    void failed(const QString &message);
    void stopped();

private:
    Status prepareSecretsAndCluster();                    // worker thread
    Status connectAndMigrate();                           // worker thread
    Status migrateAtStart();                              // worker thread, connected
    Status refusePendingMigrations();                     // worker thread, attached
    void useApplicationRole();                            // worker thread, after the migrations
    Result<std::unique_ptr<domain::Mailer>> makeMailer(); // null without smtp/host
    Status startHttp();                                   // worker thread
    void fail(const QString &message);
    void createJobSystem();             // main thread, before startHttp()
    void startJobSystem();              // main thread, once HTTP is up
    void registerScheduledOperations(); // worker thread, before the job system starts
    void stopMonitoring();              // after the job system stopped
    void releaseServices();             // before the database goes
    void finishStop();                  // main thread; the embedded database stops on a pool thread
    void reportStopped();
    void databaseExited(const QString &reason);            // main thread: schedules a restart with backoff
    void restartDatabase();                                // main thread
    std::map<QString, double> databaseAlertInputs() const; // any thread (the alert engine's)

    Config m_config;
    Options m_options;
    MetricsRegistry m_metrics;
    std::unique_ptr<SecretStore> m_secrets;
    std::unique_ptr<db::EmbeddedPostgres> m_embedded;
    std::unique_ptr<db::Database> m_database;
    // Before m_jobs: its handlers use the evaluator, so it must be destroyed after the job system.
    std::unique_ptr<guardrails::GuardrailStack> m_guardrails;
    std::unique_ptr<ops::OpsJobs> m_opsJobs;                    // scheduled backups/drills; used by m_jobs' handlers
    std::unique_ptr<monitoring::MetricSampler> m_sampler;       // dashboards' history (metric_samples)
    std::unique_ptr<monitoring::AlertNotifier> m_alertNotifier; // webhook / e-mail, own thread
    std::unique_ptr<monitoring::AlertEngine> m_alerts;          // the seed's rules, run by metrics-rollup
    std::unique_ptr<jobs::JobSystem> m_jobs;                    // created in the main thread once the database is up
    std::unique_ptr<domain::AgentService> m_agents;
    std::unique_ptr<domain::ProblemService> m_problems;
    std::unique_ptr<domain::ContentServices> m_content; // solutions, debates, missions, problem edits
    std::unique_ptr<PeopleServices> m_people;           // accounts, claims, ImpactTokens (app/peopleservices.h)
    std::unique_ptr<domain::HeartbeatSigner> m_heartbeatSigner;
    std::unique_ptr<domain::HeartbeatService> m_heartbeat;
    std::unique_ptr<domain::AgentProfileService> m_profiles;
    std::unique_ptr<domain::VerificationService> m_verification; // owns the mail thread
    std::unique_ptr<moderation::AdminAuthService> m_adminAuth;
    std::unique_ptr<moderation::ReviewService> m_reviews;
    std::unique_ptr<moderation::AdminOpsService> m_adminOps;
    std::unique_ptr<ops::OperationRegistry> m_operations; // backups/restores started over the API
    std::unique_ptr<ops::OpsAdminService> m_opsAdmin;
    std::unique_ptr<http::Router> m_router;
    std::unique_ptr<http::RateLimiter> m_rateLimiter; // InMemoryRateLimiter or PgRateLimiter (rate_limit/store)
    std::unique_ptr<http::RequestPool> m_pool;
    std::unique_ptr<http::Pipeline> m_pipeline;
    std::unique_ptr<http::HttpServer> m_server;
    QString m_dbPassword;
    qint64 m_attachedTo = 0;
    QList<qint64> m_databaseExits;     // ms since epoch of recent unexpected exits (main thread)
    bool m_restartingDatabase = false; // main thread
    std::atomic<qint64> m_lastDatabaseRestart{0};
    QDateTime m_startedAt;
    std::atomic_bool m_maintenance{false};
    std::atomic_bool m_stopping{false};
    std::atomic_bool m_draining{false};         // the drain task is running on a worker thread
    std::atomic_bool m_stoppingDatabase{false}; // the embedded database is stopping on a worker thread
    bool m_ready = false;
    bool m_starting = false;
    bool m_stopped = false;
    bool m_finished = false;
};

} // namespace bw::app
