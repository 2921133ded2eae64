#include "runtime.h"

#include "opscommands.h"

#include <QScopeGuard>

#include "app/contentservices.h"
#include "app/peopleservices.h"
#include "app/readiness.h"
#include "server/core/logging.h"
#include "server/core/secretstore.h"
#include "server/db/database.h"
#include "server/db/embeddedpostgres.h"
#include "server/db/migrator.h"
#include "server/db/sql.h"
#include "server/domain/accounts/agentprofileservice.h"
#include "server/domain/accounts/agentservice.h"
#include "server/domain/accounts/heartbeatservice.h"
#include "server/domain/accounts/heartbeatsigner.h"
#include "server/domain/accounts/verificationservice.h"
#include "server/domain/content/problemservice.h"
#include "server/domain/mail/smtpmailer.h"
#include "server/guardrails/guardrailjobs.h"
#include "server/guardrails/guardrailsettings.h"
#include "server/guardrails/guardrailstack.h"
#include "server/http/controllers/adminauthcontroller.h"
#include "server/http/controllers/adminbackupscontroller.h"
#include "server/http/controllers/adminopscontroller.h"
#include "server/http/controllers/adminreviewcontroller.h"
#include "server/http/controllers/agentscontroller.h"
#include "server/http/controllers/debatescontroller.h"
#include "server/http/controllers/guardrailscontroller.h"
#include "server/http/controllers/healthcontroller.h"
#include "server/http/controllers/heartbeatcontroller.h"
#include "server/http/controllers/missionscontroller.h"
#include "server/http/controllers/problemscontroller.h"
#include "server/http/controllers/skillscontroller.h"
#include "server/http/controllers/solutionscontroller.h"
#include "server/http/pgratelimiter.h"
#include "server/http/pipeline.h"
#include "server/http/ratelimiter.h"
#include "server/http/requestpool.h"
#include "server/http/router.h"
#include "server/http/server.h"
#include "server/jobs/job.h"
#include "server/jobs/jobsystem.h"
#include "server/moderation/adminauthservice.h"
#include "server/moderation/adminopsservice.h"
#include "server/moderation/reviewservice.h"
#include "server/monitoring/alertengine.h"
#include "server/monitoring/alertnotifier.h"
#include "server/monitoring/metricjobs.h"
#include "server/monitoring/metricsampler.h"
#include "server/ops/archiveservice.h"
#include "server/ops/operationregistry.h"
#include "server/ops/opsadminservice.h"
#include "server/ops/opsjobs.h"
#include "server/ops/opsservices.h"
#include "server/secrets/keychainsecretstore.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFuture>
#include <QRandomGenerator>
#include <QThread>
#include <QThreadPool>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

