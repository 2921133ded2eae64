#include "ui/charts/timeserieschart.h"

#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QLineSeries>
#include <QPainter>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace bw::ui {

struct TimeSeriesChart::Private {
    QChart *chart = nullptr; // owned by the view
    QLineSeries *series = nullptr;
    QDateTimeAxis *timeAxis = nullptr;
    QValueAxis *valueAxis = nullptr;
    std::chrono::seconds window{60};
};

// Rounds up to 1, 2 or 5 × 10^n so the axis ticks stay readable as values grow.
static double niceCeiling(double value)
{
    if (value <= 1.0)
        return 1.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (double step : {1.0, 2.0, 5.0, 10.0}) {
        if (value <= step * magnitude)
            return step * magnitude;
    }
    return 10.0 * magnitude;
}

TimeSeriesChart::TimeSeriesChart(QWidget *parent) : QWidget(parent), d(std::make_unique<Private>())
{
    d->chart = new QChart;
    d->chart->legend()->hide();
    d->chart->setMargins(QMargins(4, 4, 4, 4));
    d->chart->setBackgroundRoundness(0);
    // Follow the widget palette instead of Qt Charts' own theme so it looks native.
    d->chart->setBackgroundBrush(palette().brush(QPalette::Base));
    d->chart->setPlotAreaBackgroundVisible(false);

    d->series = new QLineSeries;
    QPen pen(palette().color(QPalette::Highlight));
    pen.setWidthF(2.0);
    d->series->setPen(pen);
    d->chart->addSeries(d->series);

    d->timeAxis = new QDateTimeAxis;
    d->timeAxis->setFormat(QStringLiteral("HH:mm:ss"));
    d->timeAxis->setTickCount(5);
    d->valueAxis = new QValueAxis;
    for (QAbstractAxis *axis : {static_cast<QAbstractAxis *>(d->timeAxis), static_cast<QAbstractAxis *>(d->valueAxis)}) {
        axis->setLabelsBrush(palette().brush(QPalette::Text));
        axis->setTitleBrush(palette().brush(QPalette::Text));
        axis->setGridLineColor(palette().color(QPalette::Midlight));
        axis->setLinePenColor(palette().color(QPalette::Mid));
    }
    d->chart->addAxis(d->timeAxis, Qt::AlignBottom);
    d->chart->addAxis(d->valueAxis, Qt::AlignLeft);
    d->series->attachAxis(d->timeAxis);
    d->series->attachAxis(d->valueAxis);

    auto *view = new QChartView(d->chart, this);
    view->setRenderHint(QPainter::Antialiasing);
    view->setFrameShape(QFrame::NoFrame);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(view);

    updateAxes();
}

TimeSeriesChart::~TimeSeriesChart() = default;

void TimeSeriesChart::setValueTitle(const QString &title)
{
    d->valueAxis->setTitleText(title);
}

void TimeSeriesChart::setWindow(std::chrono::seconds window)
{
    d->window = std::max(window, std::chrono::seconds(2));
    updateAxes();
}

void TimeSeriesChart::addPoint(const QDateTime &time, double value)
{
    d->series->append(double(time.toMSecsSinceEpoch()), value);
    // Drop points that scrolled out, keeping one just outside so the line reaches the edge.
    const double oldest = double(time.toMSecsSinceEpoch() - qint64(d->window.count()) * 1000);
    int outside = 0;
    while (outside + 1 < d->series->count() && d->series->at(outside + 1).x() < oldest)
        ++outside;
    if (outside > 0)
        d->series->removePoints(0, outside);
    updateAxes();
}

void TimeSeriesChart::clear()
{
    d->series->clear();
    updateAxes();
}

int TimeSeriesChart::pointCount() const
{
    return d->series->count();
}

double TimeSeriesChart::lastValue() const
{
    return d->series->count() ? d->series->at(d->series->count() - 1).y() : 0.0;
}

void TimeSeriesChart::updateAxes()
{
    const qint64 windowMs = qint64(d->window.count()) * 1000;
    const qint64 end = d->series->count() ? qint64(d->series->at(d->series->count() - 1).x())
                                          : QDateTime::currentMSecsSinceEpoch();
    d->timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(end - windowMs), QDateTime::fromMSecsSinceEpoch(end));

    double maxValue = 0;
    for (const QPointF &p : d->series->points())
        maxValue = std::max(maxValue, p.y());
    const double top = niceCeiling(maxValue * 1.1);
    d->valueAxis->setRange(0, top);
    d->valueAxis->setLabelFormat(top <= 5 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));
}

} // namespace bw::ui
