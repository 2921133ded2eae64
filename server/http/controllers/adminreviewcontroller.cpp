#include "adminreviewcontroller.h"

#include "server/http/envelope.h"
#include "server/http/json.h"
#include "server/moderation/reviewservice.h"

#include <QJsonDocument>

namespace bw::http {

namespace {
Response item(const Request &req, const Result<moderation::FlaggedItem> &result)
{
    return result ? ok(req, result->toJson()) : error(req, result.error());
}
} // namespace

void registerAdminReviewRoutes(Router &router, moderation::ReviewService &reviews, int maxJsonDepth)
{
    const RouteOptions moderator{Auth::Moderator, RateClass::Admin, true, 64 * 1024};

    router.add("GET", QStringLiteral("/api/v1/admin/flagged"), moderator, [&reviews](Request &req) {
        const auto query = moderation::FlaggedQuery::fromQuery(req.query);
        if (!query)
            return error(req, query.error());
        const auto result = reviews.list(*req.admin, *query);
        if (!result)
            return error(req, result.error());
        return page(req, QJsonDocument(result->itemsJson()).toJson(QJsonDocument::Compact), result->hasMore, result->nextCursor,
                    int(result->items.size()));
    });

    router.add("GET", QStringLiteral("/api/v1/admin/flagged/:id"), moderator, [&reviews](Request &req) {
        const auto detail = reviews.detail(*req.admin, req.params.value(QStringLiteral("id")));
        return detail ? ok(req, detail->toJson()) : error(req, detail.error());
    });

    router.add("POST", QStringLiteral("/api/v1/admin/flagged/:id/claim"), moderator,
               [&reviews](Request &req) { return item(req, reviews.claim(*req.admin, req.params.value(QStringLiteral("id")))); });

    router.add("POST", QStringLiteral("/api/v1/admin/flagged/:id/release"), moderator, [&reviews](Request &req) {
        return item(req, reviews.release(*req.admin, req.params.value(QStringLiteral("id"))));
    });

    router.add("POST", QStringLiteral("/api/v1/admin/flagged/:id/review"), moderator, [&reviews, maxJsonDepth](Request &req) {
        const auto body = parseJsonObject(req.body, maxJsonDepth);
        if (!body)
            return error(req, body.error());
        const auto decision = moderation::ReviewDecision::parse(*body);
        if (!decision)
            return error(req, decision.error());
        return item(req, reviews.review(*req.admin, req.params.value(QStringLiteral("id")), *decision));
    });
}

} // namespace bw::http
