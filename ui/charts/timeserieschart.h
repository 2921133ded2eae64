#pragma once
// A small line chart of (time, value) points over a sliding window, with one or more named
// series (legend shown from two on). GUI thread only.
// The one place that knows about Qt Charts (deprecated upstream): swapping the backend
// touches only timeserieschart.cpp.

#include <QDateTime>
#include <QList>
#include <QPointF>
#include <QStringList>
#include <QWidget>

#include <chrono>
#include <memory>

namespace bw::ui {

class TimeSeriesChart final : public QWidget {
    Q_OBJECT
public:
    explicit TimeSeriesChart(QWidget *parent = nullptr);
    ~TimeSeriesChart() override;

    void setValueTitle(const QString &title);           // y axis label, e.g. "req/s"
    void setWindow(std::chrono::seconds window);        // visible time span (default 60 s)
    void addPoint(const QDateTime &time, double value); // to series 0
    void clear();                                       // every series

    int pointCount() const;   // of series 0
    double lastValue() const; // of series 0; 0 when empty

    // Several series: names define how many there are (series 0 keeps its points).
    void setSeriesNames(const QStringList &names);
    int seriesCount() const;
    void addSeriesPoint(int series, const QDateTime &time, double value);
    // Replaces a series' points at once (history: x = ms since epoch, ascending); fast path.
    void setPoints(int series, const QList<QPointF> &points);
    int seriesPointCount(int series) const;
    double seriesLastValue(int series) const;
    // Several changes, one axis update (each update re-lays out the chart): beginBatch() …
    // addSeriesPoint/setPoints/setWindow … endBatch().
    void beginBatch();
    void endBatch();
    // A horizontal threshold line (e.g. the 5xx alert at 10 %); NaN hides it.
    void setThreshold(double value);

private:
    void updateAxes();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace bw::ui