namespace bw::app {

namespace {
constexpr auto kDbPasswordSecret = "database-password";

QByteArray randomPassword()
{
    QByteArray raw(24, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(raw.data()), raw.size() / 4);
    return raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// Runs a blocking step on the global pool and delivers its Status to onDone in the Runtime's
// (main) thread. Steps that use the database close their connection before returning, because
// pool threads outlive the call.
template <typename Fn, typename Done>
void runOffThread(Runtime *self, Fn fn, Done onDone)
{
    QtConcurrent::run(fn).then(self, onDone);
}
} // namespace

Runtime::Runtime(Config config, Options options, std::unique_ptr<SecretStore> secrets, QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_options(options), m_secrets(std::move(secrets))
{
    // The global pool runs our blocking steps (runOffThread, QtConcurrent in the CLI and panels);
    // its threads take the pool's name when they are created.
    if (QThreadPool::globalInstance()->objectName().isEmpty())
        QThreadPool::globalInstance()->setObjectName(QStringLiteral("bw-pool"));
}

Runtime::~Runtime()
{
    // Normal shutdown goes through stop(); this is the last line of defence (tests, early exits).
    // A drain still running on a worker uses the server and pool: let it finish first.
    while (m_draining || m_stoppingDatabase)
        QThread::msleep(10);
    if (m_jobs)
        m_jobs->stop(2000); // before anything its handlers use
    m_jobs.reset();
    stopMonitoring();
    if (m_server)
        m_server->shutdown(2000);
    if (m_pool)
        m_pool->stop();
    m_server.reset();
    m_pipeline.reset();
    if (m_database)
        m_database->releaseThisThread();
    releaseServices();
    m_guardrails.reset(); // after the job system stopped
    m_database.reset();
    if (m_embedded)
        (void)m_embedded->stop(15000);
}

// After the job system stopped (its handlers use these): the ops handlers, the sampler thread and
// the alert notifier, which delivers what is queued within its timeouts.
void Runtime::stopMonitoring()
{
    m_opsJobs.reset();
    if (m_sampler)
        m_sampler->stop();
    if (m_alertNotifier)
        m_alertNotifier->stop();
    m_alerts.reset();
    m_alertNotifier.reset();
    m_sampler.reset();
}

// The request-facing services, in reverse order of construction, while the database is still there.
void Runtime::releaseServices()
{
    m_people.reset(); // the codes' mail thread stops
    m_opsAdmin.reset();
    m_operations.reset(); // cancels what still runs (a restore past its point of no return finishes)
    m_adminOps.reset();
    m_reviews.reset();
    m_adminAuth.reset();
    m_verification.reset(); // stops the mail thread
    m_profiles.reset();
    m_heartbeat.reset();
    m_heartbeatSigner.reset();
    m_content.reset();
    m_problems.reset();
    m_agents.reset();
}

quint16 Runtime::port() const
{
    return m_server ? m_server->port() : 0;
}
db::Database *Runtime::database() const
{
    return m_ready ? m_database.get() : nullptr;
}

humans::HumanCodes *Runtime::humanCodes() const
{
    return m_ready && m_people ? &m_people->codes : nullptr;
}

QString Runtime::databaseDescription() const
{
    if (m_config.embeddedDatabase())
        return tr("embedded PostgreSQL %1 in %2")
            .arg(m_embedded ? m_embedded->serverVersion() : QString(), m_config.clusterDir());
    return m_database ? m_database->settings().redactedUrl() : tr("external PostgreSQL");
}

void Runtime::fail(const QString &message)
{
    m_starting = false;
    qCCritical(lcApp).noquote() << message;
    Q_EMIT failed(message);
}

void Runtime::start()
{
    if (m_starting || m_ready)
        return;
    m_starting = true;
    m_startedAt = QDateTime::currentDateTimeUtc();
    if (m_config.embeddedDatabase())
        m_embedded = std::make_unique<db::EmbeddedPostgres>(db::EmbeddedPostgresOptions{
            .clusterDir = m_config.clusterDir(),
            .binDir = m_config.pgBinDir,
            .extraSettings = ops::ArchiveService::embeddedSettings(m_config)}); // WAL archiving (PITR)
    Q_EMIT progress(tr("Preparing the database…"));
    runOffThread(
        this, [this] { return prepareSecretsAndCluster(); },
        [this](Status s) {
            if (!s)
                return fail(s.error().message);
            if (m_stopping)
                return finishStop();
            if (m_embedded && !m_embedded->isAttached()) {
                // Spawned from the main thread: the server's parent-death signal follows this thread.
                if (Status started = m_embedded->start(); !started)
                    return fail(started.error().message);
                connect(m_embedded.get(), &db::EmbeddedPostgres::exitedUnexpectedly, this, &Runtime::databaseExited);
            }
            Q_EMIT progress(tr("Starting the database…"));
            runOffThread(
                this, [this] { return connectAndMigrate(); },
                [this](Status s2) {
                    if (!s2)
                        return fail(s2.error().message);
                    if (m_stopping)
                        return finishStop();
                    if (!m_options.serveHttp) {
                        m_starting = false;
                        m_ready = true;
                        Q_EMIT ready();
                        return;
                    }
                    createJobSystem(); // before startHttp(), which registers the job handlers
                    Q_EMIT progress(tr("Starting the API server…"));
                    auto *database = m_database.get();
                    runOffThread(
                        this,
                        [this, database] {
                            Status st = startHttp();
                            database->releaseThisThread();
                            return st;
                        },
                        [this](Status s3) {
                            if (!s3)
                                return fail(s3.error().message);
                            startJobSystem();
                            m_starting = false;
                            m_ready = true;
                            qCInfo(lcApp).noquote()
                                << "ready: API on" << QStringLiteral("%1:%2").arg(m_config.listenHost).arg(port()) << "database"
                                << databaseDescription();
                            Q_EMIT ready();
                            if (m_stopping)
                                stop();
                        });
                });
        });
}

Status Runtime::prepareSecretsAndCluster()
{
    if (!QDir().mkpath(m_config.dataDir))
        return ApiError::internal(tr("cannot create the data directory %1").arg(m_config.dataDir));
    if (!m_secrets) {
        auto store = makeSecretStore(m_config.secretsBackend, m_config.dataDir);
        if (!store)
            return store.error();
        m_secrets = std::move(*store);
    }
    if (!m_embedded)
        return success();
    auto password = readOrCreateSecret(*m_secrets, QString::fromLatin1(kDbPasswordSecret), randomPassword);
    if (!password)
        return ApiError::internal(
            tr("cannot read the database password from %1: %2").arg(m_secrets->description(), password.error().message));
    m_dbPassword = QString::fromLatin1(*password);
    if (const auto running = db::EmbeddedPostgres::findRunning(m_config.clusterDir())) {
        const qint64 owner = running->ownerPid ? running->ownerPid : running->postmasterPid;
        if (!m_options.attachToRunning)
            return ApiError::conflict(tr("BetterWorld is already running on this data directory (process %1, %2). Stop it "
                                         "first or choose another --data-dir; commands such as `betterworld backup list` "
                                         "work alongside it.")
                                          .arg(owner)
                                          .arg(m_config.dataDir));
        // CLI: work through the running server's database and leave its files alone.
        m_embedded->attach(*running, m_dbPassword);
        m_attachedTo = owner;
        qCInfo(lcApp).noquote() << "using the database of the running BetterWorld (pid" << m_attachedTo << ")";
        return success();
    }
    if (Status archiving = ops::ArchiveService::prepareEmbedded(m_config); !archiving)
        qCWarning(lcApp).noquote() << "WAL archiving disabled:" << archiving.error().message;
    return m_embedded->prepare(m_dbPassword);
}

Status Runtime::connectAndMigrate()
{
    db::ConnectionSettings settings;
    if (m_embedded) {
        if (Status up = m_embedded->waitUntilReady(30000); !up)
            return up;
        settings = m_embedded->connectionSettings(m_dbPassword);
    } else {
        auto parsed = db::ConnectionSettings::fromUrl(m_config.databaseUrl);
        if (!parsed)
            return ApiError::badRequest(tr("invalid database URL: %1").arg(parsed.error().message));
        settings = *parsed;
    }
    settings.statementTimeoutMs = m_config.statementTimeoutMs;
    settings.idleInTransactionTimeoutMs = m_config.idleInTransactionTimeoutMs;
    m_database = std::make_unique<db::Database>(settings);
    Status result = m_database->ping();
    if (!result) {
        result = ApiError::unavailable(
            tr("cannot connect to the database %1: %2").arg(settings.redactedUrl(), result.error().message));
    } else if (m_options.applyMigrations && m_attachedTo) {
        result = refusePendingMigrations();
    } else if (m_options.applyMigrations) {
        result = migrateAtStart();
    }
    if (result)
        useApplicationRole();
    m_database->releaseThisThread(); // the next connection of this thread gets the role too
    return result;
}

// Pending migrations at start go through the guard of `migrate up` (lint; a pre-migration
// snapshot when the database holds data), under the migrators' advisory lock: nodes starting
// together snapshot and migrate once, the others then find nothing pending. Worker thread.
Status Runtime::migrateAtStart()
{
    QSqlDatabase db = m_database->connection();
    if (Status locked = db::Migrator::lock(db); !locked)
        return locked;
    const auto unlock = qScopeGuard([&db] { db::Migrator::unlock(db); });
    QString report;
    QTextStream out(&report);
    MigrationGuard guard;
    const auto snapshotProgress = [this, step = std::make_shared<QString>()](const ops::Progress &p) {
        if (p.stepLabel.isEmpty() || p.stepLabel == *step)
            return;
        *step = p.stepLabel;
        qCInfo(lcApp).noquote() << "pre-migration snapshot:" << p.stepLabel;
        Q_EMIT progress(tr("Pre-migration snapshot: %1").arg(p.stepLabel));
    };
    Status result = guard.before(m_config, *m_database, false, out, snapshotProgress);
    if (result) {
        auto applied = db::Migrator(db::Migrator::builtIn()).up(db);
        guard.after(*m_database, out);
        if (!applied)
            result = applied.error();
        else if (!applied->isEmpty())
            qCInfo(lcApp) << "applied migrations" << *applied;
    } else {
        result = ApiError::unavailable(tr("pending migrations were not applied: %1. The findings are in the log; "
                                          "`betterworld migrate up --force` applies them anyway.")
                                           .arg(result.error().message));
    }
    out.flush();
    for (const QString &line : report.split(u'\n', Qt::SkipEmptyParts)) {
        if (result)
            qCInfo(lcApp).noquote() << line;
        else
            qCWarning(lcApp).noquote() << line;
    }
    return result;
}

// Attached to a running server: its schema is its business. A newer binary with pending migrations
// must not change the schema under it. Worker thread.
Status Runtime::refusePendingMigrations()
{
    auto upToDate = db::Migrator(db::Migrator::builtIn()).isUpToDate(m_database->connection());
    if (!upToDate)
        return upToDate.error();
    if (*upToDate)
        return success();
    return ApiError::conflict(
        runningServerNote(tr("this version of betterworld has migrations the running one has not applied")));
}

QString Runtime::runningServerNote(const QString &what) const
{
    return tr("%1, and BetterWorld (pid %2) is serving this data directory. Stop it (systemctl stop betterworld, or quit "
              "the desktop app), then run the command again; or do it through the running server (the console's panels "
              "or the admin API).")
        .arg(what)
        .arg(m_attachedTo);
}

// The SMTP mailer of the smtp/* settings (password: the secret smtp-password), or null without
// smtp/host. Verification codes and alert e-mails each get their own instance (own thread).
Result<std::unique_ptr<domain::Mailer>> Runtime::makeMailer()
{
    if (m_config.smtp.host.isEmpty())
        return std::unique_ptr<domain::Mailer>();
    domain::SmtpOptions smtp;
    smtp.host = m_config.smtp.host;
    smtp.port = quint16(m_config.smtp.port);
    smtp.username = m_config.smtp.username;
    smtp.from = m_config.smtp.from;
    smtp.startTls = m_config.smtp.startTls;
    smtp.caFile = m_config.smtp.caFile;
    smtp.timeoutMs = m_config.smtp.timeoutMs;
    QByteArray password = qgetenv(FileSecretStore::environmentName(QStringLiteral("smtp-password")).toLatin1().constData());
    if (password.isEmpty()) {
        auto stored = m_secrets->read(QStringLiteral("smtp-password"));
        if (!stored)
            return ApiError::internal(
                tr("cannot read the SMTP password from %1: %2").arg(m_secrets->description(), stored.error().message));
        password = stored->value_or(QByteArray());
    }
    if (password.isEmpty() && !smtp.username.isEmpty())
        qCWarning(lcApp) << "smtp/username is set but the secret smtp-password is empty";
    smtp.password = QString::fromUtf8(password);
    return std::unique_ptr<domain::Mailer>(std::make_unique<domain::SmtpMailer>(smtp));
}

// Everything after the migrations runs as betterworld_app (migration 0006): plain DML, and no
// UPDATE/DELETE on the audit log. Where the role could not be created (a managed PostgreSQL
// without CREATEROLE) the login user is kept and we say so.
void Runtime::useApplicationRole()
{
    static const QString role = QStringLiteral("betterworld_app");
    auto q = db::exec(m_database->connection(),
                      QStringLiteral("SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?)"
                                     " THEN pg_has_role(current_user, ?, 'USAGE') ELSE false END"),
                      {role, role});
    if (q && q->next() && q->value(0).toBool()) {
        m_database->setSessionRole(role);
        return;
    }
    qCWarning(lcApp).noquote() << "the database role" << role << "is not available; the app works as"
                               << m_database->settings().user << "(the audit log is then protected by its trigger only)";
}

Status Runtime::startHttp()
{
    m_agents = std::make_unique<domain::AgentService>(*m_database);
    m_problems = std::make_unique<domain::ProblemService>(*m_database);
    m_content = std::make_unique<domain::ContentServices>(*m_database);
    // People (humans.md): accounts, sessions, profiles, claims and tokens. Codes get their own mailer (thread).
    auto peopleMailer = makeMailer();
    if (!peopleMailer)
        return peopleMailer.error();
    m_people = std::make_unique<PeopleServices>(*m_database, std::move(*peopleMailer));
    m_router = std::make_unique<http::Router>();

    http::HealthDeps health;
    auto *database = m_database.get();
    health.ready = readinessChecks(*m_database, m_config.dataDir);
    health.ready.maintenance = [this] { return m_maintenance.load(); };
    health.ready.startedAt = m_startedAt;
    health.metrics = &m_metrics;
    health.metricsAllow = m_config.metricsAllow;
    health.metricsToken = m_config.metricsToken;
    http::registerHealthRoutes(*m_router, health);
    // Agent accounts: e-mail verification (SMTP or the administrators' sink), profiles and the
    // directory, the signed heartbeat and our skill files (api.md §5, §6, §8).
    m_heartbeatSigner = std::make_unique<domain::HeartbeatSigner>(*m_secrets, *m_database);
    if (Status keys = m_heartbeatSigner->loadOrCreate(); !keys)
        return ApiError::internal(tr("cannot load the heartbeat signing key: %1").arg(keys.error().message));
    auto mailer = makeMailer();
    if (!mailer)
        return mailer.error();
    m_verification = std::make_unique<domain::VerificationService>(*m_database, *m_agents, std::move(*mailer));
    qCInfo(lcApp).noquote() << "verification mail:" << m_verification->deliveryDescription();
    m_profiles = std::make_unique<domain::AgentProfileService>(*m_database);
    m_heartbeat = std::make_unique<domain::HeartbeatService>(*m_database, *m_heartbeatSigner);
    http::registerAgentRoutes(*m_router, *m_agents, m_config.maxJsonDepth, m_verification.get());
    http::registerAgentAccountRoutes(*m_router, *m_agents, *m_profiles, *m_verification, m_config.maxJsonDepth);
    http::registerHeartbeatRoutes(*m_router, *m_heartbeat, m_config.maxJsonDepth);
    http::registerSkillRoutes(*m_router, *m_heartbeat, m_config.publicUrl);
    http::registerProblemRoutes(*m_router, *m_problems, m_config.maxJsonDepth);
    http::registerProblemEditRoutes(*m_router, m_content->problemEdits, m_config.maxJsonDepth);
    http::registerSolutionRoutes(*m_router, m_content->solutions, m_config.maxJsonDepth);
    http::registerDebateRoutes(*m_router, m_content->debates, m_config.maxJsonDepth);
    http::registerMissionRoutes(*m_router, m_content->missions, m_content->market, m_config.maxJsonDepth);

    // Guardrails (guardrails.md): policy settings, classifier, evaluator on the job queue, and the
    // agent-facing evaluate/status routes. Untouched settings rows show this node's configuration.
    m_guardrails = guardrails::GuardrailStack::create(*m_database, m_config.guardrails, m_secrets.get(), &m_metrics);
    if (Status synced = m_guardrails->settings->syncNodeConfig(); !synced)
        qCWarning(lcApp).noquote() << "guardrail settings not synchronised:" << synced.error().message;
    if (m_jobs) {
        jobs::QueueSettings guardrailQueue;
        guardrailQueue.concurrency = m_config.jobs.guardrailConcurrency;
        guardrailQueue.leaseSeconds = m_config.jobs.leaseSeconds;
        guardrails::registerGuardrailJobs(*m_jobs, *m_guardrails->evaluator, guardrailQueue);
        registerScheduledOperations();
    }
    http::registerGuardrailRoutes(*m_router, *m_guardrails->service, m_config.maxJsonDepth);

    // Moderation: admin sessions, the review queue and admin controls (api.md §9).
    m_adminAuth = std::make_unique<moderation::AdminAuthService>(
        *m_database,
        moderation::AdminAuthService::Options{.sessionTtl = std::chrono::hours(m_config.admin.sessionHours),
                                              .lockoutFailures = m_config.admin.lockoutFailures,
                                              .lockoutDuration = std::chrono::minutes(m_config.admin.lockoutMinutes)});
    m_reviews = std::make_unique<moderation::ReviewService>(
        *m_database, moderation::ReviewService::Options{.claimLease = std::chrono::minutes(m_config.admin.claimLeaseMinutes),
                                                        .metrics = &m_metrics});
    m_adminOps = std::make_unique<moderation::AdminOpsService>(
        *m_database, moderation::AdminOpsService::Options{
                         .agentChanged = [agents = m_agents.get()](const QString &id) { agents->forgetAgent(id); }});
    http::registerAdminAuthRoutes(*m_router, *m_adminAuth, m_config.maxJsonDepth);
    http::registerAdminReviewRoutes(*m_router, *m_reviews, m_config.maxJsonDepth);
    http::registerAdminOpsRoutes(*m_router, *m_adminOps, m_config.maxJsonDepth);
    // Backups and restores over the API run as operations on their own threads; a restore uses
    // the same maintenance switch as the desktop's.
    m_operations = std::make_unique<ops::OperationRegistry>([database] { database->releaseThisThread(); });
    m_opsAdmin = std::make_unique<ops::OpsAdminService>(m_config, *m_database, *m_operations, [this, database] {
        return ops::OpsServices::create(
            m_config, *database, m_secrets.get(), [this](bool on) { setMaintenance(on); }, &m_metrics);
    });
    http::registerAdminBackupRoutes(*m_router, *m_opsAdmin, m_config.maxJsonDepth);
    m_people->registerRoutes(*m_router, m_config.maxJsonDepth);

    // Shared store when several nodes may run on this database (api.md §4); see RateLimitConfig::store.
    const QString store = m_config.rateLimits.store;
    if (store == u"postgres" || (store == u"auto" && !m_config.embeddedDatabase()))
        m_rateLimiter = std::make_unique<http::PgRateLimiter>(*m_database, &m_metrics);
    else
        m_rateLimiter = std::make_unique<http::InMemoryRateLimiter>();
    qCInfo(lcApp).noquote() << "rate-limit store:"
                            << (m_rateLimiter->usesDatabase() ? "postgres (shared by all nodes)" : "memory (this node)");
    m_pool = std::make_unique<http::RequestPool>(m_config.requestThreads, m_config.requestQueueLimit,
                                                 [database] { database->releaseThisThread(); });
    http::PipelineDeps deps;
    deps.router = m_router.get();
    deps.rateLimiter = m_rateLimiter.get();
    deps.pool = m_pool.get();
    deps.metrics = &m_metrics;
    deps.authenticate = [agents = m_agents.get()](const QString &key) { return agents->authenticate(key); };
    deps.authenticateAdmin = [auth = m_adminAuth.get()](const QString &token, const QString &ip) {
        return auth->authenticate(token, ip);
    };
    deps.authenticateHuman = [sessions = &m_people->sessions](const QString &token) { return sessions->authenticate(token); };
    deps.gate = [this](const http::Request &req) -> std::optional<ApiError> {
        // Reads go on, and so may a cancel of the operation that is running (a restore before its swap).
        static const QString operations = QStringLiteral("/api/v1/admin/operations/");
        if (m_maintenance && req.method != "GET" && req.method != "HEAD" && !req.path.startsWith(operations))
            return ApiError::unavailable(QStringLiteral("Maintenance in progress; writes are paused"));
        return std::nullopt;
    };
    m_pipeline = std::make_unique<http::Pipeline>(m_config, std::move(deps));
    m_server = std::make_unique<http::HttpServer>(m_config, *m_pipeline, &m_metrics);
    return m_server->start();
}

void Runtime::stop()
{
    m_stopping = true;
    if (m_starting || m_stopped)
        return; // the start chain notices m_stopping and finishes the stop
    m_stopped = true;
    m_ready = false;
    qCInfo(lcApp) << "shutting down: draining HTTP connections";
    auto *server = m_server.get();
    auto *pool = m_pool.get();
    auto *jobs = m_jobs.get();
    const int timeout = m_config.shutdownTimeoutMs;
    if (jobs)
        jobs->pause(true); // stop claiming now; running jobs go on while HTTP drains
    m_draining = true;
    QtConcurrent::run([server, pool, jobs, timeout, draining = &m_draining] {
        const QDeadlineTimer deadline(timeout);
        if (server)
            server->shutdown(timeout);
        if (pool)
            pool->stop(); // finishes queued handlers; each pool thread closes its connection
        if (jobs)         // running jobs get what is left of the limit (at least 1 s), then lose their leases
            jobs->stop(int(std::max<qint64>(1000, deadline.remainingTime())));
        *draining = false;
    }).then(this, [this] { finishStop(); });
}

void Runtime::createJobSystem()
{
    m_jobs = std::make_unique<jobs::JobSystem>(*m_database, m_metrics, jobs::JobSystem::defaultNodeId());
    jobs::QueueSettings defaults;
    defaults.leaseSeconds = m_config.jobs.leaseSeconds;
    m_jobs->setDefaultQueueSettings(defaults);
    jobs::QueueSettings guardrail = defaults;
    guardrail.concurrency = m_config.jobs.guardrailConcurrency;
    m_jobs->setQueueSettings(QStringLiteral("guardrail-evaluation"), guardrail);
}

// The cron schedules of operations.md (one leader node runs them): backups, verification, drills,
// pgBackRest base backups, and the daily mission expiration at 02:00 UTC.
void Runtime::registerScheduledOperations()
{
    m_opsJobs = std::make_unique<ops::OpsJobs>(*m_database, m_config, m_secrets.get(), &m_metrics);
    const QString opsQueue = QString::fromLatin1(ops::OpsJobs::kQueue);
    jobs::QueueSettings opsSettings;
    opsSettings.concurrency = 1; // one backup/drill at a time per node
    opsSettings.leaseSeconds = m_config.jobs.leaseSeconds;
    m_jobs->setQueueSettings(opsQueue, opsSettings);
    for (const ops::OpsSchedule &s : ops::OpsJobs::schedules(m_config))
        m_jobs->addSchedule(s.name, s.cron, s.queue, s.kind);
    for (const QString &kind : ops::OpsJobs::kinds())
        m_jobs->registerHandler(opsQueue, kind, [opsJobs = m_opsJobs.get()](const jobs::Job &job, jobs::JobContext &context) {
            return opsJobs->run(job.kind, job.payload, [&context] { return context.cancelled(); });
        });
    // The WAL archive's stanza and first base backup, checked now rather than in 10 minutes: as a
    // job, so a run stopped early is picked up again at the next start.
    if (m_config.embeddedDatabase() && ops::ArchiveService::wanted(m_config)) {
        const QString check = QString::fromLatin1(ops::OpsJobs::kArchiveCheck);
        if (auto id = jobs::enqueue(m_database->connection(), opsQueue, check, {}, {.uniqueKey = check}); !id)
            qCWarning(lcApp).noquote() << "cannot queue the WAL archive check:" << id.error().message;
    }

    // Dashboards' history and the seed's alert rules: every node samples its own series; the
    // leader's metrics-rollup job records the cluster series, prunes and evaluates the alerts.
    m_sampler = std::make_unique<monitoring::MetricSampler>(
        *m_database, m_metrics, monitoring::MetricSampler::Options{.nodeId = m_jobs->nodeId(), .diskPath = m_config.dataDir});
    auto alertMailer = m_config.alerts.emailTo.isEmpty()
                           ? Result<std::unique_ptr<domain::Mailer>>(std::unique_ptr<domain::Mailer>())
                           : makeMailer();
    if (!alertMailer)
        qCWarning(lcApp).noquote() << "alert e-mail disabled:" << alertMailer.error().message;
    m_alertNotifier = std::make_unique<monitoring::AlertNotifier>(
        m_database.get(),
        monitoring::AlertNotifier::Options{.webhookUrl = m_config.alerts.webhookUrl, .emailTo = m_config.alerts.emailTo},
        alertMailer ? std::move(*alertMailer) : nullptr);
    m_alerts = std::make_unique<monitoring::AlertEngine>(
        monitoring::AlertEngine::Options{.healthUrls = m_config.alerts.healthUrls,
                                         .processInputs = [this] { return databaseAlertInputs(); }},
        m_alertNotifier.get());
    monitoring::registerMetricJobs(*m_jobs, *m_database, *m_sampler, m_alerts.get());

    const QString maintenance = QString::fromLatin1(jobs::JobSystem::kMaintenanceQueue);
    m_jobs->addSchedule(QStringLiteral("missions-expire"), QStringLiteral("0 2 * * *"), maintenance,
                        QStringLiteral("expire-missions"));
    m_jobs->registerHandler(maintenance, QStringLiteral("expire-missions"),
                            [missions = &m_content->missions](const jobs::Job &, jobs::JobContext &) -> Status {
                                auto expired = missions->expireOverdue();
                                if (!expired)
                                    return expired.error();
                                qCInfo(lcApp) << "missions expired:" << *expired;
                                return success();
                            });
    registerClaimsLedgerJobs(*m_jobs, m_people->claimsLedger); // claims-expiry daily, ledger-verify weekly
}

void Runtime::startJobSystem()
{
    if (m_sampler)
        m_sampler->start(); // this node's series every minute, also on API-only nodes
    if (!m_jobs)
        return;
    if (!m_config.jobs.enabled) {
        qCInfo(lcApp) << "job workers disabled on this node (jobs/enabled = false)";
        return;
    }
    if (m_maintenance)
        m_jobs->pause(true); // starts paused
    if (Status s = m_jobs->start(); !s)
        qCCritical(lcApp).noquote() << "job system did not start:" << s.error().message;
}

// Supervision of the embedded PostgreSQL (main thread). A crash or kill is answered with a restart —
// crash recovery replays the WAL, so every committed write is there — after 1, 2, 4 … 30 s; requests
// meanwhile get 503 + Retry-After from the failing connections, and the pool reconnects by itself.
// More than kMaxRestarts within kRestartWindow means something is really wrong: stop trying, fail.
namespace {
constexpr int kMaxRestarts = 5;
constexpr qint64 kRestartWindowMs = 10 * 60 * 1000;
constexpr qint64 kRestartAlertMs = 10 * 60 * 1000; // DatabaseRestarted stays firing this long
} // namespace

void Runtime::databaseExited(const QString &reason)
{
    if (m_stopping || m_finished || m_restartingDatabase)
        return;
    m_metrics.gauge(QStringLiteral("embedded_db_up"), QStringLiteral("1 while the embedded PostgreSQL runs")).set(0);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_databaseExits.append(now);
    while (!m_databaseExits.isEmpty() && now - m_databaseExits.first() > kRestartWindowMs)
        m_databaseExits.removeFirst();
    if (m_databaseExits.size() > kMaxRestarts) {
        const QString message = tr("The embedded PostgreSQL stopped %1 times within %2 minutes; it is no longer restarted. "
                                   "Last reason: %3")
                                    .arg(m_databaseExits.size())
                                    .arg(kRestartWindowMs / 60000)
                                    .arg(reason);
        qCCritical(lcApp).noquote() << message;
        Q_EMIT failed(message);
        return;
    }
    const int delayMs = int(qMin<qint64>(30000, 1000LL << (m_databaseExits.size() - 1)));
    qCCritical(lcApp).noquote() << "the embedded PostgreSQL exited unexpectedly; restarting it in" << delayMs << "ms:" << reason;
    m_restartingDatabase = true;
    QTimer::singleShot(delayMs, this, &Runtime::restartDatabase);
}

void Runtime::restartDatabase()
{
    if (m_stopping || m_finished) {
        m_restartingDatabase = false;
        return;
    }
    const auto retry = [this](const QString &why) {
        m_restartingDatabase = false;
        databaseExited(why);
    };
    // prepare() waits for the killed server's backends to go; then start() on this (main) thread.
    runOffThread(
        this, [this] { return m_embedded->prepare(m_dbPassword); },
        [this, retry](Status prepared) {
            if (!prepared)
                return retry(prepared.error().message);
            if (m_stopping)
                return void(m_restartingDatabase = false);
            if (Status started = m_embedded->start(); !started)
                return retry(started.error().message);
            runOffThread(
                this, [this] { return m_embedded->waitUntilReady(0); },
                [this, retry](Status up) {
                    if (!up)
                        return retry(up.error().message);
                    m_restartingDatabase = false;
                    m_lastDatabaseRestart = QDateTime::currentMSecsSinceEpoch();
                    m_metrics.gauge(QStringLiteral("embedded_db_up"), QStringLiteral("1 while the embedded PostgreSQL runs"))
                        .set(1);
                    m_metrics
                        .counter(QStringLiteral("embedded_db_restarts_total"),
                                 QStringLiteral("Restarts of the embedded PostgreSQL after it exited unexpectedly"))
                        .inc();
                    qCWarning(lcApp) << "the embedded PostgreSQL is back after crash recovery";
                });
        });
}

monitoring::AlertInputs Runtime::databaseAlertInputs() const
{
    if (!m_embedded)
        return {};
    const qint64 last = m_lastDatabaseRestart.load();
    const bool recent = last > 0 && QDateTime::currentMSecsSinceEpoch() - last < kRestartAlertMs;
    return {{QString::fromLatin1(monitoring::alertinput::kDatabaseRestarted), recent ? 1.0 : 0.0}};
}

void Runtime::setMaintenance(bool on)
{
    m_maintenance = on;
    if (m_jobs)
        m_jobs->pause(on);
    if (!on && m_agents)
        m_agents->clearAuthCache(); // a restore may have replaced every agent and key
}

void Runtime::finishStop()
{
    m_stopped = true;
    m_starting = false;
    m_server.reset();
    m_pipeline.reset();
    m_pool.reset();
    if (m_jobs)
        m_jobs->stop(2000); // normally done by the drain; here when start was interrupted
    const bool jobStragglers = m_jobs && m_jobs->stragglers() > 0;
    m_jobs.reset();
    stopMonitoring();
    releaseServices();
    if (jobStragglers)
        (void)m_guardrails.release(); // a straggling handler may still be inside the evaluator
    m_guardrails.reset();
    if (m_database)
        m_database->releaseThisThread();
    if (jobStragglers) {
        // Job handlers that ignored shutdown still hold connections: leave the Database to the
        // process exit rather than pull it from under them.
        qCWarning(lcApp) << "job handlers still running at shutdown; leaving their database connections to the exit";
        (void)m_database.release();
    }
    m_database.reset();
    if (m_embedded && m_embedded->isRunning()) {
        // A fast shutdown waits for a checkpoint (up to 15 s before SIGKILL): on a pool thread, so
        // the GUI keeps painting; stopped() follows when it is done. The child is reaped later in
        // this thread (QProcess) or by ~EmbeddedPostgres.
        qCInfo(lcApp) << "stopping the embedded database";
        m_stoppingDatabase = true;
        QtConcurrent::run([embedded = m_embedded.get(), flag = &m_stoppingDatabase] {
            Status s = embedded->stop(15000);
            *flag = false; // last touch of this Runtime: ~Runtime may go ahead
            return s;
        }).then(this, [this](Status s) {
            if (!s)
                qCWarning(lcApp).noquote() << s.error().message;
            reportStopped();
        });
        return;
    }
    reportStopped();
}

void Runtime::reportStopped()
{
    qCInfo(lcApp) << "stopped";
    m_finished = true;
    Q_EMIT stopped();
}

} // namespace bw::app
