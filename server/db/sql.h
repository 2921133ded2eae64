#pragma once
// The SQL toolkit every repository uses: run a statement (exec / execCached), scope a transaction
// (Transaction, inTransaction), and the small value helpers. Building statement text with escaped
// literals is in sqltext.h. All functions run on the calling thread with that thread's connection
// (Database::connection()).

#include "server/core/result.h"

#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariantList>

#include <optional>

namespace bw::db {

// Prepares sql (positional '?' or ':name' placeholders as QSqlQuery supports), binds values in
// order, executes. Without binds the text is sent as is (one round trip; write one statement).
// If the connection was lost and we are not inside a transaction, reopens and retries once.
// On failure: ApiError kind Internal, message = server/driver text, details {"sqlState": "<SQLSTATE>"}
// ("08001" could not connect, "08006" connection lost, "08003" no connection).
// QPSQL notes: numeric comes back as double; bind JSON as QString and cast (?::jsonb);
// with binds, write jsonb_exists(a, b) instead of the '?' operator.
Result<QSqlQuery> exec(QSqlDatabase db, const QString &sql, const QVariantList &binds = {});

// The same statement run in ONE round trip per call: each distinct text is PREPAREd once per
// connection, then called as EXECUTE name(literal, …) with the binds escaped by db::literal()
// (sqltext.h). exec() with binds costs three round trips (QPSQL's PREPARE, EXECUTE, DEALLOCATE) and
// re-plans every time; use execCached for hot statements. Only '?' placeholders, and binds that
// db::literal() writes (null, bool, integers, double, text — no bytea, no QDateTime: pass ISO text
// and cast). A '?'/bind count mismatch is an Internal error. Re-prepares transparently after a
// reconnect; at most 256 cached statements per connection, then binds are inlined. Errors as exec().
Result<QSqlQuery> execCached(QSqlDatabase db, const QString &sql, const QVariantList &binds = {});

// The SQLSTATE of an error made by exec() or Transaction; "" when none.
QString sqlState(const ApiError &error);

constexpr auto kUniqueViolation = "23505";
constexpr auto kForeignKeyViolation = "23503";
constexpr auto kCheckViolation = "23514";
constexpr auto kSerializationFailure = "40001";
constexpr auto kQueryCanceled = "57014"; // statement_timeout

// RAII transaction: BEGIN in the constructor, ROLLBACK in the destructor unless commit()
// succeeded. Not nestable (a second Transaction on the same connection fails to begin).
// Lives on the stack of the connection's thread.
class Transaction final {
public:
    explicit Transaction(QSqlDatabase db);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    Status begin_status() const { return m_begin; }
    bool isActive() const { return m_active; }
    // Fails (and rolls back) if an earlier statement in the transaction failed, instead of
    // PostgreSQL's silent "COMMIT → ROLLBACK".
    Status commit();
    Status rollback();

private:
    QSqlDatabase m_db;
    Status m_begin = success();
    bool m_active = false;
};

// Runs fn() (returning Result<T> or Status) inside one Transaction on db: BEGIN, fn, COMMIT.
// A failed BEGIN or fn result is returned as is and the transaction rolls back; a failed COMMIT
// returns the commit's error. For "the change and its audit row together" use
// moderation::audit::inTransaction (server/moderation/auditlog.h).
template <typename Fn>
auto inTransaction(QSqlDatabase db, Fn &&fn) -> decltype(fn())
{
    Transaction tx(std::move(db));
    if (!tx.begin_status())
        return tx.begin_status().error();
    auto result = fn();
    if (!result)
        return result; // ~Transaction rolls back
    if (Status s = tx.commit(); !s)
        return s.error();
    return result;
}

// --- Small value helpers (binds in, columns out) ---

// NULL of type text. A Qt 6 QVariant holding a null QString is *not* null: db::literal() writes
// E'' for it (QPSQL's exec() binds it as NULL), so spell NULL out.
QVariant nullText();
// s, or NULL of type text when s is empty.
QVariant textOrNull(const QString &s);
// *s (even ""), or NULL of type text when there is none.
QVariant optionalText(const std::optional<QString> &s);

// The first column of the first row of a statement that succeeded; an invalid QVariant when there
// is no row (so toInt() gives 0, toString() ""). The statement's error passes through.
Result<QVariant> scalar(Result<QSqlQuery> query);

// JSON text from PostgreSQL (a json/jsonb column or row_to_json(…)::text) → object; an Internal
// error "<what> JSON from the database did not parse / is not an object" otherwise.
Result<QJsonObject> jsonObject(const QString &text, const char *what);
// The lenient read for columns that hold an object by construction: {} for NULL, "" or anything
// that is not a JSON object.
QJsonObject jsonObjectOrEmpty(const QString &text);

} // namespace bw::db
