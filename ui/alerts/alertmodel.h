#pragma once
// Alert episodes (AlertEngine::current / history) as a table. GUI thread; holds values only.

#include "server/monitoring/alertengine.h"

#include <QAbstractTableModel>

namespace bw::ui {

class AlertModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { State, Severity, Rule, Summary, Value, Since, Resolved, Acknowledged, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1, StateRole, AcknowledgedRole };
    using QAbstractTableModel::QAbstractTableModel;

    void setEvents(QList<monitoring::AlertEvent> events);
    const QList<monitoring::AlertEvent> &events() const { return m_events; }
    monitoring::AlertEvent eventAt(int row) const { return m_events.value(row); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<monitoring::AlertEvent> m_events;
};

} // namespace bw::ui
