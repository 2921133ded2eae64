// CronExpression: parsing (fields, ranges, steps, names, macros, errors) and next-fire times in UTC,
// including the day-of-month / day-of-week OR rule and the operations.md schedules.

#include "server/jobs/cronexpression.h"

#include <QTest>

using bw::jobs::CronExpression;

namespace {
QDateTime utc(const char *iso)
{
    QDateTime t = QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODate);
    t.setTimeSpec(Qt::UTC);
    return t;
}
} // namespace

class tst_CronExpression final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void next_data();
    void next();
    void invalid_data();
    void invalid();
    void matches();
    void nextIsStrictlyAfter();
};

void tst_CronExpression::next_data()
{
    QTest::addColumn<QString>("cron");
    QTest::addColumn<QDateTime>("after");
    QTest::addColumn<QDateTime>("expected");

    QTest::newRow("every minute") << "* * * * *" << utc("2024-05-01T10:15:30") << utc("2024-05-01T10:16:00");
    QTest::newRow("every 5 min") << "*/5 * * * *" << utc("2024-05-01T10:16:00") << utc("2024-05-01T10:20:00");
    QTest::newRow("hourly at :17") << "17 * * * *" << utc("2024-05-01T10:17:00") << utc("2024-05-01T11:17:00");
    QTest::newRow("daily backup 03:00") << "0 3 * * *" << utc("2024-05-01T03:00:00") << utc("2024-05-02T03:00:00");
    QTest::newRow("mission expiry 02:00") << "0 2 * * *" << utc("2024-05-01T01:59:59") << utc("2024-05-01T02:00:00");
    QTest::newRow("monthly on the 1st") << "30 3 1 * *" << utc("2024-05-01T04:00:00") << utc("2024-06-01T03:30:00");
    QTest::newRow("year rollover") << "0 0 1 1 *" << utc("2024-12-31T23:59:00") << utc("2025-01-01T00:00:00");
    QTest::newRow("weekly sunday (0)") << "0 4 * * 0" << utc("2024-05-01T00:00:00") << utc("2024-05-05T04:00:00");
    QTest::newRow("weekly sunday (7)") << "0 4 * * 7" << utc("2024-05-01T00:00:00") << utc("2024-05-05T04:00:00");
    QTest::newRow("day names") << "0 9 * * mon-fri" << utc("2024-05-04T12:00:00") << utc("2024-05-06T09:00:00");
    QTest::newRow("month names") << "0 0 1 jul *" << utc("2024-05-04T12:00:00") << utc("2024-07-01T00:00:00");
    QTest::newRow("list and range") << "5,10-12 * * * *" << utc("2024-05-01T10:06:00") << utc("2024-05-01T10:10:00");
    QTest::newRow("range with step") << "0-30/15 * * * *" << utc("2024-05-01T10:16:00") << utc("2024-05-01T10:30:00");
    QTest::newRow("value with step") << "10/20 * * * *" << utc("2024-05-01T10:31:00") << utc("2024-05-01T10:50:00");
    // Both day fields restricted → either matches (Vixie cron): the 13th or any Friday.
    QTest::newRow("dom OR dow") << "0 0 13 * 5" << utc("2024-05-01T00:00:00") << utc("2024-05-03T00:00:00");
    QTest::newRow("leap day") << "0 0 29 2 *" << utc("2024-03-01T00:00:00") << utc("2028-02-29T00:00:00");
    QTest::newRow("31st skips short months") << "0 0 31 * *" << utc("2024-04-01T00:00:00") << utc("2024-05-31T00:00:00");
    QTest::newRow("@daily") << "@daily" << utc("2024-05-01T10:00:00") << utc("2024-05-02T00:00:00");
    QTest::newRow("@hourly") << "@hourly" << utc("2024-05-01T10:00:00") << utc("2024-05-01T11:00:00");
    QTest::newRow("@weekly") << "@weekly" << utc("2024-05-01T10:00:00") << utc("2024-05-05T00:00:00");
    QTest::newRow("@monthly") << "@monthly" << utc("2024-05-01T10:00:00") << utc("2024-06-01T00:00:00");
    QTest::newRow("extra spaces") << "  0   3 * *   * " << utc("2024-05-01T04:00:00") << utc("2024-05-02T03:00:00");
    QTest::newRow("non-UTC input") << "0 3 * * *"
                                   << QDateTime(QDate(2024, 5, 1), QTime(4, 30), Qt::OffsetFromUTC, 2 * 3600) // 02:30Z
                                   << utc("2024-05-01T03:00:00");
}

void tst_CronExpression::next()
{
    QFETCH(QString, cron);
    QFETCH(QDateTime, after);
    QFETCH(QDateTime, expected);
    const CronExpression c = CronExpression::parse(cron);
    QVERIFY2(c.isValid(), qPrintable(c.error()));
    const QDateTime got = c.next(after);
    QCOMPARE(got, expected);
    QCOMPARE(got.timeSpec(), Qt::UTC);
    QVERIFY(c.matches(got));
}

void tst_CronExpression::invalid_data()
{
    QTest::addColumn<QString>("cron");
    QTest::newRow("empty") << "";
    QTest::newRow("four fields") << "* * * *";
    QTest::newRow("six fields") << "* * * * * *";
    QTest::newRow("minute 60") << "60 * * * *";
    QTest::newRow("hour 24") << "0 24 * * *";
    QTest::newRow("day 0") << "0 0 0 * *";
    QTest::newRow("month 13") << "0 0 1 13 *";
    QTest::newRow("weekday 8") << "0 0 * * 8";
    QTest::newRow("reversed range") << "10-5 * * * *";
    QTest::newRow("step 0") << "*/0 * * * *";
    QTest::newRow("empty list item") << "1,,2 * * * *";
    QTest::newRow("garbage") << "a b c d e";
    QTest::newRow("never (Feb 30)") << "0 0 30 2 *";
    QTest::newRow("unknown macro") << "@sometimes";
}

void tst_CronExpression::invalid()
{
    QFETCH(QString, cron);
    const CronExpression c = CronExpression::parse(cron);
    QVERIFY(!c.isValid());
    QVERIFY(!c.error().isEmpty());
    QVERIFY(!c.next(QDateTime::currentDateTimeUtc()).isValid());
    QVERIFY(!CronExpression().isValid());
}

void tst_CronExpression::matches()
{
    const CronExpression c = CronExpression::parse(QStringLiteral("0 3 * * *"));
    QVERIFY(c.matches(utc("2024-05-01T03:00:00")));
    QVERIFY(!c.matches(utc("2024-05-01T03:01:00")));
    QVERIFY(!c.matches(utc("2024-05-01T04:00:00")));
}

void tst_CronExpression::nextIsStrictlyAfter()
{
    // Walking next() over a day of "*/15" yields exactly 96 distinct, increasing times.
    const CronExpression c = CronExpression::parse(QStringLiteral("*/15 * * * *"));
    QDateTime t = utc("2024-05-01T00:00:00").addSecs(-1);
    QDateTime previous;
    int n = 0;
    while (true) {
        t = c.next(t);
        if (t >= utc("2024-05-02T00:00:00"))
            break;
        QVERIFY(!previous.isValid() || t > previous);
        previous = t;
        ++n;
    }
    QCOMPARE(n, 96);
}

QTEST_GUILESS_MAIN(tst_CronExpression)
#include "tst_cronexpression.moc"
