#include "server/domain/claimsledger/ledgerservice.h"

#include "server/domain/claimsledger/tokenamount.h"
#include "server/domain/sqljson.h"

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QStringList>

namespace bw::domain {

namespace {

ApiError humanNotFound()
{
    return ApiError::notFound(QStringLiteral("Human not found"));
}

Status validate(const LedgerPosting &p)
{
    FieldErrors errors;
    if (!ids::isUuid(p.humanId))
        errors.add(QStringLiteral("humanId"), QStringLiteral("must be a UUID"));
    if (!tokenamount::isValid(p.amount, tokenamount::Sign::NonZero))
        errors.add(QStringLiteral("amount"), QStringLiteral("must be a non-zero decimal with at most 8 decimals"));
    static const QStringList types{QString::fromLatin1(tokentype::kMissionReward), QString::fromLatin1(tokentype::kQualityBonus),
                                   QString::fromLatin1(tokentype::kGrant), QString::fromLatin1(tokentype::kSpend),
                                   QString::fromLatin1(tokentype::kAdjustment)};
    if (!types.contains(p.type))
        errors.add(QStringLiteral("type"), QStringLiteral("must be one of %1").arg(types.join(QStringLiteral(", "))));
    if (p.reference.size() > 200)
        errors.add(QStringLiteral("reference"), QStringLiteral("must be at most 200 characters"));
    if (p.description.trimmed().isEmpty() || p.description.size() > 500)
        errors.add(QStringLiteral("description"), QStringLiteral("must be 1–500 characters"));
    if (p.idempotencyKey.trimmed().isEmpty() || p.idempotencyKey.size() > 200)
        errors.add(QStringLiteral("idempotencyKey"), QStringLiteral("must be 1–200 characters"));
    if (!errors.empty())
        return errors.toError();
    return success();
}

// The human's account row, created on first use and locked until the transaction ends: every
// posting for one human runs one at a time from here on. Returns (account id, whether the
// balance covers amount), or nullopt when the human does not exist.
struct LockedAccount {
    QString id;
    bool covers = false;
};
Result<std::optional<LockedAccount>> lockAccount(QSqlDatabase db, const QString &humanId, const QString &amount)
{
    static const QString lock =
        QStringLiteral("SELECT id::text, balance + ?::numeric >= 0 FROM token_accounts WHERE human_id = ?::uuid FOR UPDATE");
    static const QString create =
        QStringLiteral("INSERT INTO token_accounts (kind, human_id) SELECT 'human', h.id FROM humans h WHERE h.id = ?::uuid"
                       " ON CONFLICT (human_id) DO NOTHING");
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto q = db::execCached(db, lock, {amount, humanId});
        if (!q)
            return q.error();
        if (q->next())
            return std::optional<LockedAccount>(LockedAccount{q->value(0).toString(), q->value(1).toBool()});
        if (attempt == 0) {
            if (auto c = db::execCached(db, create, {humanId}); !c)
                return c.error();
        }
    }
    return std::optional<LockedAccount>();
}

// The transfer already recorded under this key: a replay when it is the same transfer (human,
// type, amount), a 409 when the key was used for something else; nullopt when the key is unused.
Result<std::optional<LedgerReceipt>> replay(QSqlDatabase db, const LedgerPosting &p)
{
    static const QString sql =
        QStringLiteral("SELECT t.id::text, %1, t.type, coalesce(t.reference, ''), t.description, e.amount::text,"
                       " e.balance_after::text, a.human_id::text, e.amount = ?::numeric"
                       " FROM token_transactions t JOIN token_entries e ON e.transaction_id = t.id"
                       " JOIN token_accounts a ON a.id = e.account_id AND a.kind = 'human'"
                       " WHERE t.idempotency_key = ?")
            .arg(sqljson::isoTimestamp(QStringLiteral("t.created_at")));
    auto q = db::execCached(db, sql, {p.amount, p.idempotencyKey});
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<LedgerReceipt>();
    LedgerReceipt r;
    r.transactionId = q->value(0).toString();
    r.createdAt = q->value(1).toString();
    r.type = q->value(2).toString();
    r.reference = q->value(3).toString();
    r.description = q->value(4).toString();
    r.amount = q->value(5).toString();
    r.balanceAfter = q->value(6).toString();
    r.humanId = q->value(7).toString();
    r.replayed = true;
    if (r.humanId != p.humanId.toLower() || r.type != p.type || !q->value(8).toBool())
        return ApiError::make(ErrorKind::Conflict,
                              QStringLiteral("This idempotency key was already used for a different transfer"),
                              QJsonObject{{QStringLiteral("idempotencyKey"), p.idempotencyKey},
                                          {QStringLiteral("transactionId"), r.transactionId}});
    return std::optional<LedgerReceipt>(r);
}

ApiError insufficient(const LedgerPosting &p)
{
    return ApiError::make(ErrorKind::InsufficientBalance, QStringLiteral("The balance does not cover this amount"),
                          QJsonObject{{QStringLiteral("amount"), tokenamount::negated(p.amount)}});
}

Result<LedgerReceipt> replayOr(QSqlDatabase db, const LedgerPosting &p, const ApiError &otherwise)
{
    auto existing = replay(db, p);
    if (!existing)
        return existing.error();
    if (*existing)
        return **existing;
    return otherwise;
}

} // namespace

