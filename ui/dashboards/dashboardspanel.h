#pragma once
// The four dashboards of the seed (API health, Queues, Database, Business) as tabs of charts.
// Live: once a second from this process' MetricsRegistry (request rate, 5xx, latency quantiles,
// connections, queue depth/throughput, guardrail and job latency, per-route table). History: the
// 1-minute samples of metric_samples for the selected window (15 min … 30 days), loaded on the
// shared DbWorker and reloaded every minute. GUI thread; never runs SQL itself.

#include "server/core/result.h"
#include "server/monitoring/metricsampler.h"
#include "server/monitoring/nodemetrics.h"
#include "ui/common/consolecontext.h"

#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QTabWidget;

namespace bw::ui {

class DbWorker;
class RouteModel;
class SlowQueryModel;
class TimeSeriesChart;

class DashboardsPanel final : public QWidget {
    Q_OBJECT
public:
    enum Window { Minutes15, Hour1, Hours24, Days7, Days30 };

    explicit DashboardsPanel(const ConsoleContext &context, QWidget *parent = nullptr);
    ~DashboardsPanel() override;

    void setWindow(Window window); // reloads the history
    Window window() const { return m_window; }
    static std::chrono::seconds windowSpan(Window window);
    void setLiveInterval(std::chrono::milliseconds interval);
    void refreshHistory();

    // For tests and screenshots.
    QStringList chartIds() const;
    TimeSeriesChart *chart(const QString &id) const;
    QString valueText(const QString &id) const;
    RouteModel *routeModel() const { return m_routes; }
    SlowQueryModel *slowQueryModel() const { return m_slowQueries; }
    QTabWidget *tabs() const { return m_tabs; }
    int historyLoads() const { return m_historyLoads; }

Q_SIGNALS:
    void historyLoaded(int series); // after a window's history was applied (number of series)
    void liveSampled();             // after each live tick

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct SeriesSpec;
    struct ChartBox;
    void buildTabs();
    QWidget *addChart(int tab, const QString &id, const QString &title, const QString &unit, std::vector<SeriesSpec> series,
                      double threshold = -1);
    void tickLive();
    void applyHistory(quint64 generation, const Result<QList<monitoring::SeriesHistory>> &result);
    void applyHistoryTabs(quint64 generation, std::shared_ptr<QList<monitoring::SeriesHistory>> history, std::vector<int> order,
                          size_t next);
    void loadSlowQueries();
    int seriesIndex(ChartBox &box, int spec, const QString &label);
    void updateValueLabel(ChartBox &box);

    ConsoleContext m_context;
    QPointer<DbWorker> m_worker;
    QComboBox *m_windowBox;
    QLabel *m_status;
    QTabWidget *m_tabs;
    RouteModel *m_routes;
    SlowQueryModel *m_slowQueries;
    QLabel *m_slowStatus = nullptr;
    std::vector<ChartBox> m_charts;
    std::vector<QWidget *> m_tabPages;
    QTimer m_liveTimer;
    QTimer m_historyTimer;
    Window m_window = Hour1;
    quint64 m_generation = 0;
    bool m_historyInFlight = false;
    bool m_slowInFlight = false;
    int m_historyLoads = 0;
    std::optional<monitoring::NodeMetricsSnapshot> m_previous;
};

} // namespace bw::ui
