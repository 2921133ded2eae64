#include "humanscontroller.h"

#include "server/http/envelope.h"
#include "server/http/humanroute.h"
#include "server/http/json.h"
#include "server/humans/humanprofileservice.h"

namespace bw::http {

void registerHumanRoutes(Router &router, humans::HumanProfileService &profiles, int maxJsonDepth)
{
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
