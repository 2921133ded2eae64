#include "ui/jobs/joblistmodel.h"

#include <QJsonObject>
#include <QLocale>

namespace bw::ui {

JobListModel::JobListModel(QObject *parent) : QAbstractTableModel(parent) {}

void JobListModel::setJobs(const QJsonArray &jobs)
{
    QList<Row> rows;
    rows.reserve(jobs.size());
    for (const QJsonValue &v : jobs) {
        const QJsonObject o = v.toObject();
        Row r;
        r.id = o.value(QStringLiteral("id")).toString();
        r.queue = o.value(QStringLiteral("queue")).toString();
        r.kind = o.value(QStringLiteral("kind")).toString();
        r.state = o.value(QStringLiteral("state")).toString();
        r.lockedBy = o.value(QStringLiteral("lockedBy")).toString();
        r.lastError = o.value(QStringLiteral("lastError")).toString();
        r.attempts = o.value(QStringLiteral("attempts")).toInt();
        r.maxAttempts = o.value(QStringLiteral("maxAttempts")).toInt();
        r.createdAt = QDateTime::fromString(o.value(QStringLiteral("createdAt")).toString(), Qt::ISODateWithMs);
        rows.append(r);
    }
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

QString JobListModel::jobId(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).id : QString();
}

int JobListModel::rowOf(const QString &jobId) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).id == jobId)
            return i;
    return -1;
}

int JobListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int JobListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant JobListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    if (role == JobIdRole)
        return r.id;
    if (role == Qt::ToolTipRole && index.column() == LastError)
        return r.lastError.isEmpty() ? QVariant() : QVariant(r.lastError);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Id:
        return r.id.left(8);
    case Queue:
        return r.queue;
    case Kind:
        return r.kind;
    case Attempts:
        return tr("%1 of %2").arg(r.attempts).arg(r.maxAttempts);
    case Created:
        return r.createdAt.isValid() ? QLocale().toString(r.createdAt.toLocalTime(), QLocale::ShortFormat) : QString();
    case Node:
        return r.lockedBy;
    case LastError:
        return r.lastError.section(u'\n', 0, 0); // first line; the tooltip has it all
    default:
        return {};
    }
}

QVariant JobListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Id:
        return tr("Job");
    case Queue:
        return tr("Queue");
    case Kind:
        return tr("Kind");
    case Attempts:
        return tr("Attempts");
    case Created:
        return tr("Created");
    case Node:
        return tr("Node");
    case LastError:
        return tr("Last error");
    default:
        return {};
    }
}

} // namespace bw::ui
