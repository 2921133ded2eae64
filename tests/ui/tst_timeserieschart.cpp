// TimeSeriesChart: keeps a sliding window of points and reports them back.
#include "ui/charts/timeserieschart.h"

#include <QTest>

using bw::ui::TimeSeriesChart;

class tst_TimeSeriesChart final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void emptyChart();
    void keepsPointsInsideTheWindow_data();
    void keepsPointsInsideTheWindow();
    void clearRemovesEverything();
};

void tst_TimeSeriesChart::emptyChart()
{
    TimeSeriesChart chart;
    QCOMPARE(chart.pointCount(), 0);
    QCOMPARE(chart.lastValue(), 0.0);
}

void tst_TimeSeriesChart::keepsPointsInsideTheWindow_data()
{
    QTest::addColumn<int>("windowSeconds");
    QTest::addColumn<int>("samples"); // one per second
    QTest::addColumn<int>("expectedPoints");

    QTest::newRow("fits") << 60 << 10 << 10;
    QTest::newRow("exactly full") << 10 << 11 << 11;         // t-10 … t
    QTest::newRow("scrolled") << 10 << 100 << 12;            // t-10 … t, plus one just outside
    QTest::newRow("tiny window is clamped") << 0 << 10 << 4; // clamped to 2 s
}

void tst_TimeSeriesChart::keepsPointsInsideTheWindow()
{
    QFETCH(int, windowSeconds);
    QFETCH(int, samples);
    QFETCH(int, expectedPoints);

    TimeSeriesChart chart;
    chart.setWindow(std::chrono::seconds(windowSeconds));
    const QDateTime start = QDateTime::currentDateTime();
    for (int i = 0; i < samples; ++i)
        chart.addPoint(start.addSecs(i), i * 1.5);
    QCOMPARE(chart.pointCount(), expectedPoints);
    QCOMPARE(chart.lastValue(), (samples - 1) * 1.5);
}

void tst_TimeSeriesChart::clearRemovesEverything()
{
    TimeSeriesChart chart;
    chart.addPoint(QDateTime::currentDateTime(), 5);
    chart.clear();
    QCOMPARE(chart.pointCount(), 0);
}

QTEST_MAIN(tst_TimeSeriesChart)
#include "tst_timeserieschart.moc"
