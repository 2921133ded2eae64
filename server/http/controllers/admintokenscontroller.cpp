#include "admintokenscontroller.h"

#include "server/domain/content/contentinput.h"
#include "server/http/envelope.h"
#include "server/http/json.h"
#include "server/moderation/tokenadminservice.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace bw::http {

void registerAdminTokenRoutes(Router &router, moderation::TokenAdminService &tokens, int maxJsonDepth)
{
    const RouteOptions admin{Auth::Admin, RateClass::Admin, true, 16 * 1024};

    // 201 for a new transfer; 200 when the idempotency key replays an earlier one (nothing moved).
    router.add("POST", QStringLiteral("/api/v1/admin/humans/:id/tokens/adjust"), admin, [&tokens, maxJsonDepth](Request &req) {
        const auto body = parseJsonObject(req.body, maxJsonDepth);
        if (!body)
            return error(req, body.error());
        const auto adjustment = moderation::TokenAdjustment::fromJson(*body);
        if (!adjustment)
            return error(req, adjustment.error());
        const auto receipt = tokens.adjust(*req.admin, req.params.value(QStringLiteral("id")), *adjustment);
        if (!receipt)
            return error(req, receipt.error());
        return ok(req, receipt->toJson(), receipt->replayed ? 200 : 201);
    });

    // data {balance, earnedTotal, spentTotal, transactions: [...]}; meta: the transactions' page.
    router.add("GET", QStringLiteral("/api/v1/admin/humans/:id/tokens"), admin, [&tokens](Request &req) {
        FieldErrors errors;
        const auto params = domain::contentinput::ListParams::parse(req.query, errors);
        if (!errors.empty())
            return error(req, errors.toError());
        const auto result = tokens.humanTokens(*req.admin, req.params.value(QStringLiteral("id")), params.cursor, params.limit);
        if (!result)
            return error(req, result.error());
        QByteArray data = QJsonDocument(result->balance.toJson()).toJson(QJsonDocument::Compact);
        data.chop(1); // the closing brace: the transactions come from PostgreSQL as JSON text
        data += ",\"transactions\":" + result->transactions.itemsJson + '}';
        const QJsonObject meta{{QStringLiteral("hasMore"), result->transactions.hasMore},
                               {QStringLiteral("nextCursor"), result->transactions.hasMore
                                                                  ? QJsonValue(result->transactions.nextCursor)
                                                                  : QJsonValue(QJsonValue::Null)},
                               {QStringLiteral("count"), result->transactions.count}};
        return okRaw(req, data, 200, QJsonDocument(meta).toJson(QJsonDocument::Compact));
    });

    // data {clean, violationCount, violations: [{kind, subject, detail}]}; read-only.
    router.add("GET", QStringLiteral("/api/v1/admin/ledger/verify"), admin, [&tokens](Request &req) {
        const auto violations = tokens.verifyLedger(*req.admin);
        if (!violations)
            return error(req, violations.error());
        return ok(req, QJsonObject{{QStringLiteral("clean"), violations->isEmpty()},
                                   {QStringLiteral("violationCount"), int(violations->size())},
                                   {QStringLiteral("violations"), domain::ledgerverifier::toJson(*violations)}});
    });
}

} // namespace bw::http
