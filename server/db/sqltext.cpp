#include "server/db/sqltext.h"

#include <QLocale>

#include <cmath>

namespace bw::db {

namespace {
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
        if (c.unicode() == 0)
            continue;
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

QString format(const QString &sql, std::initializer_list<QString> args)
{
    const QString *a = args.begin();
    const qsizetype n = qsizetype(args.size());
    QString out;
    out.reserve(sql.size() + 64);
    for (qsizetype i = 0; i < sql.size(); ++i) {
        const QChar c = sql.at(i);
        if (c == u'%' && i + 1 < sql.size() && sql.at(i + 1) >= u'1' && sql.at(i + 1) <= u'9') {
            const qsizetype index = sql.at(i + 1).unicode() - u'1';
            if (index < n) {
                out += a[index];
                ++i;
                continue;
            }
        }
        out += c;
    }
    return out;
}

QString timestampOrNow(const QDateTime &at)
{
    if (!at.isValid())
        return QStringLiteral("now()");
    return literal(at.toUTC().toString(Qt::ISODateWithMs)) + QLatin1StringView("::timestamptz");
}

QString textArray(const QStringList &items)
{
    QString inner;
    for (const QString &item : items) {
        if (!inner.isEmpty())
            inner += u',';
        QString quoted = item;
        quoted.replace(u'\\', QLatin1StringView("\\\\"));
        quoted.replace(u'"', QLatin1StringView("\\\""));
        inner += u'"' + quoted + u'"';
    }
    return literal(QString(u'{' + inner + u'}'));
}

QString isoUtc(const QString &column)
{
    return QStringLiteral("to_char(%1 AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')").arg(column);
}

} // namespace bw::db
