#include "ui/backups/backupmodel.h"

#include "ui/agents/agentlistmodel.h" // age()

#include <QBrush>
#include <QLocale>

#include <limits>

namespace bw::ui {

BackupModel::BackupModel(QObject *parent) : QAbstractTableModel(parent) {}

QString BackupModel::kindText(const QString &kind)
{
    if (kind == u"daily")
        return tr("Daily");
    if (kind == u"monthly")
        return tr("Monthly");
    if (kind == u"pre_migration")
        return tr("Pre-migration");
    if (kind == u"pre_restore")
        return tr("Pre-restore");
    if (kind == u"manual")
        return tr("Manual");
    return kind;
}

QString BackupModel::statusText(const QString &status)
{
    if (status == u"running")
        return tr("Running");
    if (status == u"completed")
        return tr("Completed");
    if (status == u"failed")
        return tr("Failed");
    if (status == u"expired")
        return tr("Expired");
    if (status == u"deleted")
        return tr("Deleted");
    return status;
}

void BackupModel::setBackups(const QList<ops::BackupRecord> &records, const QDateTime &now)
{
    beginResetModel();
    m_rows = records;
    m_now = now;
    endResetModel();
}

const ops::BackupRecord *BackupModel::backup(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int BackupModel::rowOf(const QString &id) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).id == id)
            return i;
    return -1;
}

int BackupModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int BackupModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BackupModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ops::BackupRecord &b = m_rows.at(index.row());
    if (role == BackupIdRole)
        return b.id;
    if (role == SortRole) {
        switch (index.column()) {
        case Size:
            return b.sizeBytes;
        case Age:
            return b.startedAt;
        case Expires:
            return b.expiresAt.isValid() ? b.expiresAt : QDateTime::fromSecsSinceEpoch(std::numeric_limits<int>::max());
        default:
            return data(index, Qt::DisplayRole);
        }
    }
    if (role == Qt::ForegroundRole) {
        const bool bad = (index.column() == Status && b.status == u"failed")
                         || (index.column() == Verified && b.verifyStatus == u"failed")
                         || (index.column() == Drill && b.drillStatus == u"failed");
        return bad ? QVariant(QBrush(Qt::red)) : QVariant();
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == Status && !b.error.isEmpty())
            return b.error;
        if (index.column() == Verified && !b.verifyDetail.isEmpty())
            return b.verifyDetail;
        if (index.column() == Id)
            return tr("%1\n%2\nSHA-256 %3").arg(b.id, b.path, b.sha256);
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    const auto when = [](const QDateTime &t) { return QLocale().toString(t.toLocalTime(), QLocale::ShortFormat); };
    switch (index.column()) {
    case Id:
        return b.id.left(8);
    case Kind:
        return kindText(b.kind);
    case Status:
        return statusText(b.status);
    case Size:
        return b.usable() ? QLocale().formattedDataSize(b.sizeBytes) : QString();
    case Age:
        return b.startedAt.isValid() ? AgentListModel::age(b.startedAt.secsTo(m_now)) : QString();
    case Verified:
        if (b.verifyStatus.isEmpty())
            return tr("not yet");
        return b.verifyStatus == u"ok" ? tr("OK, %1").arg(when(b.verifiedAt)) : tr("FAILED, %1").arg(when(b.verifiedAt));
    case Drill:
        if (b.drillStatus.isEmpty())
            return tr("not yet");
        return b.drillStatus == u"ok" ? tr("passed, restore %1 s").arg(b.drillRestoreMs / 1000.0, 0, 'f', 1) : tr("FAILED");
    case Offsite:
        return b.remoteUrl.isEmpty() ? tr("local only") : (b.remoteVerifiedAt.isValid() ? tr("copied, verified") : tr("copied"));
    case Expires:
        return b.expiresAt.isValid() ? when(b.expiresAt) : tr("kept");
    default:
        return {};
    }
}

QVariant BackupModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Id:
        return tr("Backup");
    case Kind:
        return tr("Kind");
    case Status:
        return tr("Status");
    case Size:
        return tr("Size");
    case Age:
        return tr("Age");
    case Verified:
        return tr("Verified");
    case Drill:
        return tr("Restore drill");
    case Offsite:
        return tr("Off-site");
    case Expires:
        return tr("Expires");
    default:
        return {};
    }
}

} // namespace bw::ui
