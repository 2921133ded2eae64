#pragma once
// The one middleware chain every request goes through, in order:
// request id → access log + metrics → security headers → authentication → rate limit → handler.
// Called on an HTTP I/O thread; anything that may touch the database (the handler, a Bearer lookup,
// a PostgreSQL rate-limit store) continues on the request pool — the chain itself is the same there.

#include "server/core/config.h"
#include "server/domain/caller.h"
#include "server/domain/humancaller.h"
#include "server/http/request.h"
#include "server/http/router.h"
#include "server/moderation/admincaller.h"

#include <atomic>
#include <functional>
#include <memory>

namespace bw {
class MetricsRegistry;
class Counter;
class Histogram;
} // namespace bw

namespace bw::http {

class RateLimiter;
class RequestPool;

using Authenticator = std::function<Result<domain::Caller>(const QString &apiKey)>;
using Respond = std::function<void(Response)>;
// Admin session token (+ client IP, for the audit log) → the moderator/admin behind it.
using AdminAuthenticator = std::function<Result<moderation::AdminCaller>(const QString &token, const QString &clientIp)>;
// Human access token ("bwh_…") → the person behind it.
using HumanAuthenticator = std::function<Result<domain::HumanCaller>(const QString &accessToken)>;

struct PipelineDeps {
    const Router *router = nullptr;
    RateLimiter *rateLimiter = nullptr;
    RequestPool *pool = nullptr;
    MetricsRegistry *metrics = nullptr;
    Authenticator authenticate;
    AdminAuthenticator authenticateAdmin; // routes with Auth::Moderator / Auth::Admin
    HumanAuthenticator authenticateHuman; // any non-admin route that carries a human access token
    // Returns an error while the server must refuse work (maintenance, restore, shutting down).
    std::function<std::optional<ApiError>(const Request &)> gate;
};

class Pipeline final {
public:
    Pipeline(const Config &config, PipelineDeps deps);
    ~Pipeline();

    // Produces exactly one response through respond (possibly on another thread).
    void handle(Request request, Respond respond);
    // The body limit for a request line, so the transport can answer 413 before reading the body.
    qint64 bodyLimit(const QByteArray &method, const QString &path) const;

private:
    void run(Request &request, const Route &route, const Respond &respond);
    std::optional<ApiError> authenticate(Request &request, const Route &route);
    std::optional<ApiError> rateLimit(Request &request, const Route &route, Response &headersOut);
    void finish(Request &request, Response response, const Respond &respond, const Response *rateHeaders);
    QString clientIp(const Request &request) const;

    Config m_config;
    PipelineDeps m_deps;
    struct Cache;
    std::unique_ptr<Cache> m_cache;
};

// A request id from X-Request-ID when acceptable (≤ 128 printable ASCII chars), else a new UUID.
QString requestIdFor(const QByteArray &header);

} // namespace bw::http
