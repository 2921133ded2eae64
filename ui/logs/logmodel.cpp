#include "ui/logs/logmodel.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

namespace bw::ui {

LogModel::LogModel(int capacity, QObject *parent) : QAbstractTableModel(parent), m_capacity(std::max(1, capacity)) {}

void LogModel::append(const LogEntries &incoming)
{
    if (incoming.isEmpty())
        return;
    // Only the newest `capacity` of this batch can survive.
    const qsizetype skip = std::max<qsizetype>(0, incoming.size() - m_capacity);
    const int adding = int(incoming.size() - skip);
    const int overflow = int(m_entries.size()) + adding - m_capacity;
    if (overflow > 0) {
        beginRemoveRows({}, 0, overflow - 1);
        m_entries.erase(m_entries.begin(), m_entries.begin() + overflow);
        endRemoveRows();
    }
    const int first = int(m_entries.size());
    beginInsertRows({}, first, first + adding - 1);
    bool newCategory = false;
    for (qsizetype i = skip; i < incoming.size(); ++i) {
        const LogEntry &e = incoming.at(i);
        if (!e.category.isEmpty() && !m_categories.contains(e.category)) {
            m_categories.append(e.category);
            newCategory = true;
        }
        m_entries.push_back(e);
    }
    endInsertRows();
    if (newCategory) {
        m_categories.sort();
        Q_EMIT categoriesChanged();
    }
}

void LogModel::clear()
{
    beginResetModel();
    m_entries.clear();
    endResetModel();
}

QStringList LogModel::categories() const
{
    return m_categories;
}

int LogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}
int LogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const LogEntry &e = m_entries[size_t(index.row())];
    switch (role) {
    case RawLineRole:
        return e.raw;
    case LevelRankRole:
        return e.levelRank();
    case RequestIdRole:
        return e.requestId;
    case FieldsRole:
        return e.fields;
    case Qt::ToolTipRole:
        return index.column() == Message ? QVariant(e.message) : QVariant();
    case Qt::ForegroundRole:
        if (index.column() != Level)
            return {};
        if (e.levelRank() >= 3)
            return QBrush(QColor(0xc0, 0x39, 0x2b));
        if (e.levelRank() == 2)
            return QBrush(QColor(0xb9, 0x77, 0x0e));
        return {};
    case Qt::DisplayRole:
        switch (index.column()) {
        case Time:
            return e.time.isValid() ? e.time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")) : QString();
        case Level:
            return e.level;
        case Category:
            return e.category;
        case Message:
            return e.fields.isEmpty() ? e.message : e.message + QStringLiteral("  ") + e.fields;
        case RequestId:
            return e.requestId;
        }
        return {};
    default:
        return {};
    }
}

QVariant LogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Time:
        return tr("Time");
    case Level:
        return tr("Level");
    case Category:
        return tr("Category");
    case Message:
        return tr("Message");
    case RequestId:
        return tr("Request ID");
    }
    return {};
}

void LogFilterModel::setMinimumLevel(int rank)
{
    m_minLevel = rank;
    invalidateFilter();
}

void LogFilterModel::setCategory(const QString &category)
{
    m_category = category.trimmed();
    invalidateFilter();
}

void LogFilterModel::setText(const QString &text)
{
    m_text = text.trimmed();
    invalidateFilter();
}

void LogFilterModel::setRequestId(const QString &id)
{
    m_requestId = id.trimmed();
    invalidateFilter();
}

bool LogFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &) const
{
    const auto *model = static_cast<const LogModel *>(sourceModel());
    const LogEntry &e = model->entry(sourceRow);
    if (e.levelRank() < m_minLevel)
        return false;
    if (!m_category.isEmpty() && !e.category.startsWith(m_category))
        return false;
    if (!m_requestId.isEmpty() && !e.requestId.contains(m_requestId, Qt::CaseInsensitive))
        return false;
    if (!m_text.isEmpty() && !e.message.contains(m_text, Qt::CaseInsensitive) && !e.fields.contains(m_text, Qt::CaseInsensitive)
        && !e.requestId.contains(m_text, Qt::CaseInsensitive) && !e.agentId.contains(m_text, Qt::CaseInsensitive))
        return false;
    return true;
}

} // namespace bw::ui
