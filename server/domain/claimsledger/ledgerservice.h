#pragma once
// The ImpactToken ledger (humans.md §6): double-entry transfers between the platform treasury and a
// human's account, exact decimals (text in C++, numeric(20,8) in SQL), one idempotency key per
// transfer. Every write goes through post(): it locks the human's account row, refuses an overdraft,
// and writes the transaction, both entries and the new stored balance in one statement; replaying a
// key returns the first result and moves nothing. Thread-safe and stateless: any thread except the
// GUI thread (SQL on the calling thread's connection).

#include "server/domain/claimsledger/ledgerverifier.h"
#include "server/domain/content/keysetlist.h"
#include "server/domain/content/problemservice.h"

#include "server/core/result.h"

#include <QJsonObject>
#include <QSqlDatabase>
#include <QString>

namespace bw::db {
class Database;
}

namespace bw::domain {

namespace tokentype {
inline constexpr auto kMissionReward = "mission_reward";
inline constexpr auto kQualityBonus = "quality_bonus";
inline constexpr auto kGrant = "grant";
inline constexpr auto kSpend = "spend";
inline constexpr auto kAdjustment = "adjustment";
} // namespace tokentype

// One transfer as the caller asks for it. amount is signed from the human's side: positive credits
// the human (from the treasury), negative debits the human (back to the treasury).
struct LedgerPosting {
    QString humanId;
    QString amount; // decimal text, ≤ 8 decimals, non-zero
    QString type;   // tokentype::…
    QString reference;
    QString description;                          // 1..500
    QString idempotencyKey;                       // 1..200, unique over the whole ledger
    QString createdBy = QStringLiteral("system"); // system | human:<uuid> | moderator:<uuid>
};

struct LedgerReceipt {
    QString transactionId;
    QString humanId;
    QString amount; // the human's entry, 8 decimals, signed
    QString type;
    QString reference;
    QString description;
    QString balanceAfter;  // the human's balance right after this transfer
    QString createdAt;     // ISO-8601 UTC
    bool replayed = false; // the idempotency key had been used: nothing moved this time

    QJsonObject toJson() const; // {transactionId, amount, type, reference, description, balanceAfter, createdAt, replayed}
};

struct TokenBalance {
    QString balance = QStringLiteral("0.00000000");
    QString earnedTotal = QStringLiteral("0.00000000");
    QString spentTotal = QStringLiteral("0.00000000");

    QJsonObject toJson() const; // {balance, earnedTotal, spentTotal}
};

class LedgerService final {
public:
    explicit LedgerService(db::Database &db);

    // Credits the human from the treasury (type mission_reward, quality_bonus or grant) in its own
    // transaction. 404 unknown human; 422 invalid input; 409 CONFLICT when the key was used for a
    // different transfer.
    Result<LedgerReceipt> credit(const QString &humanId, const QString &amount, const QString &type, const QString &reference,
                                 const QString &description, const QString &idempotencyKey);
    // The same inside the caller's open transaction on db (evidence approval: the claim, the
    // mission's count and the reward commit together). Never opens or ends a transaction.
    static Result<LedgerReceipt> creditIn(QSqlDatabase db, const QString &humanId, const QString &amount, const QString &type,
                                          const QString &reference, const QString &description, const QString &idempotencyKey);

    // The human pays amount (> 0) back to the treasury. 409 INSUFFICIENT_BALANCE when it exceeds
    // the balance (also under any number of concurrent spends).
    Result<LedgerReceipt> spend(const QString &humanId, const QString &amount, const QString &purpose,
                                const QString &idempotencyKey);

    // The one writer: validates and posts on db, inside the caller's transaction when one is open.
    // Use post() unless such a transaction exists.
    static Result<LedgerReceipt> postIn(QSqlDatabase db, const LedgerPosting &posting);
    Result<LedgerReceipt> post(const LedgerPosting &posting);

    // Zeros for a human without an account yet; 404 unknown human.
    Result<TokenBalance> balance(const QString &humanId);
    static Result<TokenBalance> balanceIn(QSqlDatabase db, const QString &humanId);

    // The human's transfers, newest first: {id, amount, type, reference, description, balanceAfter,
    // createdAt}; keyset cursor on the entry id (limit 1..100, validated by the caller).
    Result<Page> transactions(const QString &humanId, const QString &cursor, int limit);

    // Every ledger invariant (LedgerVerifier::run on this thread's connection).
    Result<QList<LedgerViolation>> verify();
    // verify() and a ledger_verifications row (source job | cli | api) that the LedgerInvariantBroken
    // alert reads.
    Result<QList<LedgerViolation>> verifyAndRecord(const QString &source);

private:
    db::Database &m_db;
    CursorSource m_cursors;
};

} // namespace bw::domain
