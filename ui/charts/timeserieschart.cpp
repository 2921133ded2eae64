#include "ui/charts/timeserieschart.h"

#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPainter>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace bw::ui {

struct TimeSeriesChart::Private {
    QChart *chart = nullptr; // owned by the view
    std::vector<QLineSeries *> series;
    QLineSeries *threshold = nullptr;
    QChartView *view = nullptr;
    double thresholdValue = std::numeric_limits<double>::quiet_NaN();
    QDateTimeAxis *timeAxis = nullptr;
    QValueAxis *valueAxis = nullptr;
    std::chrono::seconds window{60};
    int batch = 0;
    bool dirty = false;
};

// Rounds up to 1, 2 or 5 × 10^n so the axis ticks stay readable as values grow.
static double niceCeiling(double value)
{
    if (value <= 1.0) {
        // Small values (latencies in seconds, ratios): keep resolution below 1.
        if (value <= 0)
            return 1.0;
        const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
        for (double step : {1.0, 2.0, 5.0, 10.0})
            if (value <= step * magnitude)
                return step * magnitude;
        return 1.0;
    }
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
    d->chart->legend()->setAlignment(Qt::AlignBottom);
    d->chart->legend()->setLabelColor(palette().color(QPalette::Text));
    d->chart->setMargins(QMargins(4, 4, 4, 4));
    d->chart->setBackgroundRoundness(0);
    // Follow the widget palette instead of Qt Charts' own theme so it looks native.
    d->chart->setBackgroundBrush(palette().brush(QPalette::Base));
    d->chart->setPlotAreaBackgroundVisible(false);

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
    setSeriesNames({QString()});

    auto *view = new QChartView(d->chart, this);
    d->view = view;
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
    const auto seconds = d->window.count();
    d->timeAxis->setFormat(seconds <= 3600    ? QStringLiteral("HH:mm:ss")
                           : seconds <= 86400 ? QStringLiteral("HH:mm")
                                              : QStringLiteral("dd MMM HH:mm"));
    updateAxes();
}

void TimeSeriesChart::setSeriesNames(const QStringList &names)
{
    // Colours from the palette for the first, then a fixed readable set.
    static const QList<QColor> extra = {QColor(0xd9, 0x53, 0x4f), QColor(0x5c, 0xb8, 0x5c), QColor(0xf0, 0xad, 0x4e),
                                        QColor(0x8e, 0x44, 0xad), QColor(0x2c, 0x3e, 0x50), QColor(0x16, 0xa0, 0x85)};
    const int wanted = std::max<int>(1, int(names.size()));
    while (int(d->series.size()) > wanted) {
        d->chart->removeSeries(d->series.back());
        delete d->series.back();
        d->series.pop_back();
    }
    while (int(d->series.size()) < wanted) {
        auto *s = new QLineSeries;
        const int i = int(d->series.size());
        QPen pen(i == 0 ? palette().color(QPalette::Highlight) : extra.at((i - 1) % extra.size()));
        pen.setWidthF(2.0);
        s->setPen(pen);
        d->chart->addSeries(s);
        s->attachAxis(d->timeAxis);
        s->attachAxis(d->valueAxis);
        d->series.push_back(s);
    }
    for (int i = 0; i < wanted; ++i)
        d->series[size_t(i)]->setName(names.value(i));
    d->chart->legend()->setVisible(wanted > 1);
    if (d->threshold) // keep the threshold out of the legend
        d->chart->legend()->markers(d->threshold).value(0)->setVisible(false);
}

int TimeSeriesChart::seriesCount() const
{
    return int(d->series.size());
}

void TimeSeriesChart::addPoint(const QDateTime &time, double value)
{
    addSeriesPoint(0, time, value);
}

