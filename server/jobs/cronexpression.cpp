#include "server/jobs/cronexpression.h"

#include <QStringList>

namespace bw::jobs {

namespace {

const QStringList kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
const QStringList kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct FieldSpec {
    const char *name;
    int min;
    int max;
    const QStringList *names; // index 0 ↔ value `namesBase`
    int namesBase;
};

bool parseValue(const QString &text, const FieldSpec &spec, int *out)
{
    bool ok = false;
    const int n = text.toInt(&ok);
    if (ok) {
        *out = n;
        return n >= spec.min && n <= spec.max;
    }
    if (spec.names) {
        const qsizetype i = spec.names->indexOf(text.toLower());
        if (i >= 0) {
            *out = int(i) + spec.namesBase;
            return true;
        }
    }
    return false;
}

// Sets bits [min..max] of `bits` for one comma-separated field; "" on success, else the reason.
template <size_t N>
QString parseField(const QString &field, const FieldSpec &spec, std::bitset<N> &bits)
{
    for (const QString &part : field.split(u',')) {
        if (part.isEmpty())
            return QStringLiteral("empty list item in the %1 field").arg(QLatin1StringView(spec.name));
        QString range = part;
        int step = 1;
        const qsizetype slash = part.indexOf(u'/');
        if (slash >= 0) {
            bool ok = false;
            step = part.mid(slash + 1).toInt(&ok);
            if (!ok || step < 1 || step > spec.max)
                return QStringLiteral("invalid step '%1' in the %2 field").arg(part, QLatin1StringView(spec.name));
            range = part.left(slash);
        }
        int lo = spec.min;
        int hi = spec.max;
        if (range != u"*") {
            const qsizetype dash = range.indexOf(u'-');
            if (dash >= 0) {
                if (!parseValue(range.left(dash), spec, &lo) || !parseValue(range.mid(dash + 1), spec, &hi) || lo > hi)
                    return QStringLiteral("invalid range '%1' in the %2 field").arg(part, QLatin1StringView(spec.name));
            } else {
                if (!parseValue(range, spec, &lo))
                    return QStringLiteral("invalid value '%1' in the %2 field").arg(part, QLatin1StringView(spec.name));
                hi = slash >= 0 ? spec.max : lo; // "10/15" = from 10 every 15
            }
        }
        for (int v = lo; v <= hi; v += step)
            bits.set(size_t(v));
    }
    return {};
}

QString expandMacro(const QString &text)
{
    const QString t = text.toLower();
    if (t == u"@hourly")
        return QStringLiteral("0 * * * *");
    if (t == u"@daily" || t == u"@midnight")
        return QStringLiteral("0 0 * * *");
    if (t == u"@weekly")
        return QStringLiteral("0 0 * * 0");
    if (t == u"@monthly")
        return QStringLiteral("0 0 1 * *");
    if (t == u"@yearly" || t == u"@annually")
        return QStringLiteral("0 0 1 1 *");
    return text;
}

} // namespace

CronExpression CronExpression::parse(const QString &text)
{
    CronExpression c;
    c.m_text = text.trimmed();
    const QStringList fields = expandMacro(c.m_text).split(u' ', Qt::SkipEmptyParts);
    if (fields.size() != 5) {
        c.m_error = QStringLiteral("expected 5 fields (minute hour day-of-month month day-of-week), got %1").arg(fields.size());
        return c;
    }
    static const FieldSpec minute{"minute", 0, 59, nullptr, 0};
    static const FieldSpec hour{"hour", 0, 23, nullptr, 0};
    static const FieldSpec day{"day-of-month", 1, 31, nullptr, 0};
    static const FieldSpec month{"month", 1, 12, &kMonthNames, 1};
    static const FieldSpec weekday{"day-of-week", 0, 7, &kDayNames, 0};
    std::bitset<8> weekdays; // 0..7, 7 folded into 0 below
    QString why = parseField(fields[0], minute, c.m_minutes);
    if (why.isEmpty())
        why = parseField(fields[1], hour, c.m_hours);
    if (why.isEmpty())
        why = parseField(fields[2], day, c.m_days);
    if (why.isEmpty())
        why = parseField(fields[3], month, c.m_months);
    if (why.isEmpty())
        why = parseField(fields[4], weekday, weekdays);
    if (!why.isEmpty()) {
        c.m_error = why;
        return c;
    }
    for (size_t i = 0; i < 7; ++i)
        c.m_weekdays[i] = weekdays[i];
    if (weekdays[7])
        c.m_weekdays.set(0);
    c.m_dayStar = fields[2].startsWith(u'*');
    c.m_weekdayStar = fields[4].startsWith(u'*');
    c.m_valid = true;
    if (!c.next(QDateTime(QDate(2000, 1, 1), QTime(0, 0), Qt::UTC)).isValid()) {
        c.m_valid = false;
        c.m_error = QStringLiteral("the expression never matches");
    }
    return c;
}

bool CronExpression::dayMatches(const QDate &date) const
{
    const bool dom = m_days[size_t(date.day())];
    const bool dow = m_weekdays[size_t(date.dayOfWeek() % 7)]; // Qt: Monday = 1 … Sunday = 7
    if (m_dayStar || m_weekdayStar)
        return dom && dow; // a '*' field matches everything, so this is "the restricted one"
    return dom || dow;
}

bool CronExpression::matches(const QDateTime &utcMinute) const
{
    if (!m_valid)
        return false;
    const QDateTime t = utcMinute.toUTC();
    return m_months[size_t(t.date().month())] && dayMatches(t.date()) && m_hours[size_t(t.time().hour())]
           && m_minutes[size_t(t.time().minute())];
}

QDateTime CronExpression::next(const QDateTime &after) const
{
    if (!m_valid || !after.isValid())
        return {};
    const QDateTime start = after.toUTC();
    QDate date = start.date();
    int hour = start.time().hour();
    int minute = start.time().minute() + 1; // strictly after, at minute resolution
    const QDate limit = date.addYears(8);
    while (date <= limit) {
        if (!m_months[size_t(date.month())]) {
            date = QDate(date.year(), date.month(), 1).addMonths(1);
            hour = 0;
            minute = 0;
            continue;
        }
        if (!dayMatches(date)) {
            date = date.addDays(1);
            hour = 0;
            minute = 0;
            continue;
        }
        for (; hour < 24; ++hour, minute = 0) {
            if (!m_hours[size_t(hour)])
                continue;
            for (; minute < 60; ++minute) {
                if (m_minutes[size_t(minute)])
                    return QDateTime(date, QTime(hour, minute), Qt::UTC);
            }
        }
        date = date.addDays(1);
        hour = 0;
        minute = 0;
    }
    return {};
}

} // namespace bw::jobs
