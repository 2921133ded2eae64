#pragma once
// A list of jobs as JobSystem::list returns them (JSON objects), for the running-jobs and
// dead-letter tables. GUI thread; rows are replaced wholesale by setJobs().

#include <QAbstractTableModel>
#include <QDateTime>
#include <QJsonArray>
#include <QList>

namespace bw::ui {

class JobListModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Id, Queue, Kind, Attempts, Created, Node, LastError, ColumnCount };
    static constexpr int JobIdRole = Qt::UserRole + 1; // the full job id (any column)

    explicit JobListModel(QObject *parent = nullptr);

    void setJobs(const QJsonArray &jobs);
    QString jobId(int row) const;
    int rowOf(const QString &jobId) const; // -1 when absent

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row {
        QString id, queue, kind, state, lockedBy, lastError;
        int attempts = 0, maxAttempts = 0;
        QDateTime createdAt;
    };
    QList<Row> m_rows;
};

} // namespace bw::ui
