#pragma once
// Private to bw_db: peeks at the libpq connection under a QPSQL QSqlDatabase, so that callers
// outside bw_db never need libpq headers. Call only from the connection's own thread.

#include <QSqlDatabase>
#include <QString>

namespace bw::db::detail {

enum class TxState { Unknown, Idle, Active, InTransaction, InError };

// True when the QPSQL connection exists and libpq reports CONNECTION_OK.
bool connectionOk(const QSqlDatabase &db);
// The server-side transaction state as libpq last saw it.
TxState transactionState(const QSqlDatabase &db);
// Our own marker, set by Transaction: PQtransactionStatus is unknown once a connection breaks,
// but we must still refuse to silently reconnect in the middle of a transaction.
bool markedInTransaction(const QSqlDatabase &db);
void setMarkedInTransaction(const QSqlDatabase &db, bool on);

// Routes server NOTICEs/WARNINGs to the "bw.db.notice" log category instead of libpq's default
// (raw stderr). Call after every (re)open: the handler belongs to the libpq connection.
void routeNotices(const QSqlDatabase &db);

struct ScriptError {
    QString message;
    QString sqlState;
    int position = 0; // 1-based character offset in the script, 0 = unknown
};
// Runs a multi-statement script with PQexec (QSqlQuery only reports the first statement's result).
// Returns an empty message on success.
ScriptError execScript(const QSqlDatabase &db, const QByteArray &script);

} // namespace bw::db::detail
