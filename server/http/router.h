#pragma once
// Method + path pattern ("/api/v1/problems/:id") → route. A known path with another method is a
// 405 with Allow; HEAD is served by GET routes. Built once at start, then read-only (thread-safe).

#include "server/http/request.h"

#include <functional>
#include <memory>
#include <vector>

namespace bw::http {

enum class Auth {
    None,      // public; a present-but-invalid Authorization header is still 401
    Agent,     // Authorization: Bearer <apiKey> required
    Moderator, // Authorization: Bearer <admin session token>, role moderator or admin
    Admin,     // Authorization: Bearer <admin session token>, role admin
    Human,     // Authorization: Bearer <human access token> required (humanroute.h adds such routes)
};

enum class RateClass {
    Exempt,       // health, readiness, metrics: probed by load balancers and monitors
    Standard,     // per agent (by claim status) or per IP when anonymous
    Content,      // Standard plus the per-agent content-creation limit
    Registration, // per IP registration/login limit
    Admin,        // per admin user (rate_limit/admin), on routes with Auth::Moderator/Admin
    Evidence,     // Standard plus the per-human evidence-submission limit (rate_limit/evidence, per hour)
};

using Handler = std::function<Response(Request &)>;

struct RouteOptions {
    Auth auth = Auth::None;
    RateClass rate = RateClass::Standard;
    bool usesDatabase = true; // false: cheap, runs on the I/O thread (on the pool when it carries a Bearer credential)
    qint64 maxBodyBytes = -1; // -1: the server default
};

struct Route {
    QByteArray method;
    QString pattern;
    std::vector<QString> segments; // ":name" marks a parameter
    bool literal = true;           // no parameter segments (computed once by Router::add)
    RouteOptions options;
    Handler handler;
};

struct Match {
    const Route *route = nullptr;
    QHash<QString, QString> params;
    QByteArrayList allowed; // methods for this path when route == nullptr (405)
};

class Router final {
public:
    void add(const QByteArray &method, const QString &pattern, RouteOptions options, Handler handler);
    Match match(const QByteArray &method, const QString &path) const;

private:
    std::vector<std::unique_ptr<Route>> m_routes;
};

} // namespace bw::http
