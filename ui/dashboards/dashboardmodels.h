#pragma once
// Table models of the dashboards: per-route request counts (API health, live from the metrics
// registry) and slow statements (Database, from pg_stat_statements). GUI thread; they only ever
// hold values handed to them.

#include "server/monitoring/metricsampler.h"
#include "server/monitoring/nodemetrics.h"

#include <QAbstractTableModel>

#include <vector>

namespace bw::ui {

class RouteModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Method, Route, Requests, Rate, Errors5xx, ColumnCount };
    enum Role { RawValueRole = Qt::UserRole + 1 };
    using QAbstractTableModel::QAbstractTableModel;

    void setRoutes(std::vector<monitoring::NodeRates::Route> routes);
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<monitoring::NodeRates::Route> m_routes;
};

class SlowQueryModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Query, Calls, MeanMs, TotalMs, ColumnCount };
    enum Role { RawValueRole = Qt::UserRole + 1 };
    using QAbstractTableModel::QAbstractTableModel;

    void setQueries(QList<monitoring::SlowQuery> queries);
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<monitoring::SlowQuery> m_queries;
};

} // namespace bw::ui
