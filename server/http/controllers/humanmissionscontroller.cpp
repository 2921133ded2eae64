#include "humanmissionscontroller.h"

#include "server/domain/claimsledger/claimservice.h"
#include "server/domain/claimsledger/ledgerservice.h"
#include "server/domain/claimsledger/tokenamount.h"
#include "server/domain/content/contentinput.h"
#include "server/http/envelope.h"
#include "server/http/humanroute.h"
#include "server/http/json.h"

namespace bw::http {

using domain::HumanCaller;

namespace {
Response listPage(const Request &req, const Result<domain::Page> &result)
{
    if (!result)
        return error(req, result.error());
    return page(req, result->itemsJson, result->hasMore, result->nextCursor, result->count);
}

// A required string field of 1..max characters.
QString textField(const QJsonObject &body, const char *name, int max, FieldErrors &errors)
{
    const QJsonValue v = body.value(QLatin1String(name));
    const QString s = v.toString().trimmed();
    if (!v.isString() || s.isEmpty() || s.size() > max || s.contains(QChar(0)))
        errors.add(QLatin1String(name), QStringLiteral("Required, 1 to %1 characters").arg(max));
    return s;
}
} // namespace

void registerHumanMissionRoutes(Router &router, domain::ClaimService &claims, domain::LedgerService &ledger, int maxJsonDepth)
{
    constexpr qint64 kSmallBody = 4 * 1024;

    addHumanRoute(router, "POST", QStringLiteral("/api/v1/missions/:id/claim"), [&claims](Request &req, const HumanCaller &me) {
        const auto receipt = claims.claim(me.humanId, req.params.value(QStringLiteral("id")));
        if (!receipt)
            return error(req, receipt.error());
        return ok(req, receipt->toJson(), 201);
    });

    addHumanRoute(router, "GET", QStringLiteral("/api/v1/missions/mine"), [&claims](Request &req, const HumanCaller &me) {
        const auto query = domain::ClaimQuery::fromQuery(req.query);
        if (!query)
            return error(req, query.error());
        return listPage(req, claims.listMine(me.humanId, *query));
    });

    addHumanRoute(
        router, "PATCH", QStringLiteral("/api/v1/missions/:id/claims/:claimId"),
        [&claims, maxJsonDepth](Request &req, const HumanCaller &me) {
            const auto body = parseJsonObject(req.body, maxJsonDepth);
            if (!body)
                return error(req, body.error());
            if (body->value(QStringLiteral("action")).toString() != QLatin1String("abandon"))
                return error(req, ApiError::validation({{QStringLiteral("action"), {QStringLiteral("Must be \"abandon\"")}}}));
            const QString reason = body->value(QStringLiteral("reason")).toString().left(500);
            return respond(req, claims.abandon(me.humanId, req.params.value(QStringLiteral("claimId")),
                                               req.params.value(QStringLiteral("id")), reason));
        },
        RateClass::Standard, kSmallBody);

    addHumanRoute(router, "GET", QStringLiteral("/api/v1/tokens/balance"), [&ledger](Request &req, const HumanCaller &me) {
        const auto balance = ledger.balance(me.humanId);
        if (!balance)
            return error(req, balance.error());
        return ok(req, balance->toJson());
    });

    addHumanRoute(router, "GET", QStringLiteral("/api/v1/tokens/transactions"), [&ledger](Request &req, const HumanCaller &me) {
        FieldErrors errors;
        const auto params = domain::contentinput::ListParams::parse(req.query, errors);
        if (!errors.empty())
            return error(req, errors.toError());
        return listPage(req, ledger.transactions(me.humanId, params.cursor, params.limit));
    });

    // 201 for a new spend; 200 when the idempotency key replays an earlier one (nothing moved again).
    addHumanRoute(
        router, "POST", QStringLiteral("/api/v1/tokens/spend"),
        [&ledger, maxJsonDepth](Request &req, const HumanCaller &me) {
            const auto body = parseJsonObject(req.body, maxJsonDepth);
            if (!body)
                return error(req, body.error());
            FieldErrors errors;
            QString why;
            const auto amount =
                domain::tokenamount::parse(body->value(QStringLiteral("amount")), domain::tokenamount::Sign::Positive, &why);
            if (!amount)
                errors.add(QStringLiteral("amount"), why);
            const QString purpose = textField(*body, "purpose", 500, errors);
            const QString key = textField(*body, "idempotencyKey", 200, errors);
            if (!errors.empty())
                return error(req, errors.toError());
            const auto receipt = ledger.spend(me.humanId, *amount, purpose, key);
            if (!receipt)
                return error(req, receipt.error());
            return ok(req, receipt->toJson(), receipt->replayed ? 200 : 201);
        },
        RateClass::Standard, kSmallBody);
}

} // namespace bw::http
