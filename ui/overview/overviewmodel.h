#pragma once
// Table of the Overview's metrics (one row per metric: name, value) built from OverviewSnapshot
// values. GUI thread only; never queries anything itself.

#include "ui/overview/overviewsnapshot.h"

#include <QAbstractTableModel>

namespace bw::ui {

class OverviewModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Value, ColumnCount };
    enum Row {
        Server,
        Listening,
        Database,
        DatabaseLocation,
        DatabaseVersion,
        DatabaseSize,
        Uptime,
        RequestRate,
        ActiveConnections,
        Agents,
        Problems,
        RowCount
    };
    // Unformatted value of a row (number or string; invalid when unknown), for tests and sorting.
    static constexpr int RawValueRole = Qt::UserRole + 1;

    explicit OverviewModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const OverviewSnapshot &snapshot() const { return m_snapshot; }
    // Replaces the snapshot; emits dataChanged only for the value cells that changed.
    void setSnapshot(const OverviewSnapshot &snapshot);

private:
    QString rowName(int row) const;
    QString displayValue(const OverviewSnapshot &s, int row) const;
    QVariant rawValue(const OverviewSnapshot &s, int row) const;
    QString toolTip(const OverviewSnapshot &s, int row) const;

    OverviewSnapshot m_snapshot;
};

} // namespace bw::ui
