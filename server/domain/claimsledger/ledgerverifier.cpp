#include "server/domain/claimsledger/ledgerverifier.h"

#include "server/db/sql.h"

#include <QSqlQuery>

namespace bw::domain {

QJsonObject LedgerViolation::toJson() const
{
    return {{QStringLiteral("kind"), kind}, {QStringLiteral("subject"), subject}, {QStringLiteral("detail"), detail}};
}

namespace ledgerverifier {

namespace {
// One statement, one pass per invariant. The running-sum check relies on entry ids growing in the
// order a human account's entries were applied (they are written under the account's row lock).
constexpr auto kChecks = R"SQL(
WITH sums AS (
    SELECT account_id, sum(amount) AS total,
           coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS earned,
           coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS spent
      FROM token_entries GROUP BY account_id),
human_accounts AS (
    SELECT a.id, a.balance, a.earned_total, a.spent_total, coalesce(s.total, 0) AS total,
           coalesce(s.earned, 0) AS earned, coalesce(s.spent, 0) AS spent
      FROM token_accounts a LEFT JOIN sums s ON s.account_id = a.id WHERE a.kind = 'human')
(SELECT 'unbalanced_transaction', t.id::text,
        format('%s entries summing to %s', count(e.id), coalesce(sum(e.amount), 0))
   FROM token_transactions t LEFT JOIN token_entries e ON e.transaction_id = t.id
  GROUP BY t.id HAVING count(e.id) < 2 OR coalesce(sum(e.amount), 0) <> 0 ORDER BY t.id LIMIT %1)
UNION ALL
(SELECT 'balance_mismatch', h.id::text, format('stored balance %s, sum of entries %s', h.balance, h.total)
   FROM human_accounts h WHERE h.balance <> h.total ORDER BY h.id LIMIT %1)
UNION ALL
(SELECT 'totals_mismatch', h.id::text,
        format('stored earned %s / spent %s, entries earned %s / spent %s', h.earned_total, h.spent_total, h.earned, h.spent)
   FROM human_accounts h WHERE h.earned_total <> h.earned OR h.spent_total <> h.spent ORDER BY h.id LIMIT %1)
UNION ALL
(SELECT 'balance_after_mismatch', r.id::text,
        format('account %s: balanceAfter %s, running sum %s', r.account_id, coalesce(r.balance_after::text, 'NULL'), r.running)
   FROM (SELECT e.id, e.account_id, e.balance_after,
                sum(e.amount) OVER (PARTITION BY e.account_id ORDER BY e.id) AS running
           FROM token_entries e JOIN token_accounts a ON a.id = e.account_id AND a.kind = 'human') r
  WHERE r.balance_after IS DISTINCT FROM r.running ORDER BY r.id LIMIT %1)
UNION ALL
(SELECT 'negative_balance', h.id::text, format('balance %s', h.balance)
   FROM human_accounts h WHERE h.balance < 0 OR h.total < 0 ORDER BY h.id LIMIT %1)
UNION ALL
(SELECT 'duplicate_idempotency_key', idempotency_key, format('%s transactions', count(*))
   FROM token_transactions GROUP BY idempotency_key HAVING count(*) > 1 ORDER BY idempotency_key LIMIT %1)
)SQL";
} // namespace

Result<QList<LedgerViolation>> run(QSqlDatabase db, int maxPerKind)
{
    auto q = db::exec(db, QString::fromLatin1(kChecks).arg(qMax(1, maxPerKind)));
    if (!q)
        return q.error();
    QList<LedgerViolation> out;
    while (q->next())
        out.append({q->value(0).toString(), q->value(1).toString(), q->value(2).toString()});
    return out;
}

QJsonArray toJson(const QList<LedgerViolation> &violations)
{
    QJsonArray out;
    for (const auto &v : violations)
        out.append(v.toJson());
    return out;
}

} // namespace ledgerverifier

} // namespace bw::domain
