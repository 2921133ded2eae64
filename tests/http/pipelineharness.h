#pragma once
// Shared by tst_pipeline and tst_pipelineratelimit: one Pipeline with a router shaped like the
// API, a fake authenticator, counters of what ran, and a fake clock for the rate limiter.
// Handlers are RouteOptions{usesDatabase=false} lambdas: no database, no sockets.

#include "server/core/ids.h"
#include "server/core/metrics.h"
#include "server/core/threadrole.h"
#include "server/http/envelope.h"
#include "server/http/pipeline.h"
#include "server/http/ratelimiter.h"
#include "server/http/requestpool.h"

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTest>

#include <atomic>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

using namespace bw;
using namespace bw::http;

namespace {
inline std::atomic<qint64> g_now{0};
inline qint64 fakeNow()
{
    return g_now.load();
}
constexpr qint64 kWindowStart = 1'700'000'040; // a multiple of 60
constexpr qint64 kReset = kWindowStart + 60;

inline QByteArray headerOf(const Response &r, const QByteArray &name)
{
    for (const auto &[n, v] : r.headers)
        if (n.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    return {};
}
inline bool hasHeader(const Response &r, const QByteArray &name)
{
    for (const auto &[n, v] : r.headers)
        if (n.compare(name, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}
inline QJsonObject bodyOf(const Response &r)
{
    return QJsonDocument::fromJson(r.body).object();
}
inline QString codeOf(const Response &r)
{
    return bodyOf(r).value("error").toObject().value("code").toString();
}
inline QString messageOf(const Response &r)
{
    return bodyOf(r).value("error").toObject().value("message").toString();
}

inline RouteOptions opts(Auth auth, RateClass rate = RateClass::Standard)
{
    RouteOptions o;
    o.auth = auth;
    o.rate = rate;
    o.usesDatabase = false;
    return o;
}

struct Sent {
    QByteArray method = "GET";
    QString path;
    QHash<QByteArray, QByteArray> headers;
    QString peer = QStringLiteral("203.0.113.7");
};
} // namespace

// One pipeline with a router shaped like the API, fake authenticator and counters of what ran.
class Harness final {
public:
    Config config;
    Router router;
    InMemoryRateLimiter limiter{&fakeNow};
    MetricsRegistry metrics;
    std::function<std::optional<ApiError>(const Request &)> gate;
    RequestPool *pool = nullptr;

    std::atomic<int> handlerCalls{0};
    std::atomic<int> authCalls{0};
    QStringList keysSeen;
    std::thread::id authThread; // where the last credential lookup ran
    ThreadRole authRole = ThreadRole::Other;
    std::shared_ptr<domain::Caller> lastCaller;
    QString lastClientIp;

    Harness()
    {
        const auto echo = [this](Request &req) {
            ++handlerCalls;
            lastCaller = req.caller;
            lastClientIp = req.clientIp;
            QJsonObject params;
            for (auto it = req.params.cbegin(); it != req.params.cend(); ++it)
                params.insert(it.key(), it.value());
            return ok(req, QJsonObject{{"route", req.route},
                                       {"agentId", req.caller ? QJsonValue(req.caller->agentId) : QJsonValue()},
                                       {"clientIp", req.clientIp},
                                       {"params", params}});
        };
        router.add("GET", "/api/v1/agents/me", opts(Auth::Agent), echo);
        router.add("GET", "/api/v1/problems", opts(Auth::None), echo);
        router.add("POST", "/api/v1/problems", opts(Auth::Agent, RateClass::Content), echo);
        router.add("GET", "/api/v1/problems/:id", opts(Auth::None), echo);
        router.add("POST", "/api/v1/auth/agents/register", opts(Auth::None, RateClass::Registration), echo);
        router.add("GET", "/api/v1/health", opts(Auth::None, RateClass::Exempt), echo);
        RouteOptions big = opts(Auth::Agent);
        big.maxBodyBytes = 4096;
        router.add("PUT", "/api/v1/uploads", big, echo);
        router.add("GET", "/boom", opts(Auth::None), [this](Request &) -> Response {
            ++handlerCalls;
            throw std::runtime_error("db exploded: password=hunter2 at 10.9.8.7");
        });
        router.add("GET", "/boom2", opts(Auth::None), [this](Request &) -> Response {
            ++handlerCalls;
            throw 42;
        });
        RouteOptions db = opts(Auth::None);
        db.usesDatabase = true;
        router.add("GET", "/api/v1/db", db, [this](Request &req) {
            ++handlerCalls;
            return ok(req, QJsonValue(QStringLiteral("from pool")));
        });
    }

    Result<domain::Caller> authenticate(const QString &key)
    {
        ++authCalls;
        keysSeen << key;
        authThread = std::this_thread::get_id();
        authRole = currentThreadRole();
        domain::Caller c;
        c.agentId = QStringLiteral("agent-") + key;
        c.username = key;
        if (key == u"key-pending")
            c.claimStatus = QStringLiteral("pending");
        else if (key == u"key-claimed")
            c.claimStatus = QStringLiteral("claimed");
        else if (key == u"key-verified" || key == u"key-verified-2")
            c.claimStatus = QStringLiteral("verified");
        else if (key == u"key-odd-status")
            c.claimStatus = QStringLiteral("mystery");
        else if (key == u"key-override") {
            c.claimStatus = QStringLiteral("verified");
            c.rateLimitOverride = 2;
        } else if (key == u"key-override-high") {
            c.claimStatus = QStringLiteral("pending");
            c.rateLimitOverride = 1000;
        } else if (key == u"key-deprecated") {
            c.claimStatus = QStringLiteral("verified");
            c.usedDeprecatedKey = true;
        } else if (key == u"key-deactivated")
            return ApiError::forbidden(QStringLiteral("Agent is deactivated"));
        else
            return ApiError::make(ErrorKind::ApiKeyInvalid, QStringLiteral("Invalid API key"));
        return c;
    }

    Pipeline &pipeline()
    {
        if (!m_pipeline) {
            PipelineDeps deps;
            deps.router = &router;
            deps.rateLimiter = &limiter;
            deps.pool = pool;
            deps.metrics = &metrics;
            deps.authenticate = [this](const QString &key) { return authenticate(key); };
            deps.gate = gate;
            m_pipeline = std::make_unique<Pipeline>(config, std::move(deps));
        }
        return *m_pipeline;
    }

    static Request build(const Sent &s)
    {
        Request req;
        req.method = s.method;
        req.path = s.path;
        req.target = s.path.toLatin1();
        req.headers = s.headers;
        req.peerIp = s.peer;
        req.timer.start();
        return req;
    }

    // Synchronous path (pool == nullptr or usesDatabase == false): exactly one response, inline.
    Response send(const Sent &s)
    {
        int calls = 0;
        Response out;
        pipeline().handle(build(s), [&](Response r) {
            ++calls;
            out = std::move(r);
        });
        if (calls != 1)
            qFatal("respond called %d times for %s %s", calls, s.method.constData(), qPrintable(s.path));
        return out;
    }
    Response get(const QString &path, const QByteArray &authorization = {}, const QString &peer = QStringLiteral("203.0.113.7"))
    {
        Sent s;
        s.path = path;
        s.peer = peer;
        if (!authorization.isEmpty())
            s.headers.insert("authorization", authorization);
        return send(s);
    }
    Response post(const QString &path, const QByteArray &authorization = {}, const QString &peer = QStringLiteral("203.0.113.7"))
    {
        Sent s;
        s.method = "POST";
        s.path = path;
        s.peer = peer;
        if (!authorization.isEmpty())
            s.headers.insert("authorization", authorization);
        return send(s);
    }

private:
    std::unique_ptr<Pipeline> m_pipeline;
};
