#include "server/domain/content/contentinput.h"

#include "server/core/ids.h"

#include <cmath>
#include <limits>

namespace bw::domain::contentinput {

std::optional<qint64> integer(FieldReader &r, const QString &field, bool required, qint64 min, qint64 max)
{
    const auto d = r.number(field, required, -std::numeric_limits<double>::max(), std::numeric_limits<double>::max());
    if (!d)
        return std::nullopt;
    if (std::trunc(*d) != *d || *d < double(min) || *d > double(max)) {
        r.add(field, QStringLiteral("Must be a whole number between %1 and %2").arg(min).arg(max));
        return std::nullopt;
    }
    return qint64(*d);
}

std::optional<QString> uuid(FieldReader &r, const QString &field, bool required)
{
    const auto s = r.string(field, required, 0, 64);
    if (!s)
        return std::nullopt;
    const QString lower = s->toLower();
    if (!ids::isUuid(lower)) {
        r.add(field, QStringLiteral("Must be a UUID"));
        return std::nullopt;
    }
    return lower;
}

std::optional<QStringList> stringList(FieldReader &r, const QString &field, int maxItems, int minLength, int maxLength)
{
    const auto a = r.array(field, false, 0, maxItems);
    if (!a)
        return std::nullopt;
    QStringList out;
    bool ok = true;
    for (qsizetype i = 0; i < a->size(); ++i) {
        const QJsonValue v = a->at(i);
        const QString s = v.toString();
        if (!v.isString() || s.size() < minLength || s.size() > maxLength || s.contains(QChar(0))) {
            r.add(field, QStringLiteral("Item %1 must be a string of %2 to %3 characters").arg(i).arg(minLength).arg(maxLength));
            ok = false;
        } else {
            out << s;
        }
    }
    return ok ? std::optional<QStringList>(out) : std::nullopt;
}

std::optional<QStringList> urlList(FieldReader &r, const QString &field, int maxItems)
{
    const auto a = r.array(field, false, 0, maxItems);
    if (!a)
        return std::nullopt;
    QStringList out;
    bool ok = true;
    for (qsizetype i = 0; i < a->size(); ++i) {
        const QJsonValue v = a->at(i);
        if (!v.isString() || !isHttpUrl(v.toString())) {
            r.add(field, QStringLiteral("Item %1 must be an http(s) URL").arg(i));
            ok = false;
        } else {
            out << v.toString();
        }
    }
    return ok ? std::optional<QStringList>(out) : std::nullopt;
}

std::optional<QDateTime> timestamp(FieldReader &r, const QString &field, bool required)
{
    const auto s = r.string(field, required, 0, 64);
    if (!s)
        return std::nullopt;
    QDateTime t = QDateTime::fromString(*s, Qt::ISODateWithMs);
    // A zone is required: a bare local time would mean different instants on different servers.
    if (!t.isValid() || t.timeSpec() == Qt::LocalTime) {
        r.add(field, QStringLiteral("Must be an ISO-8601 date-time with a time zone, e.g. 2026-03-01T12:00:00Z"));
        return std::nullopt;
    }
    return t.toUTC();
}

bool isExplicitNull(const QJsonObject &body, const QString &field)
{
    const auto it = body.constFind(field);
    return it != body.constEnd() && it->isNull();
}

bool has(const QJsonObject &body, const QString &field)
{
    return body.contains(field);
}

QString isoUtc(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}

ListParams ListParams::parse(const QMap<QString, QString> &query, FieldErrors &errors)
{
    ListParams p;
    p.cursor = query.value(QStringLiteral("cursor"));
    if (const auto it = query.constFind(QStringLiteral("limit")); it != query.constEnd() && !it->isEmpty()) {
        bool ok = false;
        const int limit = it->toInt(&ok);
        if (!ok || limit < 1 || limit > 100)
            errors.add(QStringLiteral("limit"), QStringLiteral("Must be an integer between 1 and 100"));
        else
            p.limit = limit;
    }
    return p;
}

std::optional<double> queryNumber(const QMap<QString, QString> &query, const QString &name, double min, double max,
                                  bool wholeNumber, FieldErrors &errors)
{
    const auto it = query.constFind(name);
    if (it == query.constEnd() || it->isEmpty())
        return std::nullopt;
    bool ok = false;
    const double d = it->toDouble(&ok);
    if (!ok || !std::isfinite(d) || d < min || d > max || (wholeNumber && std::trunc(d) != d)) {
        errors.add(name, wholeNumber
                             ? QStringLiteral("Must be an integer between %1 and %2").arg(min, 0, 'g', 10).arg(max, 0, 'g', 10)
                             : QStringLiteral("Must be a number between %1 and %2").arg(min, 0, 'g', 10).arg(max, 0, 'g', 10));
        return std::nullopt;
    }
    return d;
}

} // namespace bw::domain::contentinput
