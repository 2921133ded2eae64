#pragma once
// The backup catalogue table of the Backups page (ops::BackupRecord values, newest first).
// GUI thread; records are loaded elsewhere and handed in.

#include "server/ops/backuprecord.h"

#include <QAbstractTableModel>
#include <QList>

namespace bw::ui {

class BackupModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Id, Kind, Status, Size, Age, Verified, Drill, Offsite, Expires, ColumnCount };
    static constexpr int BackupIdRole = Qt::UserRole + 1;
    static constexpr int SortRole = Qt::UserRole + 2;

    explicit BackupModel(QObject *parent = nullptr);

    void setBackups(const QList<ops::BackupRecord> &records, const QDateTime &now = QDateTime::currentDateTimeUtc());
    const ops::BackupRecord *backup(int row) const;
    int rowOf(const QString &id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString kindText(const QString &kind);
    static QString statusText(const QString &status);

private:
    QList<ops::BackupRecord> m_rows;
    QDateTime m_now;
};

} // namespace bw::ui
