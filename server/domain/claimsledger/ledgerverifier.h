#pragma once
// The ledger's invariants as SQL checks (humans.md §6), for `betterworld ledger verify`, the weekly
// ledger-verify job and GET /admin/ledger/verify: every transaction balanced (≥ 2 entries summing
// to 0), every human account's stored balance = the sum of its entries = earned − spent, each
// entry's balanceAfter = the running sum, no negative human balance, no duplicate idempotency key.
// Read-only; runs on the connection it is given (any thread but the GUI's).

#include "server/core/result.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QSqlDatabase>
#include <QString>

namespace bw::domain {

struct LedgerViolation {
    QString kind;    // unbalanced_transaction | balance_mismatch | balance_after_mismatch | totals_mismatch
                     // | negative_balance | duplicate_idempotency_key
    QString subject; // the transaction id, account id or key concerned
    QString detail;  // human-readable numbers

    QJsonObject toJson() const;
};

namespace ledgerverifier {

// At most maxPerKind violations of each kind (the first ones by id).
Result<QList<LedgerViolation>> run(QSqlDatabase db, int maxPerKind = 100);
QJsonArray toJson(const QList<LedgerViolation> &violations);

} // namespace ledgerverifier

} // namespace bw::domain