void TimeSeriesChart::addSeriesPoint(int series, const QDateTime &time, double value)
{
    if (series < 0 || series >= seriesCount())
        return;
    QLineSeries *s = d->series[size_t(series)];
    s->append(double(time.toMSecsSinceEpoch()), value);
    // Drop points that scrolled out, keeping one just outside so the line reaches the edge.
    const double oldest = double(time.toMSecsSinceEpoch() - qint64(d->window.count()) * 1000);
    int outside = 0;
    while (outside + 1 < s->count() && s->at(outside + 1).x() < oldest)
        ++outside;
    if (outside > 0)
        s->removePoints(0, outside);
    updateAxes();
}

void TimeSeriesChart::setPoints(int series, const QList<QPointF> &points)
{
    if (series < 0 || series >= seriesCount())
        return;
    d->series[size_t(series)]->replace(points);
    updateAxes();
}

void TimeSeriesChart::setThreshold(double value)
{
    d->thresholdValue = value;
    if (!d->threshold) {
        d->threshold = new QLineSeries;
        QPen pen(QColor(0xd9, 0x53, 0x4f));
        pen.setStyle(Qt::DashLine);
        pen.setWidthF(1.0);
        d->threshold->setPen(pen);
        d->chart->addSeries(d->threshold);
        d->threshold->attachAxis(d->timeAxis);
        d->threshold->attachAxis(d->valueAxis);
        d->chart->legend()->markers(d->threshold).value(0)->setVisible(false);
    }
    updateAxes();
}

void TimeSeriesChart::clear()
{
    for (QLineSeries *s : d->series)
        s->clear();
    updateAxes();
}

int TimeSeriesChart::pointCount() const
{
    return seriesPointCount(0);
}
double TimeSeriesChart::lastValue() const
{
    return seriesLastValue(0);
}

int TimeSeriesChart::seriesPointCount(int series) const
{
    return series >= 0 && series < seriesCount() ? d->series[size_t(series)]->count() : 0;
}

double TimeSeriesChart::seriesLastValue(int series) const
{
    if (series < 0 || series >= seriesCount())
        return 0.0;
    const QLineSeries *s = d->series[size_t(series)];
    return s->count() ? s->at(s->count() - 1).y() : 0.0;
}

void TimeSeriesChart::beginBatch()
{
    ++d->batch;
}

void TimeSeriesChart::endBatch()
{
    if (d->batch > 0 && --d->batch == 0 && d->dirty)
        updateAxes();
}

void TimeSeriesChart::updateAxes()
{
    if (d->batch > 0) {
        d->dirty = true;
        return;
    }
    d->dirty = false;
    const qint64 windowMs = qint64(d->window.count()) * 1000;
    qint64 end = 0;
    double maxValue = 0;
    for (const QLineSeries *s : d->series) {
        if (s->count())
            end = std::max(end, qint64(s->at(s->count() - 1).x()));
        for (const QPointF &p : s->points())
            maxValue = std::max(maxValue, p.y());
    }
    if (end == 0)
        end = QDateTime::currentMSecsSinceEpoch();
    // Antialiased raster lines cost several times more to paint: only for sparse charts.
    qsizetype total = 0;
    for (const QLineSeries *s : d->series)
        total += s->count();
    if (d->view)
        d->view->setRenderHint(QPainter::Antialiasing, total <= 200);
    d->timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(end - windowMs), QDateTime::fromMSecsSinceEpoch(end));

    if (d->threshold) {
        QList<QPointF> line;
        if (!std::isnan(d->thresholdValue)) {
            line = {QPointF(double(end - windowMs), d->thresholdValue), QPointF(double(end), d->thresholdValue)};
            maxValue = std::max(maxValue, d->thresholdValue);
        }
        d->threshold->replace(line);
    }
    const double top = niceCeiling(maxValue * 1.1);
    d->valueAxis->setRange(0, top);
    d->valueAxis->setLabelFormat(top < 0.1 ? QStringLiteral("%.3f") : top <= 5 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));
}

} // namespace bw::ui
