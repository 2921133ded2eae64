#include "ui/review/reviewmodel.h"

#include <QDateTime>
#include <QFont>
#include <QLocale>

namespace bw::ui {

using moderation::FlaggedItem;

ReviewModel::ReviewModel(QObject *parent) : QAbstractTableModel(parent) {}

int ReviewModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ReviewModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ReviewModel::formatAge(qint64 seconds)
{
    seconds = std::max<qint64>(0, seconds);
    if (seconds < 3600)
        return tr("%1 min").arg(seconds / 60);
    if (seconds < 48 * 3600)
        return tr("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
    return tr("%1 d %2 h").arg(seconds / 86400).arg((seconds % 86400) / 3600);
}

QString ReviewModel::badgeLabel(const QString &badge)
{
    if (badge == u"new")
        return tr("New");
    if (badge == u"normal")
        return tr("Waiting");
    if (badge == u"attention")
        return tr("Attention");
    return tr("Overdue");
}

QString ReviewModel::typeLabel(const QString &contentType)
{
    if (contentType == u"problem")
        return tr("Problem");
    if (contentType == u"solution")
        return tr("Solution");
    if (contentType == u"debate")
        return tr("Debate");
    if (contentType == u"mission")
        return tr("Mission");
    return contentType;
}

qint64 ReviewModel::ageOf(int row) const
{
    return (QDateTime::currentMSecsSinceEpoch() - m_rows[size_t(row)]->createdLocalMs) / 1000;
}

QVariant ReviewModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const FlaggedItem &item = m_rows[size_t(index.row())]->item;
    const bool mine =
        item.claimActive && !m_moderatorId.isEmpty() && item.assignedTo.compare(m_moderatorId, Qt::CaseInsensitive) == 0;
    switch (role) {
    case ItemIdRole:
        return item.id;
    case AgeBadgeRole:
        return FlaggedItem::ageBadgeFor(ageOf(index.row()));
    case AgeSecondsRole:
        return ageOf(index.row());
    case ClaimActiveRole:
        return item.claimActive;
    case ClaimedByMeRole:
        return mine;
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case Age:
            return formatAge(ageOf(index.row()));
        case Type:
            return typeLabel(item.contentType);
        case Title:
            return item.title;
        case Agent:
            return item.agentUsername.isEmpty() ? item.agentId : item.agentUsername;
        case Tier:
            return item.trustTier == u"verified" ? tr("verified") : item.trustTier == u"new" ? tr("new") : item.trustTier;
        case Domain:
            return item.domain;
        case Score:
            return item.alignmentScore ? QLocale().toString(*item.alignmentScore, 'f', 2) : QString();
        case ClaimedBy:
            if (!item.claimActive)
                return QString();
            return mine ? tr("me") : item.assignedToName;
        case Status:
            return item.status == u"approved" ? tr("approved") : item.status == u"rejected" ? tr("rejected") : tr("pending");
        case ColumnCount:
            break;
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == Age) {
            const qint64 age = ageOf(index.row());
            return tr("%1: waiting %2 (the review SLA is 24 h)").arg(badgeLabel(FlaggedItem::ageBadgeFor(age)), formatAge(age));
        }
        if (index.column() == ClaimedBy && item.claimActive)
            return tr("Claimed until %1").arg(QLocale().toString(item.claimExpiresAt.toLocalTime(), QLocale::ShortFormat));
        if (index.column() == Title)
            return item.title;
        return {};
    case Qt::FontRole:
        if (mine) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Score)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

QVariant ReviewModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case Age:
        return tr("Age");
    case Type:
        return tr("Type");
    case Title:
        return tr("Title");
    case Agent:
        return tr("Agent");
    case Tier:
        return tr("Tier");
    case Domain:
        return tr("Domain");
    case Score:
        return tr("Score");
    case ClaimedBy:
        return tr("Claimed by");
    case Status:
        return tr("Status");
    case ColumnCount:
        break;
    }
    return {};
}

bool ReviewModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && m_hasMore && !m_fetching;
}

void ReviewModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    m_fetching = true;
    Q_EMIT moreRequested();
}

void ReviewModel::setModeratorId(const QString &moderatorId)
{
    m_moderatorId = moderatorId;
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void ReviewModel::reset(bool hasMore)
{
    beginResetModel();
    m_rows.clear();
    m_hasMore = hasMore;
    m_fetching = false;
    endResetModel();
}

void ReviewModel::appendPage(const QList<FlaggedItem> &items, bool hasMore)
{
    m_fetching = false;
    m_hasMore = hasMore;
    if (items.isEmpty())
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const int first = rowCount();
    beginInsertRows({}, first, first + int(items.size()) - 1);
    for (const FlaggedItem &item : items)
        m_rows.push_back(std::make_unique<Row>(Row{item, now - item.ageSeconds * 1000}));
    endInsertRows();
}

void ReviewModel::setFetchFailed()
{
    m_fetching = false;
}

int ReviewModel::rowOfId(const QString &id) const
{
    for (size_t row = 0; row < m_rows.size(); ++row)
        if (m_rows[row]->item.id == id)
            return int(row);
    return -1;
}

const FlaggedItem *ReviewModel::itemAt(int row) const
{
    return row >= 0 && size_t(row) < m_rows.size() ? &m_rows[size_t(row)]->item : nullptr;
}

int ReviewModel::updateItem(const FlaggedItem &item)
{
    const int row = rowOfId(item.id);
    if (row < 0)
        return -1;
    m_rows[size_t(row)]->item = item; // keeps the age the row already shows
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    return row;
}

bool ReviewModel::removeItem(const QString &id)
{
    const int row = rowOfId(id);
    if (row < 0)
        return false;
    beginRemoveRows({}, row, row);
    m_rows.erase(m_rows.begin() + row);
    endRemoveRows();
    return true;
}

void ReviewModel::refreshAges()
{
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, Age), index(rowCount() - 1, Age),
                           {Qt::DisplayRole, Qt::ToolTipRole, AgeBadgeRole, AgeSecondsRole});
}

} // namespace bw::ui
