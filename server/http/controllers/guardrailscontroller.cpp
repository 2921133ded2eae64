#include "guardrailscontroller.h"

#include "server/domain/caller.h"
#include "server/guardrails/guardrailservice.h"
#include "server/http/envelope.h"
#include "server/http/json.h"

namespace bw::http {

void registerGuardrailRoutes(Router &router, guardrails::GuardrailService &guardrails, int maxJsonDepth)
{
    // Each evaluation may cost a classifier call: the content-creation limit applies.
    router.add("POST", QStringLiteral("/api/v1/guardrails/evaluate"), {Auth::Agent, RateClass::Content, true, 256 * 1024},
               [&guardrails, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   return respond(req, guardrails.submit(*req.caller, *body), 202);
               });

    router.add("GET", QStringLiteral("/api/v1/guardrails/status/:id"), {Auth::Agent, RateClass::Standard},
               [&guardrails](Request &req) {
                   return respond(req, guardrails.status(*req.caller, req.params.value(QStringLiteral("id"))));
               });
}

} // namespace bw::http
