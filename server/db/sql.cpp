#include "server/db/sql.h"

#include "server/core/threadrole.h"
#include "server/db/pgconn_p.h"
#include "server/db/sqltext.h"

#include <QHash>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSqlDriver>
#include <QSqlError>

namespace bw::db {

namespace {

Q_LOGGING_CATEGORY(lcSql, "bw.db.sql")

ApiError sqlError(const QString &message, const QString &state)
{
    QJsonObject details;
    details.insert(QStringLiteral("sqlState"), state);
    // Class 08 (connection exception) and 57P0x (shutting down, crash recovery, starting): the
    // database is unreachable for now — 503 and "retry", not a 500 bug report. The server's text
    // stays in the message for operators (startup, jobs, panels); HTTP clients get a generic one.
    if (state.startsWith(u"08") || state.startsWith(u"57P0"))
        return ApiError::make(ErrorKind::ServiceUnavailable, message, details);
    return ApiError::make(ErrorKind::Internal, message, details);
}

ApiError fromQSqlError(const QSqlError &e, const QString &fallbackState)
{
    // QPSQL appends "(SQLSTATE)" to the server text; the state goes into details instead.
    static const QRegularExpression trailingState(QStringLiteral("\\s*\\([0-9A-Z]{5}\\)\\s*$"));
    QString text = e.databaseText().trimmed();
    text.remove(trailingState);
    if (text.isEmpty())
        text = e.driverText();
    QString state = e.nativeErrorCode();
    if (state.size() != 5)
        state = fallbackState;
    return sqlError(text, state);
}

// (Re)opens a closed or broken connection. QSqlDatabase::open() closes the old libpq
// connection first; the session settings come back with it (they are startup options).
Status reopen(QSqlDatabase &db)
{
    db.close();
    if (db.open()) {
        detail::routeNotices(db);
        return success();
    }
    return fromQSqlError(db.lastError(), QStringLiteral("08001"));
}

Result<QSqlQuery> runOnce(QSqlDatabase &db, const QString &sql, const QVariantList &binds)
{
    QSqlQuery query(db);
    bool ok = false;
    if (binds.isEmpty()) {
        ok = query.exec(sql);
    } else {
        ok = query.prepare(sql);
        if (ok) {
            for (const QVariant &v : binds)
                query.addBindValue(v);
            ok = query.exec();
        }
    }
    if (ok)
        return query;
    return fromQSqlError(query.lastError(), detail::connectionOk(db) ? QString() : QStringLiteral("08006"));
}

} // namespace

Result<QSqlQuery> exec(QSqlDatabase db, const QString &sql, const QVariantList &binds)
{
    checkSqlThread("bw::db::exec()");
    if (!db.isValid())
        return sqlError(QStringLiteral("no database connection (invalid QSqlDatabase)"), QStringLiteral("08003"));

    const bool marked = detail::markedInTransaction(db);
    if (!detail::connectionOk(db)) {
        // Reconnecting inside a transaction would run the rest of it in autocommit mode.
        if (marked)
            return sqlError(QStringLiteral("connection to the database was lost inside a transaction"), QStringLiteral("08006"));
        if (Status s = reopen(db); !s)
            return s.error();
    }

    const detail::TxState before = detail::transactionState(db);
    Result<QSqlQuery> result = runOnce(db, sql, binds);
    if (result || detail::connectionOk(db))
        return result;

    // The connection died under us (e.g. the server restarted). Retrying is only safe outside a
    // transaction; a statement that had reached the server before the break may then run twice.
    if (marked || before != detail::TxState::Idle)
        return result;
    qCInfo(lcSql) << "connection lost, reconnecting once:" << result.error().message;
    if (Status s = reopen(db); !s)
        return result;
    return runOnce(db, sql, binds);
}

// --- execCached: the per-connection prepared-statement cache ---

namespace {
// Per-connection cache bound: list queries vary by filters and limit; plans cost backend memory.
// Beyond it, statements run unprepared (never DEALLOCATE ALL: other code may own statements too).
constexpr int kMaxStatementsPerConnection = 256;
const QLatin1String kInvalidStatementName("26000");

struct ConnectionStatements {
    const void *handle = nullptr;  // the PGconn the statements were prepared on
    QHash<QString, QString> names; // SQL text → prepared statement name
};

// Thread-local: a connection is only ever used by its own thread, so no locking is needed.
ConnectionStatements &statementsFor(const QSqlDatabase &db)
{
    thread_local QHash<QString, ConnectionStatements> perConnection;
    ConnectionStatements &s = perConnection[db.connectionName()];
    const QVariant h = db.driver() ? db.driver()->handle() : QVariant();
    const void *handle = h.isValid() ? *static_cast<const void *const *>(h.constData()) : nullptr;
    if (handle != s.handle) { // a new libpq connection: nothing is prepared on it
        s.handle = handle;
        s.names.clear();
    }
    return s;
}

QString nextStatementName()
{
    thread_local quint64 counter = 0;
    return QStringLiteral("bw_stmt_%1").arg(++counter);
}

// The statement's prepared name, preparing it on first use; "" when the cache is full (the
// caller then sends the statement with inlined literals instead, still one round trip).
Result<QString> prepare(QSqlDatabase &db, ConnectionStatements &cache, const QString &sql)
{
    if (auto it = cache.names.constFind(sql); it != cache.names.constEnd())
        return *it;
    if (cache.names.size() >= kMaxStatementsPerConnection)
        return QString();
    int count = 0;
    const QString numbered = numberPlaceholders(sql, &count);
    if (numbered.isEmpty())
        return ApiError::internal(QStringLiteral("unterminated quote in SQL: %1").arg(sql.left(200)));
    const QString name = nextStatementName();
    if (auto r = exec(db, QStringLiteral("PREPARE ") + name + QStringLiteral(" AS ") + numbered); !r)
        return r.error();
    // The PREPARE may have reconnected the handle; remember the connection it lives on now.
    const QVariant h = db.driver()->handle();
    cache.handle = h.isValid() ? *static_cast<const void *const *>(h.constData()) : nullptr;
    cache.names.insert(sql, name);
    return name;
}
} // namespace

Result<QSqlQuery> execCached(QSqlDatabase db, const QString &sql, const QVariantList &binds)
{
    int expected = 0;
    if (numberPlaceholders(sql, &expected).isEmpty() || expected != binds.size())
        return ApiError::internal(QStringLiteral("bind count does not match placeholders in: %1").arg(sql.left(200)));

    QString args;
    for (const QVariant &v : binds) {
        if (!args.isEmpty())
            args += QStringLiteral(", ");
        args += literal(v);
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        ConnectionStatements &cache = statementsFor(db);
        auto name = prepare(db, cache, sql);
        if (!name)
            return name.error();
        if (name->isEmpty())
            return exec(db, inlineBinds(sql, binds));
        QString call = QStringLiteral("EXECUTE ") + *name;
        if (!binds.isEmpty())
            call += u'(' + args + u')';
        auto result = exec(db, call);
        // Prepared statements vanish with their connection (server restart, reconnect): prepare again.
        if (!result && sqlState(result.error()) == kInvalidStatementName && attempt == 0) {
            cache.names.clear();
            continue;
        }
        return result;
    }
    return ApiError::internal(QStringLiteral("unreachable"));
}

QString sqlState(const ApiError &error)
{
    return error.details.value(QStringLiteral("sqlState")).toString();
}

Transaction::Transaction(QSqlDatabase db) : m_db(std::move(db))
{
    checkSqlThread("bw::db::Transaction");
    if (detail::markedInTransaction(m_db)) {
        m_begin = sqlError(QStringLiteral("a transaction is already open on this connection"), QStringLiteral("25001"));
        return;
    }
    if (auto r = exec(m_db, QStringLiteral("BEGIN")); !r) {
        m_begin = r.error();
        return;
    }
    m_active = true;
    detail::setMarkedInTransaction(m_db, true);
}

Transaction::~Transaction()
{
    if (m_active)
        (void)rollback();
}

Status Transaction::commit()
{
    if (!m_active)
        return sqlError(QStringLiteral("no active transaction to commit"), QStringLiteral("25000"));
    if (detail::transactionState(m_db) == detail::TxState::InError) {
        (void)rollback();
        return sqlError(QStringLiteral("transaction aborted by an earlier error; rolled back"), QStringLiteral("25P02"));
    }
    auto r = exec(m_db, QStringLiteral("COMMIT"));
    // Whatever happened, the transaction is over: committed, rolled back by the server, or lost.
    m_active = false;
    detail::setMarkedInTransaction(m_db, false);
    if (!r)
        return r.error();
    return success();
}

Status Transaction::rollback()
{
    if (!m_active)
        return success();
    m_active = false;
    Status status = success();
    if (detail::connectionOk(m_db)) {
        if (auto r = exec(m_db, QStringLiteral("ROLLBACK")); !r)
            status = r.error();
    }
    detail::setMarkedInTransaction(m_db, false);
    return status;
}

QVariant nullText()
{
    return QVariant(QMetaType::fromType<QString>());
}

QVariant textOrNull(const QString &s)
{
    return s.isEmpty() ? nullText() : QVariant(s);
}

QVariant optionalText(const std::optional<QString> &s)
{
    return s ? QVariant(*s) : nullText();
}

Result<QVariant> scalar(Result<QSqlQuery> query)
{
    if (!query)
        return query.error();
    return query->next() ? query->value(0) : QVariant();
}

Result<QJsonObject> jsonObject(const QString &text, const char *what)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError)
        return ApiError::internal(
            QStringLiteral("%1 JSON from the database did not parse: %2").arg(QLatin1String(what), error.errorString()));
    if (!doc.isObject())
        return ApiError::internal(QStringLiteral("%1 JSON from the database is not an object").arg(QLatin1String(what)));
    return doc.object();
}

QJsonObject jsonObjectOrEmpty(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

} // namespace bw::db
