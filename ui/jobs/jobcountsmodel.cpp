#include "ui/jobs/jobcountsmodel.h"

#include <QBrush>
#include <QPalette>

#include <algorithm>

namespace bw::ui {

JobCountsModel::JobCountsModel(QObject *parent) : QAbstractTableModel(parent) {}

QString JobCountsModel::stateName(Column column)
{
    switch (column) {
    case Available:
        return QStringLiteral("available");
    case Running:
        return QStringLiteral("running");
    case Retryable:
        return QStringLiteral("retryable");
    case Completed:
        return QStringLiteral("completed");
    case Discarded:
        return QStringLiteral("discarded");
    case Cancelled:
        return QStringLiteral("cancelled");
    case Queue:
    case ColumnCount:
        break;
    }
    return {};
}

void JobCountsModel::setCounts(const QJsonObject &counts)
{
    QList<Row> rows;
    const QStringList queues = counts.keys(); // sorted
    for (const QString &queue : queues) {
        Row row;
        row.queue = queue;
        const QJsonObject states = counts.value(queue).toObject();
        for (int c = Available; c < ColumnCount; ++c)
            row.counts[c] = states.value(stateName(Column(c))).toInteger();
        rows.append(row);
    }
    // Same queues: update the numbers in place so views keep their selection and scroll position.
    const bool sameShape =
        rows.size() == m_rows.size()
        && std::equal(rows.cbegin(), rows.cend(), m_rows.cbegin(), [](const Row &a, const Row &b) { return a.queue == b.queue; });
    if (sameShape) {
        m_rows = rows;
        if (!m_rows.isEmpty())
            Q_EMIT dataChanged(index(0, Available), index(int(m_rows.size()) - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

qint64 JobCountsModel::count(const QString &queue, Column state) const
{
    for (const Row &row : m_rows)
        if (row.queue == queue && state > Queue && state < ColumnCount)
            return row.counts[state];
    return 0;
}

int JobCountsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int JobCountsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant JobCountsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return column == Queue ? QVariant(row.queue) : QVariant(QString::number(row.counts[column]));
    case RawValueRole:
        return column == Queue ? QVariant(row.queue) : QVariant(row.counts[column]);
    case Qt::TextAlignmentRole:
        return column == Queue ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    case Qt::ForegroundRole:
        // A non-empty dead letter is the thing an operator must notice.
        if (column == Discarded && row.counts[Discarded] > 0)
            return QBrush(Qt::red);
        return {};
    default:
        return {};
    }
}

QVariant JobCountsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Queue:
        return tr("Queue");
    case Available:
        return tr("Available");
    case Running:
        return tr("Running");
    case Retryable:
        return tr("Retryable");
    case Completed:
        return tr("Completed");
    case Discarded:
        return tr("Dead letter");
    case Cancelled:
        return tr("Cancelled");
    default:
        return {};
    }
}

} // namespace bw::ui
