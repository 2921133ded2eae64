#include "server/domain/sqlliteral.h"

#include "server/db/sql.h"

#include <QHash>
#include <QLocale>
#include <QSqlDriver>

#include <cmath>

namespace bw::domain::sqlliteral {

namespace {
// Per-connection cache bound: list queries vary by filters and limit; plans cost backend memory.
// Beyond it, statements run unprepared (never DEALLOCATE ALL: other code may own statements too).
constexpr int kMaxStatementsPerConnection = 256;
const QLatin1String kInvalidStatementName("26000");

// Scans sql, calling onPlaceholder(i) for each '?' outside quotes and -- comments and copying
// everything else. Returns false on an unterminated quote.
template <typename F>
bool rewrite(const QString &sql, QString &out, F onPlaceholder)
{
    const qsizetype n = sql.size();
    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = sql.at(i);
        if (c == u'\'' || c == u'"') {
            // A quoted literal/identifier verbatim ('' and "" are escaped quotes: same loop).
            const qsizetype end = sql.indexOf(c, i + 1);
            if (end < 0)
                return false;
            out += QStringView(sql).mid(i, end - i + 1);
            i = end;
        } else if (c == u'-' && i + 1 < n && sql.at(i + 1) == u'-') {
            const qsizetype end = sql.indexOf(u'\n', i);
            const qsizetype stop = end < 0 ? n : end;
            out += QStringView(sql).mid(i, stop - i);
            i = stop - 1;
        } else if (c == u'?') {
            if (!onPlaceholder(out))
                return false;
        } else {
            out += c;
        }
    }
    return true;
}

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
    return QStringLiteral("bw_dom_%1").arg(++counter);
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
    if (auto r = db::exec(db, QStringLiteral("PREPARE ") + name + QStringLiteral(" AS ") + numbered); !r)
        return r.error();
    // The PREPARE may have reconnected the handle; remember the connection it lives on now.
    const QVariant h = db.driver()->handle();
    cache.handle = h.isValid() ? *static_cast<const void *const *>(h.constData()) : nullptr;
    cache.names.insert(sql, name);
    return name;
}
} // namespace

QString literal(const QVariant &v)
{
    if (!v.isValid() || v.isNull())
        return QStringLiteral("NULL");
    switch (v.typeId()) {
    case QMetaType::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::Long:
    case QMetaType::LongLong:
    case QMetaType::Short:
        return QString::number(v.toLongLong());
    case QMetaType::ULong:
    case QMetaType::ULongLong:
        return QString::number(v.toULongLong());
    case QMetaType::Double:
    case QMetaType::Float: {
        const double d = v.toDouble();
        if (!std::isfinite(d))
            return QStringLiteral("NULL");
        return QString::number(d, 'g', QLocale::FloatingPointShortest);
    }
    default:
        break;
    }
    const QString s = v.toString();
    QString out;
    out.reserve(s.size() + 8);
    out += QLatin1String("E'");
    for (const QChar c : s) {
        if (c == u'\'' || c == u'\\')
            out += c;
        out += c;
    }
    out += u'\'';
    return out;
}

QString inlineBinds(const QString &sql, const QVariantList &binds)
{
    QString out;
    out.reserve(sql.size() + binds.size() * 16);
    qsizetype next = 0;
    const bool ok = rewrite(sql, out, [&](QString &o) {
        if (next >= binds.size())
            return false;
        o += literal(binds.at(next++));
        return true;
    });
    return ok && next == binds.size() ? out : QString();
}

QString numberPlaceholders(const QString &sql, int *count)
{
    QString out;
    out.reserve(sql.size() + 16);
    int n = 0;
    const bool ok = rewrite(sql, out, [&](QString &o) {
        o += u'$' + QString::number(++n);
        return true;
    });
    if (count)
        *count = n;
    return ok ? out : QString();
}

Result<QSqlQuery> run(QSqlDatabase db, const QString &sql, const QVariantList &binds)
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
            return db::exec(db, inlineBinds(sql, binds));
        QString call = QStringLiteral("EXECUTE ") + *name;
        if (!binds.isEmpty())
            call += u'(' + args + u')';
        auto result = db::exec(db, call);
        // Prepared statements vanish with their connection (server restart, reconnect): prepare again.
        if (!result && db::sqlState(result.error()) == kInvalidStatementName && attempt == 0) {
            cache.names.clear();
            continue;
        }
        return result;
    }
    return ApiError::internal(QStringLiteral("unreachable"));
}

} // namespace bw::domain::sqlliteral
