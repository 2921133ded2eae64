#include "adminauthcontroller.h"

#include "server/http/envelope.h"
#include "server/http/json.h"
#include "server/moderation/adminauthservice.h"

namespace bw::http {

void registerAdminAuthRoutes(Router &router, moderation::AdminAuthService &auth, int maxJsonDepth)
{
    // Argon2id verification costs ~50–100 ms of one pool thread per attempt (bounded by the
    // per-IP login limit and a process-wide cap on concurrent hashes).
    router.add("POST", QStringLiteral("/api/v1/admin/auth/login"), {Auth::None, RateClass::Registration, true, 8 * 1024},
               [&auth, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   const auto session = auth.login(body->value(QStringLiteral("email")).toString(),
                                                   body->value(QStringLiteral("password")).toString(), req.clientIp);
                   Response res =
                       session ? ok(req,
                                    QJsonObject{
                                        {QStringLiteral("token"), session->token},
                                        {QStringLiteral("expiresAt"), session->expiresAt.toUTC().toString(Qt::ISODateWithMs)},
                                        {QStringLiteral("role"), session->caller.role},
                                        {QStringLiteral("moderator"),
                                         QJsonObject{{QStringLiteral("id"), session->caller.moderatorId},
                                                     {QStringLiteral("email"), session->caller.email},
                                                     {QStringLiteral("displayName"), session->caller.displayName}}},
                                    })
                               : error(req, session.error());
                   res.setHeader("Cache-Control", "no-store");
                   return res;
               });

    router.add("POST", QStringLiteral("/api/v1/admin/auth/logout"), {Auth::Moderator, RateClass::Admin}, [&auth](Request &req) {
        const Status done = auth.logout(*req.admin);
        return done ? ok(req, QJsonObject{{QStringLiteral("loggedOut"), true}}) : error(req, done.error());
    });

    router.add("GET", QStringLiteral("/api/v1/admin/auth/me"), {Auth::Moderator, RateClass::Admin},
               [&auth](Request &req) { return respond(req, auth.profile(*req.admin)); });
}

} // namespace bw::http
