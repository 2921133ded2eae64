#pragma once
// The backups in the off-site (S3-compatible) store, newest first, for the off-site dialog.
// GUI thread; the listing is fetched on a pool thread and handed in.

#include "server/ops/offsiterecovery.h"

#include <QAbstractTableModel>
#include <QList>

namespace bw::ui {

class OffsiteBackupModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { File, Size, Uploaded, Checksum, ColumnCount };
    static constexpr int KeyRole = Qt::UserRole + 1;
    static constexpr int SortRole = Qt::UserRole + 2;

    explicit OffsiteBackupModel(QObject *parent = nullptr);

    void setBackups(const QList<ops::OffsiteBackup> &backups);
    const ops::OffsiteBackup *backup(int row) const;
    int rowOf(const QString &key) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<ops::OffsiteBackup> m_rows;
};

} // namespace bw::ui
