#include "tokenadminservice.h"

#include "auditlog.h"

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/domain/claimsledger/tokenamount.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcTokenAdmin, "bw.moderation.tokens")

namespace bw::moderation {

namespace {
Status requireAdmin(const AdminCaller &actor)
{
    if (actor.moderatorId.isEmpty() || !actor.isAdmin())
        return ApiError::forbidden(QStringLiteral("Administrator role required"));
    return success();
}
} // namespace

Result<TokenAdjustment> TokenAdjustment::fromJson(const QJsonObject &body)
{
    FieldErrors errors;
    TokenAdjustment a;
    QString why;
    if (auto amount = domain::tokenamount::parse(body.value(QStringLiteral("amount")), domain::tokenamount::Sign::NonZero, &why))
        a.amount = *amount;
    else
        errors.add(QStringLiteral("amount"), why);
    const QJsonValue reason = body.value(QStringLiteral("reason"));
    a.reason = reason.toString().trimmed();
    if (!reason.isString() || a.reason.size() < 10 || a.reason.size() > 500)
        errors.add(QStringLiteral("reason"), QStringLiteral("must be 10–500 characters"));
    const QJsonValue key = body.value(QStringLiteral("idempotencyKey"));
    a.idempotencyKey = key.toString();
    if (!key.isString() || a.idempotencyKey.trimmed().isEmpty() || a.idempotencyKey.size() > 200)
        errors.add(QStringLiteral("idempotencyKey"), QStringLiteral("must be 1–200 characters"));
    if (!errors.empty())
        return errors.toError();
    return a;
}

TokenAdminService::TokenAdminService(db::Database &db) : m_db(db), m_ledger(db) {}

Result<domain::LedgerReceipt> TokenAdminService::adjust(const AdminCaller &actor, const QString &humanId,
                                                        const TokenAdjustment &adjustment)
{
    if (Status s = requireAdmin(actor); !s)
        return s.error();
    if (!ids::isUuid(humanId))
        return ApiError::notFound(QStringLiteral("Human not found"));
    const domain::LedgerPosting posting{
        humanId.toLower(), adjustment.amount,         QString::fromLatin1(domain::tokentype::kAdjustment),
        QString(), // no reference: the reason says why
        adjustment.reason, adjustment.idempotencyKey, QStringLiteral("moderator:%1").arg(actor.moderatorId)};
    QSqlDatabase db = m_db.connection();
    auto posted = db::inTransaction(db, [&]() -> Result<domain::LedgerReceipt> {
        auto receipt = domain::LedgerService::postIn(db, posting);
        if (!receipt || receipt->replayed)
            return receipt;
        auto before = db::scalar(db::execCached(db, QStringLiteral("SELECT (?::numeric - ?::numeric)::numeric(20,8)::text"),
                                                {receipt->balanceAfter, receipt->amount}));
        if (!before)
            return before.error();
        AuditEntry entry =
            AuditEntry::byModerator(actor, QStringLiteral("tokens.adjust"), QStringLiteral("human"), posting.humanId);
        entry.before = QJsonObject{{QStringLiteral("balance"), before->toString()}};
        entry.after = QJsonObject{{QStringLiteral("balance"), receipt->balanceAfter},
                                  {QStringLiteral("amount"), receipt->amount},
                                  {QStringLiteral("reason"), adjustment.reason},
                                  {QStringLiteral("transactionId"), receipt->transactionId},
                                  {QStringLiteral("idempotencyKey"), adjustment.idempotencyKey}};
        if (Status s = audit::append(db, entry); !s)
            return s.error();
        return receipt;
    });
    if (posted && !posted->replayed)
        qCInfo(lcTokenAdmin).noquote() << "tokens adjusted by" << posted->amount << "for human" << posting.humanId << "by"
                                       << actor.email;
    return posted;
}

Result<TokenAdminService::HumanTokens> TokenAdminService::humanTokens(const AdminCaller &actor, const QString &humanId,
                                                                      const QString &cursor, int limit)
{
    if (Status s = requireAdmin(actor); !s)
        return s.error();
    auto balance = m_ledger.balance(humanId);
    if (!balance)
        return balance.error();
    auto page = m_ledger.transactions(humanId, cursor, limit);
    if (!page)
        return page.error();
    return HumanTokens{*balance, *page};
}

Result<QList<domain::LedgerViolation>> TokenAdminService::verifyLedger(const AdminCaller &actor)
{
    if (Status s = requireAdmin(actor); !s)
        return s.error();
    return m_ledger.verify();
}

} // namespace bw::moderation
