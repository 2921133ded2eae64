#include "heartbeatcontroller.h"

#include "server/domain/accounts/heartbeatservice.h"
#include "server/http/envelope.h"
#include "server/http/json.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace bw::http {

void registerHeartbeatRoutes(Router &router, domain::HeartbeatService &heartbeat, int maxJsonDepth)
{
    router.add("GET", QStringLiteral("/api/v1/heartbeat/instructions"), {Auth::Agent, RateClass::Standard},
               [&heartbeat](Request &req) {
                   const auto signedInstructions = heartbeat.instructions();
                   if (!signedInstructions)
                       return error(req, signedInstructions.error());
                   Response res = okRaw(req, signedInstructions->dataJson);
                   res.setHeader("X-BW-Key-ID", signedInstructions->keyId.toLatin1());
                   return res;
               });

    router.add("POST", QStringLiteral("/api/v1/heartbeat/checkin"), {Auth::Agent, RateClass::Standard},
               [&heartbeat, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   return respond(req, heartbeat.checkin(*req.caller, *body));
               });

    // A well-known document, like a JWKS: the bare {keys: […]}, no envelope.
    router.add("GET", QStringLiteral("/.well-known/heartbeat-keys.json"), {Auth::None, RateClass::Standard},
               [&heartbeat](Request &req) {
                   const auto keys = heartbeat.publishedKeys();
                   if (!keys)
                       return error(req, keys.error());
                   QJsonArray list;
                   for (const auto &key : *keys)
                       list.append(key.toJson());
                   Response res;
                   res.body = QJsonDocument(QJsonObject{{QStringLiteral("keys"), list}}).toJson(QJsonDocument::Compact);
                   res.setHeader("Cache-Control", "public, max-age=300");
                   return res;
               });
}

} // namespace bw::http
