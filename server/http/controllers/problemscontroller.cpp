#include "problemscontroller.h"

#include "server/domain/content/problemeditservice.h"
#include "server/domain/content/problemservice.h"
#include "server/http/controllers/contentresponse.h"
#include "server/http/envelope.h"
#include "server/http/json.h"

namespace bw::http {

namespace {
std::optional<domain::Caller> callerOf(const Request &req)
{
    return req.caller ? std::optional<domain::Caller>(*req.caller) : std::nullopt;
}
} // namespace

void registerProblemRoutes(Router &router, domain::ProblemService &problems, int maxJsonDepth)
{
    router.add("GET", QStringLiteral("/api/v1/problems"), {Auth::None, RateClass::Standard}, [&problems](Request &req) {
        const auto query = domain::ProblemQuery::fromQuery(req.query);
        if (!query)
            return error(req, query.error());
        const auto result = problems.list(*query, callerOf(req));
        if (!result)
            return error(req, result.error());
        return page(req, result->itemsJson, result->hasMore, result->nextCursor, result->count);
    });

    router.add("GET", QStringLiteral("/api/v1/problems/:id"), {Auth::None, RateClass::Standard}, [&problems](Request &req) {
        return respond(req, problems.get(req.params.value(QStringLiteral("id")), callerOf(req)));
    });

    router.add("POST", QStringLiteral("/api/v1/problems"), {Auth::Agent, RateClass::Content},
               [&problems, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   const auto input = domain::ProblemInput::parse(*body);
                   if (!input)
                       return error(req, input.error());
                   return respond(req, problems.create(*req.caller, *input), 201);
               });
}

} // namespace bw::http

namespace bw::http {

void registerProblemEditRoutes(Router &router, domain::ProblemEditService &edits, int maxJsonDepth)
{
    router.add("PATCH", QStringLiteral("/api/v1/problems/:id"), {Auth::Agent, RateClass::Standard},
               [&edits, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   const auto patch = domain::ProblemPatch::parse(*body);
                   if (!patch)
                       return error(req, patch.error());
                   return content::respondRaw(req, edits.update(*req.caller, req.params.value(QStringLiteral("id")), *patch));
               });

    router.add("DELETE", QStringLiteral("/api/v1/problems/:id"), {Auth::Agent, RateClass::Standard}, [&edits](Request &req) {
        return content::respondDeleted(req, edits.remove(*req.caller, req.params.value(QStringLiteral("id"))));
    });
}

} // namespace bw::http
