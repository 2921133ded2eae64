#pragma once
// Small helpers every repository uses: one way to run SQL and to scope a transaction.
// All functions run on the calling thread with that thread's connection (Database::connection()).

#include "server/core/result.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariantList>

namespace bw::db {

// Prepares sql (positional '?' or ':name' placeholders as QSqlQuery supports), binds values in
// order, executes. Without binds the text is sent as is (one round trip; write one statement).
// If the connection was lost and we are not inside a transaction, reopens and retries once.
// On failure: ApiError kind Internal, message = server/driver text, details {"sqlState": "<SQLSTATE>"}
// ("08001" could not connect, "08006" connection lost, "08003" no connection).
// QPSQL notes: numeric comes back as double; bind JSON as QString and cast (?::jsonb);
// with binds, write jsonb_exists(a, b) instead of the '?' operator.
Result<QSqlQuery> exec(QSqlDatabase db, const QString &sql, const QVariantList &binds = {});

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

} // namespace bw::db
