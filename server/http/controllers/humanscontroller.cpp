#include "humanscontroller.h"

#include "server/http/envelope.h"
#include "server/http/humanroute.h"
#include "server/http/json.h"
#include "server/humans/humancodes.h"
#include "server/humans/humanprofileservice.h"

#include <QJsonArray>

namespace bw::http {

void registerHumanRoutes(Router &router, humans::HumanProfileService &profiles, humans::HumanCodes &codes, int maxJsonDepth)
{
    // Without SMTP nobody receives their code by mail: moderators read the held ones and pass them on
    // (the same sink rule as agent verification). Newest first; cleared once used or replaced.
    router.add("GET", QStringLiteral("/api/v1/admin/humans/codes"), RouteOptions{Auth::Moderator, RateClass::Admin, true},
               [&codes](Request &req) {
                   const auto held = codes.heldCodes();
                   if (!held)
                       return error(req, held.error());
                   QJsonArray list;
                   for (const auto &h : *held)
                       list.append(QJsonObject{{QStringLiteral("humanId"), h.humanId},
                                               {QStringLiteral("email"), h.email},
                                               {QStringLiteral("displayName"), h.displayName},
                                               {QStringLiteral("purpose"), h.purpose},
                                               {QStringLiteral("code"), h.code},
                                               {QStringLiteral("createdAt"), h.createdAt.toString(Qt::ISODateWithMs)},
                                               {QStringLiteral("expiresAt"), h.expiresAt.toString(Qt::ISODateWithMs)}});
                   return ok(req, QJsonObject{{QStringLiteral("codes"), list},
                                              {QStringLiteral("delivery"), codes.deliveryDescription()}});
               });

    addHumanRoute(router, "GET", QStringLiteral("/api/v1/humans/me"),
                  [&profiles](Request &req, const domain::HumanCaller &me) { return respond(req, profiles.me(me)); });
    addHumanRoute(
        router, "PATCH", QStringLiteral("/api/v1/humans/me"),
        [&profiles, maxJsonDepth](Request &req, const domain::HumanCaller &me) {
            const auto body = parseJsonObject(req.body, maxJsonDepth);
            if (!body)
                return error(req, body.error());
            return respond(req, profiles.update(me, *body));
        },
        RateClass::Standard, 16 * 1024);
}

} // namespace bw::http
