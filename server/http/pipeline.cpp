#include "pipeline.h"

#include "server/core/apikey.h"
#include "server/core/ids.h"
#include "server/core/logging.h"
#include "server/core/metrics.h"
#include "server/domain/agentratelimit.h"
#include "server/http/envelope.h"
#include "server/http/ratelimiter.h"
#include "server/http/requestpool.h"
#include "server/http/shedlogsampler.h"

#include <QJsonObject>
#include <QLoggingCategory>

#include <mutex>
#include <unordered_map>

Q_LOGGING_CATEGORY(lcAccess, "bw.http.access")

namespace bw::http {

QString requestIdFor(const QByteArray &header)
{
    if (!header.isEmpty() && header.size() <= 128
        && std::all_of(header.begin(), header.end(), [](char c) { return c >= 0x21 && c <= 0x7e; }))
        return QString::fromLatin1(header);
    return ids::newUuid();
}

namespace {
// The credential lookups in authenticate() only happen for a well-formed "Bearer <token>".
bool carriesBearer(const Request &request)
{
    const QByteArray header = request.header("authorization");
    return header.size() > 7 && header.left(7).toLower().startsWith("bearer ");
}
} // namespace

// Metric series looked up once per (method, route, status) and reused on the hot path.
struct Pipeline::Cache {
    std::mutex mutex;
    std::unordered_map<QString, Counter *> requests;
    std::unordered_map<QString, Histogram *> durations;
    ShedLogSampler shedLines; // 429/503 floods: a few lines a second, then one summary
};

Pipeline::Pipeline(const Config &config, PipelineDeps deps)
    : m_config(config), m_deps(std::move(deps)), m_cache(std::make_unique<Cache>())
{
}

Pipeline::~Pipeline() = default;

qint64 Pipeline::bodyLimit(const QByteArray &method, const QString &path) const
{
    const Match m = m_deps.router->match(method, path);
    if (m.route && m.route->options.maxBodyBytes > 0)
        return m.route->options.maxBodyBytes;
    return m_config.maxBodyBytes;
}

QString Pipeline::clientIp(const Request &request) const
{
    if (!m_config.trustedProxies.contains(request.peerIp))
        return request.peerIp;
    // Walk X-Forwarded-For from the right, skipping our own trusted proxies.
    const QList<QByteArray> hops = request.header("x-forwarded-for").split(',');
    for (auto it = hops.crbegin(); it != hops.crend(); ++it) {
        const QString hop = QString::fromLatin1(it->trimmed());
        if (!hop.isEmpty() && !m_config.trustedProxies.contains(hop))
            return hop;
    }
    return request.peerIp;
}

void Pipeline::handle(Request request, Respond respond)
{
    request.requestId = requestIdFor(request.header("x-request-id"));
    request.clientIp = clientIp(request);
    if (request.rejection) {
        request.route = QStringLiteral("unmatched");
        finish(request, error(request, *request.rejection), respond, nullptr);
        return;
    }
    const Match match = m_deps.router->match(request.method, request.path);
    if (!match.route) {
        request.route = QStringLiteral("unmatched");
        if (request.method == "OPTIONS" && !match.allowed.isEmpty()) {
            // CORS preflight (or a plain OPTIONS): what this path accepts; the allow-listed
            // origin headers are added in finish().
            Response res;
            res.status = 204;
            res.setHeader("Allow", match.allowed.join(", ") + ", OPTIONS");
            if (m_config.corsOrigins.contains(QString::fromLatin1(request.header("origin")))) {
                res.setHeader("Access-Control-Allow-Methods", match.allowed.join(", "));
                res.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID");
                res.setHeader("Access-Control-Max-Age", "600");
            }
            finish(request, std::move(res), respond, nullptr);
        } else if (!match.allowed.isEmpty()) {
            Response res =
                error(request,
                      ApiError::make(
                          ErrorKind::MethodNotAllowed,
                          QStringLiteral("Method %1 not allowed on %2").arg(QString::fromLatin1(request.method), request.path)));
            res.setHeader("Allow", match.allowed.join(", "));
            finish(request, std::move(res), respond, nullptr);
        } else {
            finish(request,
                   error(request,
                         ApiError::notFound(
                             QStringLiteral("Route %1 %2 not found").arg(QString::fromLatin1(request.method), request.path))),
                   respond, nullptr);
        }
        return;
    }
    request.route = match.route->pattern;
    request.params = match.params;
    if (m_deps.gate) {
        if (auto refused = m_deps.gate(request)) {
            Response res = error(request, *refused);
            res.setHeader("Retry-After", "5");
            finish(request, std::move(res), respond, nullptr);
            return;
        }
    }
    // A shared (PostgreSQL) rate-limit store is SQL too, and so is looking up a Bearer credential
    // (agent key or admin session) on an optional-auth route such as /skill.md: such requests go to
    // the pool as well, so I/O threads never touch the database (the thread check enforces it).
    const bool limiterUsesDb = m_deps.rateLimiter && m_deps.rateLimiter->usesDatabase() && m_config.rateLimits.enabled
                               && match.route->options.rate != RateClass::Exempt;
    const bool authUsesDb = match.route->options.rate != RateClass::Exempt && carriesBearer(request);
    if ((!match.route->options.usesDatabase && !limiterUsesDb && !authUsesDb) || !m_deps.pool) {
        run(request, *match.route, respond);
        return;
    }
    auto shared = std::make_shared<Request>(std::move(request));
    const Route *route = match.route;
    const bool queued = m_deps.pool->trySubmit([this, shared, route, respond] { run(*shared, *route, respond); });
    if (!queued) {
        Response res = error(*shared, ApiError::unavailable(QStringLiteral("Server is busy, retry shortly")));
        res.setHeader("Retry-After", "1");
        finish(*shared, std::move(res), respond, nullptr);
    }
}

void Pipeline::run(Request &request, const Route &route, const Respond &respond)
{
    log::ScopedContext logContext(request.requestId);
    const auto denied = authenticate(request, route);
    // A failed authentication still counts, against the anonymous per-IP bucket: key guessing is
    // limited like any other anonymous traffic, and the answer carries the rate-limit headers.
    Response rateHeaders;
    auto limited = rateLimit(request, route, rateHeaders);
    if (denied && !limited) {
        finish(request, error(request, *denied), respond, &rateHeaders);
        return;
    }
    if (limited) {
        Response res = error(request, *limited);
        finish(request, std::move(res), respond, &rateHeaders);
        return;
    }
    Response res;
    try {
        res = route.handler(request);
    } catch (const std::exception &e) {
        res = error(request, ApiError::internal(QStringLiteral("unhandled exception: %1").arg(QString::fromUtf8(e.what()))));
    } catch (...) {
        res = error(request, ApiError::internal(QStringLiteral("unhandled non-standard exception")));
    }
    finish(request, std::move(res), respond, &rateHeaders);
}

std::optional<ApiError> Pipeline::authenticate(Request &request, const Route &route)
{
    if (route.options.rate == RateClass::Exempt)
        return std::nullopt; // health/metrics never look at credentials
    if (route.options.auth == Auth::Moderator || route.options.auth == Auth::Admin) {
        // Admin routes take an admin session token (never an agent key).
        const QByteArray bearer = request.header("authorization");
        if (bearer.isEmpty())
            return ApiError::make(ErrorKind::Unauthorized,
                                  QStringLiteral("Missing Authorization header (Bearer <session token>)"));
        if (!bearer.left(7).toLower().startsWith("bearer ") || bearer.size() <= 7)
            return ApiError::make(ErrorKind::Unauthorized,
                                  QStringLiteral("Authorization header must be 'Bearer <session token>'"));
        if (!m_deps.authenticateAdmin)
            return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Invalid session token"));
        auto admin = m_deps.authenticateAdmin(QString::fromLatin1(bearer.mid(7).trimmed()), request.clientIp);
        if (!admin)
            return admin.error();
        request.admin = std::make_shared<moderation::AdminCaller>(*admin); // set first: a 403 still counts as this admin's
        if (route.options.auth == Auth::Admin && !admin->isAdmin())
            return ApiError::forbidden(QStringLiteral("Administrator role required"));
        return std::nullopt;
    }
    const QByteArray header = request.header("authorization");
    if (header.isEmpty()) {
        if (route.options.auth == Auth::Agent)
            return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Missing Authorization header (Bearer <apiKey>)"));
        if (route.options.auth == Auth::Human)
            return ApiError::make(ErrorKind::Unauthorized,
                                  QStringLiteral("Missing Authorization header (Bearer <access token>)"));
        return std::nullopt;
    }
    if (!header.left(7).toLower().startsWith("bearer ") || header.size() <= 7) // the scheme is case-insensitive
        return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Authorization header must be 'Bearer <apiKey>'"));
    const QString credential = QString::fromLatin1(header.mid(7).trimmed());
    // Humans and agents are told apart by the credential's format: the wrong kind is refused before
    // any lookup, so a human token never reaches agent routes and an agent key never human ones.
    if (domain::humantoken::looksLikeAccessToken(credential)) {
        if (route.options.auth == Auth::Agent)
            return ApiError::forbidden(QStringLiteral("This route takes an agent API key, not a human access token"));
        if (!m_deps.authenticateHuman)
            return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Invalid access token"));
        auto human = m_deps.authenticateHuman(credential);
        if (!human)
            return human.error();
        request.human = std::make_shared<domain::HumanCaller>(*human);
        return std::nullopt;
    }
    if (route.options.auth == Auth::Human)
        return apikey::looksValid(credential)
                   ? ApiError::forbidden(QStringLiteral("This route takes a human access token, not an agent API key"))
                   : ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Invalid access token"));
    if (!m_deps.authenticate)
        return ApiError::make(ErrorKind::ApiKeyInvalid, QStringLiteral("Invalid API key"));
    auto caller = m_deps.authenticate(credential);
    if (!caller)
        return caller.error();
    request.caller = std::make_shared<domain::Caller>(*caller);
    log::ScopedContext::setAgentId(caller->agentId);
    return std::nullopt;
}

std::optional<ApiError> Pipeline::rateLimit(Request &request, const Route &route, Response &headersOut)
{
    const RateLimitConfig &rl = m_config.rateLimits;
    if (!rl.enabled || !m_deps.rateLimiter || route.options.rate == RateClass::Exempt)
        return std::nullopt;
    std::vector<RateDecision> decisions;
    int evidenceBucket = -1; // index of the hourly evidence bucket in decisions, if any
    if (route.options.rate == RateClass::Registration) {
        decisions.push_back(
            m_deps.rateLimiter->hit(QStringLiteral("registration:") + request.clientIp, rl.registrationPerIp, rl.windowSeconds));
    } else if (request.admin) {
        decisions.push_back(
            m_deps.rateLimiter->hit(QStringLiteral("admin:") + request.admin->moderatorId, rl.admin, rl.windowSeconds));
    } else if (request.human) {
        const QString &id = request.human->humanId;
        decisions.push_back(m_deps.rateLimiter->hit(QStringLiteral("human:") + id, rl.humanPerMinute, rl.windowSeconds));
        if (route.options.rate == RateClass::Evidence && decisions.back().allowed) {
            evidenceBucket = int(decisions.size());
            decisions.push_back(m_deps.rateLimiter->hit(QStringLiteral("evidence:") + id, rl.evidencePerHour, 3600));
        }
    } else if (request.caller) {
        const domain::Caller &c = *request.caller;
        const int limit = domain::agentRequestLimit(rl, c.claimStatus, c.rateLimitOverride);
        decisions.push_back(m_deps.rateLimiter->hit(domain::agentRateLimitKey(c.agentId), limit, rl.windowSeconds));
        if (route.options.rate == RateClass::Content && decisions.back().allowed)
            decisions.push_back(
                m_deps.rateLimiter->hit(QStringLiteral("content:") + c.agentId, rl.contentCreation, rl.windowSeconds));
    } else {
        decisions.push_back(m_deps.rateLimiter->hit(QStringLiteral("ip:") + request.clientIp, rl.publicPerIp, rl.windowSeconds));
    }
    // Report the tightest bucket; a refusal from any bucket wins.
    const RateDecision *shown = &decisions.front();
    for (const RateDecision &d : decisions)
        if (!d.allowed || (shown->allowed && d.remaining < shown->remaining))
            shown = &d;
    headersOut.setHeader("X-RateLimit-Limit", QByteArray::number(shown->limit));
    headersOut.setHeader("X-RateLimit-Remaining", QByteArray::number(shown->remaining));
    headersOut.setHeader("X-RateLimit-Reset", QByteArray::number(shown->resetEpoch));
    if (shown->allowed)
        return std::nullopt;
    headersOut.setHeader("Retry-After", QByteArray::number(shown->retryAfter));
    return ApiError::make(
        ErrorKind::RateLimited, QStringLiteral("Rate limit exceeded, retry in %1 s").arg(shown->retryAfter),
        QJsonObject{{QStringLiteral("retryAfter"), shown->retryAfter},
                    {QStringLiteral("limit"), shown->limit},
                    {QStringLiteral("window"), shown - decisions.data() == evidenceBucket ? 3600 : rl.windowSeconds}});
}

void Pipeline::finish(Request &request, Response response, const Respond &respond, const Response *rateHeaders)
{
    if (rateHeaders)
        for (const auto &[name, value] : rateHeaders->headers)
            response.setHeader(name, value);
    response.setHeader("X-Request-ID", request.requestId.toLatin1());
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setHeader("X-Frame-Options", "DENY");
    response.setHeader("Referrer-Policy", "strict-origin-when-cross-origin");
    response.setHeader("Content-Security-Policy", "default-src 'none'");
    if (request.admin || request.human)
        response.setHeader("Cache-Control", "no-store");
    if (request.caller) {
        response.setHeader("Cache-Control", "no-store");
        if (request.caller->usedDeprecatedKey)
            response.setHeader("X-BW-Key-Deprecated", "true");
    }
    const QByteArray origin = request.header("origin");
    if (!origin.isEmpty() && m_config.corsOrigins.contains(QString::fromLatin1(origin))) {
        response.setHeader("Access-Control-Allow-Origin", origin);
        response.setHeader("Vary", "Origin");
    }

    const double seconds = request.timer.isValid() ? double(request.timer.nsecsElapsed()) / 1e9 : 0.0;
    // The method comes from the client: unknown ones share one label so series stay bounded.
    static const QByteArrayList knownMethods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    const QString method = QString::fromLatin1(knownMethods.contains(request.method) ? request.method : QByteArray("OTHER"));
    if (m_deps.metrics) {
        const QString status = QString::number(response.status);
        const QString key = method + u' ' + request.route + u' ' + status;
        Counter *counter = nullptr;
        Histogram *histogram = nullptr;
        {
            std::lock_guard lock(m_cache->mutex);
            auto &c = m_cache->requests[key];
            if (!c)
                c = &m_deps.metrics->counter(QStringLiteral("http_requests_total"),
                                             QStringLiteral("HTTP requests by method, route and status"),
                                             {{QStringLiteral("method"), method},
                                              {QStringLiteral("route"), request.route},
                                              {QStringLiteral("status"), status}});
            counter = c;
            auto &h = m_cache->durations[method + u' ' + request.route];
            if (!h)
                h = &m_deps.metrics->histogram(QStringLiteral("http_request_duration_seconds"),
                                               QStringLiteral("HTTP request latency"), MetricsRegistry::defaultLatencyBuckets(),
                                               {{QStringLiteral("method"), method}, {QStringLiteral("route"), request.route}});
            histogram = h;
        }
        counter->inc();
        histogram->observe(seconds);
    }
    if (lcAccess().isInfoEnabled()) {
        if (auto summary = m_cache->shedLines.takeSummary()) // cheap (one atomic) unless lines were held back
            log::write(QtWarningMsg, "bw.http.access", *summary);
    }
    if (lcAccess().isInfoEnabled() && m_cache->shedLines.admit(response.status)) {
        log::ScopedContext context(request.requestId);
        if (request.caller)
            log::ScopedContext::setAgentId(request.caller->agentId);
        log::writeAccess(response.status >= 500 ? QtWarningMsg : QtInfoMsg,
                         {.message = method + u' ' + request.path + u' ' + QString::number(response.status),
                          .status = response.status,
                          .route = request.route,
                          .ms = qRound(seconds * 100000) / 100.0,
                          .ip = request.clientIp,
                          .bytes = int(response.body.size())});
    }
    respond(std::move(response));
}

} // namespace bw::http
