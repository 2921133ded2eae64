#include "ui/backups/offsitebackupmodel.h"

#include <QLocale>

namespace bw::ui {

OffsiteBackupModel::OffsiteBackupModel(QObject *parent) : QAbstractTableModel(parent) {}

void OffsiteBackupModel::setBackups(const QList<ops::OffsiteBackup> &backups)
{
    beginResetModel();
    m_rows = backups;
    endResetModel();
}

const ops::OffsiteBackup *OffsiteBackupModel::backup(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int OffsiteBackupModel::rowOf(const QString &key) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).key == key)
            return i;
    return -1;
}

int OffsiteBackupModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int OffsiteBackupModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant OffsiteBackupModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ops::OffsiteBackup &b = m_rows.at(index.row());
    if (role == KeyRole)
        return b.key;
    if (role == SortRole) {
        switch (index.column()) {
        case Size:
            return b.sizeBytes;
        case Uploaded:
            return b.lastModified;
        default:
            return data(index, Qt::DisplayRole);
        }
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == Checksum)
            return b.sha256.isEmpty() ? tr("This copy was uploaded before checksums were recorded; damage is only "
                                           "detected when pg_restore reads it.")
                                      : tr("SHA-256 %1").arg(b.sha256);
        return b.key;
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case File:
        return b.fileName();
    case Size:
        return QLocale().formattedDataSize(b.sizeBytes);
    case Uploaded:
        return QLocale().toString(b.lastModified.toLocalTime(), QLocale::ShortFormat);
    case Checksum:
        return b.sha256.isEmpty() ? tr("none recorded") : b.sha256.left(12);
    default:
        return {};
    }
}

QVariant OffsiteBackupModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case File:
        return tr("Backup");
    case Size:
        return tr("Size");
    case Uploaded:
        return tr("Uploaded");
    case Checksum:
        return tr("SHA-256");
    default:
        return {};
    }
}

} // namespace bw::ui
