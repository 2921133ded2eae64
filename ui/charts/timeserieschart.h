#pragma once
// A small live line chart of (time, value) points over a sliding window. GUI thread only.
// The one place that knows about Qt Charts (deprecated upstream): swapping the backend
// touches only timeserieschart.cpp.

#include <QDateTime>
#include <QWidget>

#include <chrono>
#include <memory>

namespace bw::ui {

class TimeSeriesChart final : public QWidget {
    Q_OBJECT
public:
    explicit TimeSeriesChart(QWidget *parent = nullptr);
    ~TimeSeriesChart() override;

    void setValueTitle(const QString &title);       // y axis label, e.g. "req/s"
    void setWindow(std::chrono::seconds window);     // visible time span (default 60 s)
    void addPoint(const QDateTime &time, double value);
    void clear();

    int pointCount() const;
    double lastValue() const; // 0 when empty

private:
    void updateAxes();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace bw::ui
