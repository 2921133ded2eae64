#include "server/jobs/sqltext.h"

namespace bw::jobs::sqltext {

QString lit(const QString &text)
{
    if (text.isNull())
        return QStringLiteral("NULL");
    QString out;
    out.reserve(text.size() + 4);
    out += QLatin1StringView("E'");
    for (const QChar c : text) {
        if (c == u'\\')
            out += QLatin1StringView("\\\\");
        else if (c == u'\'')
            out += QLatin1StringView("''");
        else if (c.unicode() != 0)
            out += c;
    }
    out += u'\'';
    return out;
}

QString timestampOrNow(const QDateTime &at)
{
    if (!at.isValid())
        return QStringLiteral("now()");
    return lit(at.toUTC().toString(Qt::ISODateWithMs)) + QLatin1StringView("::timestamptz");
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
    return lit(u'{' + inner + u'}');
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

QString num(qint64 n)
{
    return QString::number(n);
}

QString isoUtc(const QString &column)
{
    return QStringLiteral("to_char(%1 AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')").arg(column);
}

} // namespace bw::jobs::sqltext
