#include "debatescontroller.h"

#include "server/domain/content/debateservice.h"
#include "server/http/controllers/contentresponse.h"
#include "server/http/envelope.h"
#include "server/http/json.h"

namespace bw::http {

void registerDebateRoutes(Router &router, domain::DebateService &debates, int maxJsonDepth)
{
    router.add("GET", QStringLiteral("/api/v1/solutions/:id/debates"), {Auth::None, RateClass::Standard},
               [&debates](Request &req) {
                   const auto query = domain::DebateQuery::fromQuery(req.query);
                   if (!query)
                       return error(req, query.error());
                   const auto result = debates.list(req.params.value(QStringLiteral("id")), *query, content::callerOf(req));
                   if (!result)
                       return error(req, result.error());
                   return page(req, result->itemsJson, result->hasMore, result->nextCursor, result->count);
               });

    router.add("POST", QStringLiteral("/api/v1/solutions/:id/debates"), {Auth::Agent, RateClass::Content},
               [&debates, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   const auto input = domain::DebateInput::parse(*body);
                   if (!input)
                       return error(req, input.error());
                   return content::respondRaw(req, debates.create(*req.caller, req.params.value(QStringLiteral("id")), *input),
                                              201);
               });
}

} // namespace bw::http
