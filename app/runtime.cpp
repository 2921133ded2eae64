#include "runtime.h"

#include "server/core/logging.h"
#include "server/core/secretstore.h"
#include "server/db/database.h"
#include "server/db/embeddedpostgres.h"
#include "server/db/migrator.h"
#include "server/domain/agentservice.h"
#include "server/domain/problemservice.h"
#include "server/http/controllers/agentscontroller.h"
#include "server/http/controllers/healthcontroller.h"
#include "server/http/controllers/problemscontroller.h"
#include "server/http/controllers/adminauthcontroller.h"
#include "server/http/controllers/adminopscontroller.h"
#include "server/http/controllers/adminreviewcontroller.h"
#include "server/moderation/adminauthservice.h"
#include "server/moderation/adminopsservice.h"
#include "server/moderation/reviewservice.h"
#include "server/http/pipeline.h"
#include "server/http/ratelimiter.h"
#include "server/http/requestpool.h"
#include "server/http/router.h"
#include "server/http/server.h"
#include "server/secrets/keychainsecretstore.h"

#include <QDir>
#include <QFileInfo>
#include <QFuture>
#include <QRandomGenerator>
#include <QStorageInfo>
#include <QThread>
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
}

Runtime::~Runtime()
{
    // Normal shutdown goes through stop(); this is the last line of defence (tests, early exits).
    // A drain still running on a worker uses the server and pool: let it finish first.
    while (m_draining)
        QThread::msleep(10);
    if (m_server)
        m_server->shutdown(2000);
    if (m_pool)
        m_pool->stop();
    m_server.reset();
    m_pipeline.reset();
    if (m_database)
        m_database->releaseThisThread();
    m_adminOps.reset();
    m_reviews.reset();
    m_adminAuth.reset();
    m_problems.reset();
    m_agents.reset();
    m_database.reset();
    if (m_embedded)
        m_embedded->stop(15000);
}

quint16 Runtime::port() const { return m_server ? m_server->port() : 0; }
db::Database *Runtime::database() const { return m_ready ? m_database.get() : nullptr; }

QString Runtime::databaseDescription() const
{
    if (m_config.embeddedDatabase())
        return tr("embedded PostgreSQL %1 in %2").arg(m_embedded ? m_embedded->serverVersion() : QString(), m_config.clusterDir());
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
            .clusterDir = m_config.clusterDir(), .binDir = m_config.pgBinDir});
    Q_EMIT progress(tr("Preparing the database…"));
    runOffThread(this, [this] { return prepareSecretsAndCluster(); }, [this](Status s) {
        if (!s)
            return fail(s.error().message);
        if (m_stopping)
            return finishStop();
        if (m_embedded) {
            // Spawned from the main thread: the server's parent-death signal follows this thread.
            if (Status started = m_embedded->start(); !started)
                return fail(started.error().message);
        }
        Q_EMIT progress(tr("Starting the database…"));
        runOffThread(this, [this] { return connectAndMigrate(); }, [this](Status s2) {
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
            Q_EMIT progress(tr("Starting the API server…"));
            auto *database = m_database.get();
            runOffThread(this, [this, database] {
                Status st = startHttp();
                database->releaseThisThread();
                return st;
            }, [this](Status s3) {
                if (!s3)
                    return fail(s3.error().message);
                m_starting = false;
                m_ready = true;
                qCInfo(lcApp).noquote() << "ready: API on" << QStringLiteral("%1:%2").arg(m_config.listenHost).arg(port())
                                        << "database" << databaseDescription();
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
        return ApiError::internal(tr("cannot read the database password from %1: %2").arg(m_secrets->description(), password.error().message));
    m_dbPassword = QString::fromLatin1(*password);
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
        result = ApiError::unavailable(tr("cannot connect to the database %1: %2").arg(settings.redactedUrl(), result.error().message));
    } else if (m_options.applyMigrations) {
        auto applied = db::Migrator(db::Migrator::builtIn()).up(m_database->connection());
        if (!applied)
            result = applied.error();
        else if (!applied->isEmpty())
            qCInfo(lcApp) << "applied migrations" << *applied;
    }
    m_database->releaseThisThread();
    return result;
}

Status Runtime::startHttp()
{
    m_agents = std::make_unique<domain::AgentService>(*m_database);
    m_problems = std::make_unique<domain::ProblemService>(*m_database);
    m_router = std::make_unique<http::Router>();

    http::HealthDeps health;
    auto *database = m_database.get();
    health.ready.database = [database] { return database->ping(); };
    health.ready.migrations = [database]() -> Status {
        auto upToDate = db::Migrator(db::Migrator::builtIn()).isUpToDate(database->connection());
        if (!upToDate)
            return upToDate.error();
        return *upToDate ? success() : Status(ApiError::unavailable(QStringLiteral("pending migrations")));
    };
    health.ready.storage = [dir = m_config.dataDir]() -> Status {
        const QStorageInfo info(dir);
        if (!info.isValid() || !QFileInfo(dir).isWritable())
            return ApiError::unavailable(QStringLiteral("data directory is not writable"));
        if (info.bytesAvailable() < 100LL * 1024 * 1024)
            return ApiError::unavailable(QStringLiteral("less than 100 MB free in the data directory"));
        return success();
    };
    health.ready.maintenance = [this] { return m_maintenance.load(); };
    health.ready.startedAt = m_startedAt;
    health.metrics = &m_metrics;
    health.metricsAllow = m_config.metricsAllow;
    health.metricsToken = m_config.metricsToken;
    http::registerHealthRoutes(*m_router, health);
    http::registerAgentRoutes(*m_router, *m_agents, m_config.maxJsonDepth);
    http::registerProblemRoutes(*m_router, *m_problems, m_config.maxJsonDepth);

    // Moderation: admin sessions, the review queue and admin controls (api.md §9).
    m_adminAuth = std::make_unique<moderation::AdminAuthService>(
        *m_database, moderation::AdminAuthService::Options{
                         .sessionTtl = std::chrono::hours(m_config.admin.sessionHours),
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

    m_rateLimiter = std::make_unique<http::InMemoryRateLimiter>();
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
    deps.gate = [this](const http::Request &req) -> std::optional<ApiError> {
        if (m_maintenance && req.method != "GET" && req.method != "HEAD")
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
    const int timeout = m_config.shutdownTimeoutMs;
    m_draining = true;
    QtConcurrent::run([server, pool, timeout, draining = &m_draining] {
        if (server)
            server->shutdown(timeout);
        if (pool)
            pool->stop(); // finishes queued handlers; each pool thread closes its connection
        *draining = false;
    }).then(this, [this] { finishStop(); });
}

void Runtime::finishStop()
{
    m_stopped = true;
    m_starting = false;
    m_server.reset();
    m_pipeline.reset();
    m_pool.reset();
    m_adminOps.reset();
    m_reviews.reset();
    m_adminAuth.reset();
    m_problems.reset();
    m_agents.reset();
    if (m_database)
        m_database->releaseThisThread();
    m_database.reset();
    if (m_embedded) {
        qCInfo(lcApp) << "stopping the embedded database";
        m_embedded->stop(15000);
    }
    qCInfo(lcApp) << "stopped";
    m_finished = true;
    Q_EMIT stopped();
}

} // namespace bw::app
