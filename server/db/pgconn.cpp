#include "server/db/pgconn_p.h"

#include <QLoggingCategory>
#include <QSqlDriver>
#include <QVariant>

#include <libpq-fe.h>

namespace bw::db::detail {

namespace {

// QPSQL's handle() is a QVariant holding a PGconn*; the documented way to unwrap it. Qt 6.4
// names the type "pg_conn*" (the struct behind the typedef), other versions "PGconn*".
PGconn *pgConn(const QSqlDatabase &db)
{
    if (!db.isValid() || !db.driver())
        return nullptr;
    const QVariant v = db.driver()->handle();
    if (!v.isValid() || (qstrcmp(v.typeName(), "pg_conn*") != 0 && qstrcmp(v.typeName(), "PGconn*") != 0))
        return nullptr;
    return *static_cast<PGconn *const *>(v.constData());
}

constexpr const char *kTxMarker = "_bw_in_transaction";

Q_LOGGING_CATEGORY(lcNotice, "bw.db.notice", QtInfoMsg)

void noticeProcessor(void *, const char *message)
{
    const QString text = QString::fromUtf8(message).trimmed();
    if (text.startsWith(QLatin1StringView("WARNING")))
        qCWarning(lcNotice).noquote() << text;
    else
        qCDebug(lcNotice).noquote() << text;
}

} // namespace

bool connectionOk(const QSqlDatabase &db)
{
    if (!db.isValid() || !db.driver())
        return false;
    if (db.driver()->dbmsType() != QSqlDriver::PostgreSQL)
        return db.isOpen(); // not ours to inspect
    PGconn *conn = pgConn(db);
    return conn && PQstatus(conn) == CONNECTION_OK;
}

TxState transactionState(const QSqlDatabase &db)
{
    PGconn *conn = pgConn(db);
    if (!conn)
        return TxState::Unknown;
    switch (PQtransactionStatus(conn)) {
    case PQTRANS_IDLE:
        return TxState::Idle;
    case PQTRANS_ACTIVE:
        return TxState::Active;
    case PQTRANS_INTRANS:
        return TxState::InTransaction;
    case PQTRANS_INERROR:
        return TxState::InError;
    case PQTRANS_UNKNOWN:
        break;
    }
    return TxState::Unknown;
}

bool markedInTransaction(const QSqlDatabase &db)
{
    return db.isValid() && db.driver() && db.driver()->property(kTxMarker).toBool();
}

void setMarkedInTransaction(const QSqlDatabase &db, bool on)
{
    if (db.isValid() && db.driver())
        db.driver()->setProperty(kTxMarker, on);
}

void routeNotices(const QSqlDatabase &db)
{
    if (PGconn *conn = pgConn(db))
        PQsetNoticeProcessor(conn, &noticeProcessor, nullptr);
}

ScriptError execScript(const QSqlDatabase &db, const QByteArray &script)
{
    PGconn *conn = pgConn(db);
    if (!conn)
        return {QStringLiteral("no PostgreSQL connection"), QStringLiteral("08003")};
    PGresult *res = PQexec(conn, script.constData());
    ScriptError err;
    const ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        err.message = QString::fromUtf8(res ? PQresultErrorMessage(res) : PQerrorMessage(conn)).trimmed();
        if (err.message.isEmpty())
            err.message = QStringLiteral("unknown error");
        if (res) {
            err.sqlState = QString::fromLatin1(PQresultErrorField(res, PG_DIAG_SQLSTATE));
            err.position = QByteArray(PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION)).toInt();
        }
        if (err.sqlState.isEmpty() && PQstatus(conn) != CONNECTION_OK)
            err.sqlState = QStringLiteral("08006");
    }
    PQclear(res);
    return err;
}

} // namespace bw::db::detail
