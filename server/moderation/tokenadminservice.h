#pragma once
// Administrators and the ImpactToken ledger (humans.md §6, admin API): audited adjustments (grant
// or correct a balance with a new transaction — history is never edited), a human's balance and
// transfers, and the ledger verification on demand. Thread-safe and stateless: any thread except
// the GUI thread (SQL on the calling thread's connection).

#include "admincaller.h"

#include "server/core/result.h"
#include "server/domain/claimsledger/ledgerservice.h"

#include <QJsonObject>
#include <QString>

namespace bw::db {
class Database;
}

namespace bw::moderation {

// POST /admin/humans/:id/tokens/adjust {amount (signed decimal string), reason 10–500, idempotencyKey}.
struct TokenAdjustment {
    QString amount;
    QString reason;
    QString idempotencyKey;

    static Result<TokenAdjustment> fromJson(const QJsonObject &body); // 422 with the offending fields
};

class TokenAdminService final {
public:
    explicit TokenAdminService(db::Database &db);

    // Posts the adjustment (positive: granted from the treasury; negative: taken back — never
    // below zero, 409 INSUFFICIENT_BALANCE) and its audit row (tokens.adjust: balance before and
    // after, amount, reason) in one transaction. A replayed idempotency key returns the first
    // result, moves nothing and writes no second audit row. 403 unless administrator; 404 unknown human.
    Result<domain::LedgerReceipt> adjust(const AdminCaller &actor, const QString &humanId, const TokenAdjustment &adjustment);

    // The human's balance and one page of transfers (newest first). 403 unless administrator.
    struct HumanTokens {
        domain::TokenBalance balance;
        domain::Page transactions;
    };
    Result<HumanTokens> humanTokens(const AdminCaller &actor, const QString &humanId, const QString &cursor, int limit);

    // Runs every ledger invariant check (read-only). 403 unless administrator.
    Result<QList<domain::LedgerViolation>> verifyLedger(const AdminCaller &actor);

private:
    db::Database &m_db;
    domain::LedgerService m_ledger;
};

} // namespace bw::moderation
