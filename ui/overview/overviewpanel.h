#pragma once
// The Overview page: server state banner, metrics table and live request-rate chart.
// GUI thread; owns its model, loader and chart, and only ever shows snapshot values.

#include "ui/overview/overviewcontext.h"

#include <QWidget>

class QFrame;
class QLabel;
class QTableView;

namespace bw::ui {

class DbWorker;
class OverviewLoader;
class OverviewModel;
class TimeSeriesChart;
struct OverviewSnapshot;

class OverviewPanel final : public QWidget {
    Q_OBJECT
public:
    explicit OverviewPanel(QWidget *parent = nullptr);

    void setStarting(const QString &message);
    void setReady(const OverviewContext &context, DbWorker *worker); // worker may be null
    void setStopping(const QString &message);
    void setFailed(const QString &message);

    // Shows a snapshot (the loader's, or a prepared one for screenshots).
    void showSnapshot(const OverviewSnapshot &snapshot);

    OverviewModel *model() const { return m_model; }
    OverviewLoader *loader() const { return m_loader; }
    TimeSeriesChart *rateChart() const { return m_rateChart; }

private:
    void updateBanner(const OverviewSnapshot &snapshot);

    OverviewModel *m_model;
    OverviewLoader *m_loader;
    TimeSeriesChart *m_rateChart;
    QTableView *m_table;
    QFrame *m_banner;
    QLabel *m_bannerIcon;
    QLabel *m_bannerText;
};

} // namespace bw::ui
