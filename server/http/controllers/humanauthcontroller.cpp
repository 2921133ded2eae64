#include "humanauthcontroller.h"

#include "server/http/envelope.h"
#include "server/http/humanroute.h"
#include "server/http/json.h"
#include "server/humans/humanauthservice.h"

namespace bw::http {

namespace {
constexpr qint64 kMaxBody = 8 * 1024;

// Credentials never go to caches; an overloaded password gate says when to come back.
template <typename T>
Response answer(const Request &req, const Result<T> &result, int status = 200)
{
    Response res = respond(req, result, status);
    res.setHeader("Cache-Control", "no-store");
    if (!result && result.error().kind == ErrorKind::ServiceUnavailable)
        res.setHeader("Retry-After", "1");
    return res;
}

// A POST route (by default in the per-IP registration/login class) whose handler takes the parsed JSON body.
template <typename Fn>
void addAuthRoute(Router &router, const QString &path, int maxJsonDepth, int status, Fn call,
                  RateClass rate = RateClass::Registration)
{
    router.add("POST", path, {Auth::None, rate, true, kMaxBody}, [maxJsonDepth, status, call](Request &req) {
        const auto body = parseJsonObject(req.body, maxJsonDepth);
        if (!body)
            return error(req, body.error());
        return answer(req, call(req, *body), status);
    });
}
} // namespace

void registerHumanAuthRoutes(Router &router, humans::HumanAuthService &auth, humans::HumanSessions &sessions, int maxJsonDepth)
{
    addAuthRoute(router, QStringLiteral("/api/v1/auth/register"), maxJsonDepth, 201,
                 [&auth](Request &, const QJsonObject &body) { return auth.registerHuman(body); });
    addAuthRoute(router, QStringLiteral("/api/v1/auth/verify-email"), maxJsonDepth, 200,
                 [&auth](Request &, const QJsonObject &body) { return auth.verifyEmail(body); });
    addAuthRoute(router, QStringLiteral("/api/v1/auth/resend-code"), maxJsonDepth, 202,
                 [&auth](Request &, const QJsonObject &body) { return auth.resendCode(body); });
    addAuthRoute(router, QStringLiteral("/api/v1/auth/login"), maxJsonDepth, 200,
                 [&auth](Request &req, const QJsonObject &body) -> Result<QJsonObject> {
                     auto tokens = auth.login(body, req.clientIp);
                     if (!tokens)
                         return tokens.error();
                     return tokens->toJson();
                 });
    addAuthRoute(
        router, QStringLiteral("/api/v1/auth/refresh"), maxJsonDepth, 200,
        [&sessions](Request &req, const QJsonObject &body) -> Result<QJsonObject> {
            auto tokens = sessions.refresh(body.value(QStringLiteral("refreshToken")).toString(), req.clientIp);
            if (!tokens)
                return tokens.error();
            return tokens->toJson();
        },
        RateClass::Standard); // no Argon2 here: the ordinary per-IP limit
    // {email} asks for a code (202); {email, code, newPassword} confirms (200).
    router.add("POST", QStringLiteral("/api/v1/auth/password-reset"), {Auth::None, RateClass::Registration, true, kMaxBody},
               [&auth, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   return answer(req, auth.passwordReset(*body, req.clientIp),
                                 body->contains(QStringLiteral("code")) ? 200 : 202);
               });
    addHumanRoute(router, "POST", QStringLiteral("/api/v1/auth/logout"), [&auth](Request &req, const domain::HumanCaller &me) {
        const Status done = auth.logout(me);
        return done ? ok(req, QJsonObject{{QStringLiteral("loggedOut"), true}}) : error(req, done.error());
    });
}

} // namespace bw::http