QJsonObject LedgerReceipt::toJson() const
{
    return {{QStringLiteral("transactionId"), transactionId},
            {QStringLiteral("amount"), amount},
            {QStringLiteral("type"), type},
            {QStringLiteral("reference"), reference.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(reference)},
            {QStringLiteral("description"), description},
            {QStringLiteral("balanceAfter"), balanceAfter},
            {QStringLiteral("createdAt"), createdAt},
            {QStringLiteral("replayed"), replayed}};
}

QJsonObject TokenBalance::toJson() const
{
    return {{QStringLiteral("balance"), balance},
            {QStringLiteral("earnedTotal"), earnedTotal},
            {QStringLiteral("spentTotal"), spentTotal}};
}

LedgerService::LedgerService(db::Database &db) : m_db(db), m_cursors(db) {}

Result<LedgerReceipt> LedgerService::postIn(QSqlDatabase db, const LedgerPosting &p)
{
    if (Status ok = validate(p); !ok)
        return ok.error();

    auto account = lockAccount(db, p.humanId, p.amount);
    if (!account)
        return account.error();
    if (!*account)
        return humanNotFound();
    // A replayed spend must answer its first result even when the balance has dropped since.
    if (!(*account)->covers)
        return replayOr(db, p, insufficient(p));

    // Transaction, the human's stored balance and both entries in one statement (one round trip
    // while the account is locked). ON CONFLICT: a key already used — nothing is written, and the
    // recorded transfer is looked up below. The CHECKs on token_accounts back the overdraft rule.
    static const QString write =
        QStringLiteral(
            "WITH tx AS (INSERT INTO token_transactions (type, reference, description, idempotency_key, created_by)"
            "  VALUES (?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, created_at),"
            " acct AS (UPDATE token_accounts a SET balance = a.balance + ?::numeric,"
            "  earned_total = a.earned_total + greatest(?::numeric, 0), spent_total = a.spent_total + greatest(-(?::numeric), 0),"
            "  updated_at = now() FROM tx WHERE a.id = ?::uuid RETURNING a.balance),"
            " mine AS (INSERT INTO token_entries (transaction_id, account_id, amount, balance_after)"
            "  SELECT tx.id, ?::uuid, ?::numeric, acct.balance FROM tx, acct RETURNING amount, balance_after),"
            " treasury AS (INSERT INTO token_entries (transaction_id, account_id, amount)"
            "  SELECT tx.id, t.id, -(?::numeric) FROM tx, token_accounts t WHERE t.kind = 'treasury')"
            " SELECT tx.id::text, %1, mine.amount::text, mine.balance_after::text FROM tx, mine")
            .arg(sqljson::isoTimestamp(QStringLiteral("tx.created_at")));
    const QString &accountId = (*account)->id;
    auto q = db::execCached(db, write,
                            {p.type, db::textOrNull(p.reference), p.description, p.idempotencyKey, p.createdBy, p.amount,
                             p.amount, p.amount, accountId, accountId, p.amount, p.amount});
    if (!q) {
        if (db::sqlState(q.error()) == QLatin1String(db::kCheckViolation))
            return insufficient(p);
        return q.error();
    }
    if (!q->next())
        return replayOr(db, p, ApiError::internal(QStringLiteral("ledger posting wrote nothing and no transfer has its key")));
    LedgerReceipt r;
    r.transactionId = q->value(0).toString();
    r.createdAt = q->value(1).toString();
    r.amount = q->value(2).toString();
    r.balanceAfter = q->value(3).toString();
    r.humanId = p.humanId.toLower();
    r.type = p.type;
    r.reference = p.reference;
    r.description = p.description;
    return r;
}

Result<LedgerReceipt> LedgerService::post(const LedgerPosting &posting)
{
    QSqlDatabase db = m_db.connection();
    return db::inTransaction(db, [&] { return postIn(db, posting); });
}

Result<LedgerReceipt> LedgerService::creditIn(QSqlDatabase db, const QString &humanId, const QString &amount, const QString &type,
                                              const QString &reference, const QString &description, const QString &idempotencyKey)
{
    if (type == QLatin1String(tokentype::kSpend) || !tokenamount::isValid(amount, tokenamount::Sign::Positive))
        return ApiError::validation({{QStringLiteral("amount"), {QStringLiteral("a credit must be positive")}}});
    return postIn(db, LedgerPosting{humanId, amount, type, reference, description, idempotencyKey});
}

