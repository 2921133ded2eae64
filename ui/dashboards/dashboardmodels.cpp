#include "ui/dashboards/dashboardmodels.h"

#include <QLocale>

namespace bw::ui {

void RouteModel::setRoutes(std::vector<monitoring::NodeRates::Route> routes)
{
    // Same rows (the usual case at 1 Hz): update values in place so selection and scroll stay.
    bool sameRows = routes.size() == m_routes.size();
    for (size_t i = 0; sameRows && i < routes.size(); ++i)
        sameRows = routes[i].method == m_routes[i].method && routes[i].route == m_routes[i].route;
    if (sameRows) {
        m_routes = std::move(routes);
        if (!m_routes.empty())
            Q_EMIT dataChanged(index(0, Requests), index(rowCount() - 1, Errors5xx));
        return;
    }
    beginResetModel();
    m_routes = std::move(routes);
    endResetModel();
}

int RouteModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_routes.size());
}
int RouteModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RouteModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto &r = m_routes[size_t(index.row())];
    if (role == Qt::TextAlignmentRole)
        return index.column() >= Requests ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    if (role != Qt::DisplayRole && role != RawValueRole)
        return {};
    const bool raw = role == RawValueRole;
    const QLocale locale;
    switch (index.column()) {
    case Method:
        return r.method;
    case Route:
        return r.route;
    case Requests:
        return raw ? QVariant(r.total) : QVariant(locale.toString(qint64(r.total)));
    case Rate:
        return raw ? QVariant(r.rate) : QVariant(locale.toString(r.rate, 'f', 1));
    case Errors5xx:
        return raw ? QVariant(r.errors5xx) : QVariant(locale.toString(qint64(r.errors5xx)));
    }
    return {};
}

QVariant RouteModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Method:
        return tr("Method");
    case Route:
        return tr("Route");
    case Requests:
        return tr("Requests");
    case Rate:
        return tr("Per second");
    case Errors5xx:
        return tr("5xx");
    }
    return {};
}

void SlowQueryModel::setQueries(QList<monitoring::SlowQuery> queries)
{
    beginResetModel();
    m_queries = std::move(queries);
    endResetModel();
}

int SlowQueryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_queries.size());
}
int SlowQueryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SlowQueryModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto &q = m_queries.at(index.row());
    if (role == Qt::ToolTipRole && index.column() == Query)
        return q.query;
    if (role == Qt::TextAlignmentRole)
        return index.column() != Query ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    if (role != Qt::DisplayRole && role != RawValueRole)
        return {};
    const bool raw = role == RawValueRole;
    const QLocale locale;
    switch (index.column()) {
    case Query:
        return raw ? q.query : q.query.simplified();
    case Calls:
        return raw ? QVariant(q.calls) : QVariant(locale.toString(q.calls));
    case MeanMs:
        return raw ? QVariant(q.meanMs) : QVariant(locale.toString(q.meanMs, 'f', 1));
    case TotalMs:
        return raw ? QVariant(q.totalMs) : QVariant(locale.toString(q.totalMs, 'f', 0));
    }
    return {};
}

QVariant SlowQueryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Query:
        return tr("Statement");
    case Calls:
        return tr("Calls");
    case MeanMs:
        return tr("Mean (ms)");
    case TotalMs:
        return tr("Total (ms)");
    }
    return {};
}

} // namespace bw::ui
