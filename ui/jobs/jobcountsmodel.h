#pragma once
// Per-queue job counts by state (JobSystem::counts' {queue: {state: n}}), one row per queue.
// GUI thread; the counts are fetched elsewhere and handed in as a value.

#include <QAbstractTableModel>
#include <QJsonObject>
#include <QList>

namespace bw::ui {

class JobCountsModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Queue, Available, Running, Retryable, Completed, Discarded, Cancelled, ColumnCount };
    static constexpr int RawValueRole = Qt::UserRole + 1; // the count as a number

    explicit JobCountsModel(QObject *parent = nullptr);

    void setCounts(const QJsonObject &counts);
    qint64 count(const QString &queue, Column state) const; // 0 when unknown

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString stateName(Column column); // "available", …; "" for Queue

private:
    struct Row {
        QString queue;
        qint64 counts[ColumnCount] = {};
    };
    QList<Row> m_rows;
};

} // namespace bw::ui
