#include "missionscontroller.h"

#include "server/domain/missions/missionmarket.h"
#include "server/domain/missions/missionservice.h"
#include "server/http/controllers/contentresponse.h"
#include "server/http/envelope.h"
#include "server/http/json.h"

#include <QDateTime>

namespace bw::http {

using content::callerOf;
using content::respondRaw;

namespace {
Response listPage(const Request &req, const Result<domain::Page> &result)
{
    if (!result)
        return error(req, result.error());
    return page(req, result->itemsJson, result->hasMore, result->nextCursor, result->count);
}

// GET /missions keeps the reference API's shape: data {missions, nextCursor, hasMore}.
Response marketplacePage(const Request &req, const Result<domain::Page> &result)
{
    if (!result)
        return error(req, result.error());
    QByteArray data;
    data.reserve(result->itemsJson.size() + 128);
    data += "{\"missions\":";
    data += result->itemsJson;
    data += ",\"nextCursor\":";
    data += result->hasMore ? jsonString(result->nextCursor) : QByteArray("null");
    data += ",\"hasMore\":";
    data += result->hasMore ? "true" : "false";
    data += '}';
    return okRaw(req, data);
}
} // namespace

void registerMissionRoutes(Router &router, domain::MissionService &missions, domain::MissionMarket &market, int maxJsonDepth)
{
    router.add("GET", QStringLiteral("/api/v1/missions"), {Auth::None, RateClass::Standard}, [&market](Request &req) {
        const auto query = domain::MarketQuery::fromQuery(req.query);
        if (!query)
            return error(req, query.error());
        return marketplacePage(req, market.list(*query));
    });

    router.add("GET", QStringLiteral("/api/v1/missions/nearby"), {Auth::None, RateClass::Standard}, [&market](Request &req) {
        const auto query = domain::MarketQuery::fromNearbyQuery(req.query);
        if (!query)
            return error(req, query.error());
        return listPage(req, market.list(*query));
    });

    router.add("GET", QStringLiteral("/api/v1/missions/agent"), {Auth::Agent, RateClass::Standard}, [&missions](Request &req) {
        const auto query = domain::MissionQuery::fromQuery(req.query);
        if (!query)
            return error(req, query.error());
        return listPage(req, missions.listOwn(*req.caller, *query));
    });

    router.add("GET", QStringLiteral("/api/v1/missions/:id"), {Auth::None, RateClass::Standard}, [&missions](Request &req) {
        return respondRaw(req, missions.get(req.params.value(QStringLiteral("id")), callerOf(req)));
    });

    router.add("POST", QStringLiteral("/api/v1/missions"), {Auth::Agent, RateClass::Content},
               [&missions, maxJsonDepth](Request &req) {
                   const auto body = parseJsonObject(req.body, maxJsonDepth);
                   if (!body)
                       return error(req, body.error());
                   const auto input =
                       domain::MissionInput::parse(*body, domain::contentinput::Mode::Create, QDateTime::currentDateTimeUtc());
                   if (!input)
                       return error(req, input.error());
                   return respondRaw(req, missions.create(*req.caller, *input), 201);
               });

    router.add(
        "PATCH", QStringLiteral("/api/v1/missions/:id"), {Auth::Agent, RateClass::Standard},
        [&missions, maxJsonDepth](Request &req) {
            auto body = parseJsonObject(req.body, maxJsonDepth);
            if (!body)
                return error(req, body.error());
            // The version may come as `If-Match: "3"` (the ETag GET would give) instead of in the body.
            if (const QByteArray tag = req.header("if-match"); !tag.isEmpty() && !body->contains(QStringLiteral("version"))) {
                bool isNumber = false;
                const int v = QByteArray(tag.trimmed()).replace('"', "").toInt(&isNumber);
                if (!isNumber)
                    return error(req, ApiError::badRequest(QStringLiteral("If-Match must be the mission's version, e.g. \"3\"")));
                body->insert(QStringLiteral("version"), v);
            }
            const auto patch =
                domain::MissionInput::parse(*body, domain::contentinput::Mode::Patch, QDateTime::currentDateTimeUtc());
            if (!patch)
                return error(req, patch.error());
            return respondRaw(req, missions.update(*req.caller, req.params.value(QStringLiteral("id")), *patch));
        });

    router.add("DELETE", QStringLiteral("/api/v1/missions/:id"), {Auth::Agent, RateClass::Standard}, [&missions](Request &req) {
        return respondRaw(req, missions.archive(*req.caller, req.params.value(QStringLiteral("id"))));
    });
}

} // namespace bw::http
