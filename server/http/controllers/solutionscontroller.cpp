#include "solutionscontroller.h"

#include "server/domain/content/solutionservice.h"
#include "server/http/controllers/contentresponse.h"
#include "server/http/envelope.h"
#include "server/http/json.h"

namespace bw::http {

using content::callerOf;
using content::respondRaw;

void registerSolutionRoutes(Router &router, domain::SolutionService &solutions, int maxJsonDepth)
{
    router.add("GET", QStringLiteral("/api/v1/solutions"), {Auth::None, RateClass::Standard}, [&solutions](Request &req) {
        const auto query = domain::SolutionQuery::fromQuery(req.query);
        if (!query)
            return error(req, query.error());
        const auto result = solutions.list(*query, callerOf(req));
        if (!result)
            return error(req, result.error());
        return page(req, result->itemsJson, result->hasMore, result->nextCursor, result->count);
    });

    router.add("GET", QStringLiteral("/api/v1/solutions/:id"), {Auth::None, RateClass::Standard}, [&solutions](Request &req) {
        return respondRaw(req, solutions.get(req.params.value(QStringLiteral("id")), callerOf(req)));
    });

    router.add("POST", QStringLiteral("/api/v1/solutions"), {Auth::Agent, RateClass::Content},
               [&solutions, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   const auto input = domain::SolutionInput::parse(*body, domain::contentinput::Mode::Create);
                   if (!input)
                       return error(req, input.error());
                   return respondRaw(req, solutions.create(*req.caller, *input), 201);
               });

    router.add("PATCH", QStringLiteral("/api/v1/solutions/:id"), {Auth::Agent, RateClass::Standard},
               [&solutions, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   const auto patch = domain::SolutionInput::parse(*body, domain::contentinput::Mode::Patch);
                   if (!patch)
                       return error(req, patch.error());
                   return respondRaw(req, solutions.update(*req.caller, req.params.value(QStringLiteral("id")), *patch));
               });

    router.add("DELETE", QStringLiteral("/api/v1/solutions/:id"), {Auth::Agent, RateClass::Standard}, [&solutions](Request &req) {
        return content::respondDeleted(req, solutions.remove(*req.caller, req.params.value(QStringLiteral("id"))));
    });
}

} // namespace bw::http
