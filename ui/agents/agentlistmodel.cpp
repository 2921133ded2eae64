#include "ui/agents/agentlistmodel.h"

#include <QLocale>

#include <limits>

namespace bw::ui {

AgentListModel::AgentListModel(QObject *parent) : QAbstractTableModel(parent) {}

QString AgentListModel::age(qint64 seconds)
{
    if (seconds < 60)
        return tr("%n s", nullptr, int(std::max<qint64>(0, seconds)));
    if (seconds < 3600)
        return tr("%n min", nullptr, int(seconds / 60));
    if (seconds < 48 * 3600)
        return tr("%n h", nullptr, int(seconds / 3600));
    return tr("%n d", nullptr, int(seconds / 86400));
}

QString AgentListModel::claimStatusText(const QString &status)
{
    if (status == u"verified")
        return tr("Verified");
    if (status == u"claimed")
        return tr("Claimed");
    return tr("Pending");
}

void AgentListModel::setAgents(const QList<AgentRow> &rows, const QDateTime &now)
{
    beginResetModel();
    m_rows = rows;
    m_now = now.isValid() ? now : QDateTime::currentDateTimeUtc();
    endResetModel();
}

void AgentListModel::updateAgent(const AgentRow &row)
{
    const int i = rowOf(row.id);
    if (i < 0)
        return;
    m_rows[i] = row;
    Q_EMIT dataChanged(index(i, 0), index(i, ColumnCount - 1));
}

const AgentRow *AgentListModel::agent(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int AgentListModel::rowOf(const QString &agentId) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).id == agentId)
            return i;
    return -1;
}

int AgentListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int AgentListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AgentListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const AgentRow &r = m_rows.at(index.row());
    if (role == AgentIdRole)
        return r.id;
    const qint64 heartbeatAge = r.lastHeartbeatAt.isValid() ? r.lastHeartbeatAt.secsTo(m_now) : -1;
    if (role == SortRole) {
        switch (index.column()) {
        case Active:
            return r.active;
        case Heartbeat:
            return heartbeatAge < 0 ? std::numeric_limits<qint64>::max() : heartbeatAge;
        case RateLimit:
            return r.rateLimitOverride.value_or(0);
        case Created:
            return r.createdAt;
        default:
            return data(index, Qt::DisplayRole);
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Username:
        return r.username;
    case DisplayName:
        return r.displayName;
    case Email:
        return r.email;
    case Status:
        return claimStatusText(r.claimStatus);
    case Active:
        return r.active ? tr("Active") : tr("Deactivated");
    case Heartbeat:
        return heartbeatAge < 0 ? tr("never") : tr("%1 ago").arg(age(heartbeatAge));
    case RateLimit:
        return r.rateLimitOverride ? tr("%1/min (override)").arg(*r.rateLimitOverride) : tr("tier default");
    case Created:
        return QLocale().toString(r.createdAt.toLocalTime(), QLocale::ShortFormat);
    default:
        return {};
    }
}

QVariant AgentListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Username:
        return tr("Username");
    case DisplayName:
        return tr("Name");
    case Email:
        return tr("E-mail");
    case Status:
        return tr("Claim");
    case Active:
        return tr("State");
    case Heartbeat:
        return tr("Last heartbeat");
    case RateLimit:
        return tr("Rate limit");
    case Created:
        return tr("Registered");
    default:
        return {};
    }
}

HeldCodeModel::HeldCodeModel(QObject *parent) : QAbstractTableModel(parent) {}

void HeldCodeModel::setCodes(const QList<Row> &rows)
{
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

int HeldCodeModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int HeldCodeModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant HeldCodeModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) || role != Qt::DisplayRole)
        return {};
    const Row &r = m_rows.at(index.row());
    switch (index.column()) {
    case Username:
        return r.username;
    case Email:
        return r.email;
    case Code:
        return r.code;
    case Expires:
        return QLocale().toString(r.expiresAt.toLocalTime(), QLocale::ShortFormat);
    default:
        return {};
    }
}

QVariant HeldCodeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Username:
        return tr("Agent");
    case Email:
        return tr("E-mail");
    case Code:
        return tr("Code");
    case Expires:
        return tr("Expires");
    default:
        return {};
    }
}

} // namespace bw::ui