Result<LedgerReceipt> LedgerService::credit(const QString &humanId, const QString &amount, const QString &type,
                                            const QString &reference, const QString &description, const QString &idempotencyKey)
{
    QSqlDatabase db = m_db.connection();
    return db::inTransaction(db, [&] { return creditIn(db, humanId, amount, type, reference, description, idempotencyKey); });
}

Result<LedgerReceipt> LedgerService::spend(const QString &humanId, const QString &amount, const QString &purpose,
                                           const QString &idempotencyKey)
{
    if (!tokenamount::isValid(amount, tokenamount::Sign::Positive))
        return ApiError::validation(
            {{QStringLiteral("amount"), {QStringLiteral("must be a positive decimal with at most 8 decimals")}}});
    LedgerPosting p{humanId,
                    tokenamount::negated(amount),
                    QString::fromLatin1(tokentype::kSpend),
                    {},
                    purpose,
                    idempotencyKey,
                    ids::isUuid(humanId) ? QStringLiteral("human:") + humanId.toLower() : QStringLiteral("system")};
    if (p.description.trimmed().isEmpty() || p.description.size() > 500)
        return ApiError::validation({{QStringLiteral("purpose"), {QStringLiteral("must be 1–500 characters")}}});
    return post(p);
}

Result<TokenBalance> LedgerService::balanceIn(QSqlDatabase db, const QString &humanId)
{
    if (!ids::isUuid(humanId))
        return humanNotFound();
    auto q = db::execCached(db,
                            QStringLiteral("SELECT a.balance::text, a.earned_total::text, a.spent_total::text, h.id IS NOT NULL"
                                           " FROM (SELECT ?::uuid AS id) x LEFT JOIN humans h ON h.id = x.id"
                                           " LEFT JOIN token_accounts a ON a.human_id = x.id"),
                            {humanId});
    if (!q)
        return q.error();
    if (!q->next() || !q->value(3).toBool())
        return humanNotFound();
    TokenBalance b;
    if (!q->value(0).isNull()) {
        b.balance = q->value(0).toString();
        b.earnedTotal = q->value(1).toString();
        b.spentTotal = q->value(2).toString();
    }
    return b;
}

Result<TokenBalance> LedgerService::balance(const QString &humanId)
{
    return balanceIn(m_db.connection(), humanId);
}

Result<Page> LedgerService::transactions(const QString &humanId, const QString &cursor, int limit)
{
    static const QString items = QStringLiteral("pg.transaction_id AS \"id\", pg.amount::text AS \"amount\", pg.type AS \"type\","
                                                " pg.reference AS \"reference\", pg.description AS \"description\","
                                                " pg.balance_after::text AS \"balanceAfter\", %1 AS \"createdAt\"")
                                     .arg(sqljson::isoTimestamp(QStringLiteral("pg.created_at")));
    if (!ids::isUuid(humanId))
        return humanNotFound();
    KeysetSpec spec;
    spec.list = QStringLiteral("tokens.transactions");
    spec.sort = QStringLiteral("newest");
    spec.from = QStringLiteral("token_entries e JOIN token_accounts a ON a.id = e.account_id"
                               " JOIN token_transactions t ON t.id = e.transaction_id");
    spec.select = QStringLiteral("t.id AS transaction_id, e.amount, e.balance_after, t.type, t.reference, t.description,"
                                 " t.created_at");
    spec.where = QStringLiteral("a.human_id = ?::uuid");
    spec.whereBinds << humanId;
    spec.keys << KeyPart{QStringLiteral("e.id"), KeyPart::Kind::Integer, {}};
    spec.itemColumns = items;
    spec.limit = qBound(1, limit, 100);
    return runKeysetPage(m_db.connection(), m_cursors, spec, cursor);
}

Result<QList<LedgerViolation>> LedgerService::verify()
{
    return ledgerverifier::run(m_db.connection());
}

Result<QList<LedgerViolation>> LedgerService::verifyAndRecord(const QString &source)
{
    QElapsedTimer timer;
    timer.start();
    auto violations = verify();
    if (!violations)
        return violations;
    const QByteArray json = QJsonDocument(ledgerverifier::toJson(*violations)).toJson(QJsonDocument::Compact);
    auto recorded = db::exec(m_db.connection(),
                             QStringLiteral("INSERT INTO ledger_verifications (source, violation_count, violations, duration_ms)"
                                            " VALUES (?, ?, ?::jsonb, ?)"),
                             {source, int(violations->size()), QString::fromUtf8(json), int(timer.elapsed())});
    if (!recorded)
        return recorded.error();
    return violations;
}

} // namespace bw::domain
