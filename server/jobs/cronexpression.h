#pragma once
// A 5-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC.
// Supports *, lists, ranges, steps (*/5, 1-30/2, 10/15), month/day names, 7 = Sunday, and the
// macros @hourly @daily @midnight @weekly @monthly @yearly @annually. As in Vixie cron, when both
// day fields are restricted a day matches if either does. A plain value; any thread.

#include <QDateTime>
#include <QString>

#include <bitset>

namespace bw::jobs {

class CronExpression final {
public:
    CronExpression() = default;
    // Invalid input → isValid() false and error() says why.
    static CronExpression parse(const QString &text);

    bool isValid() const { return m_valid; }
    QString error() const { return m_error; }
    QString text() const { return m_text; }

    // The first matching minute strictly after `after` (UTC); null when none within 8 years
    // (e.g. "0 0 30 2 *") or the expression is invalid.
    QDateTime next(const QDateTime &after) const;
    bool matches(const QDateTime &utcMinute) const;

private:
    bool dayMatches(const QDate &date) const;

    std::bitset<60> m_minutes;
    std::bitset<24> m_hours;
    std::bitset<32> m_days;    // 1..31
    std::bitset<13> m_months;  // 1..12
    std::bitset<7> m_weekdays; // 0 = Sunday
    bool m_dayStar = false;    // day-of-month field started with '*'
    bool m_weekdayStar = false;
    bool m_valid = false;
    QString m_error;
    QString m_text;
};

} // namespace bw::jobs
