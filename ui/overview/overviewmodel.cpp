#include "ui/overview/overviewmodel.h"

#include <QLocale>
#include <QTime>

#include <utility>

namespace bw::ui {

namespace {
const QString unknown = QStringLiteral("\u2014"); // em dash: "not known yet", language-neutral
}

OverviewModel::OverviewModel(QObject *parent) : QAbstractTableModel(parent) {}

int OverviewModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : RowCount;
}

int OverviewModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant OverviewModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    switch (role) {
    case Qt::DisplayRole:
        return index.column() == Name ? rowName(row) : displayValue(m_snapshot, row);
    case Qt::ToolTipRole: {
        const QString tip = toolTip(m_snapshot, row);
        return tip.isEmpty() ? QVariant() : QVariant(tip);
    }
    case RawValueRole:
        return index.column() == Name ? QVariant(rowName(row)) : rawValue(m_snapshot, row);
    default:
        return {};
    }
}

QVariant OverviewModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Name:
        return tr("Metric");
    case Value:
        return tr("Value");
    default:
        return {};
    }
}

void OverviewModel::setSnapshot(const OverviewSnapshot &snapshot)
{
    const OverviewSnapshot old = std::exchange(m_snapshot, snapshot);
    for (int row = 0; row < RowCount; ++row) {
        if (displayValue(old, row) != displayValue(m_snapshot, row) || rawValue(old, row) != rawValue(m_snapshot, row)
            || toolTip(old, row) != toolTip(m_snapshot, row)) {
            const QModelIndex cell = index(row, Value);
            Q_EMIT dataChanged(cell, cell, {Qt::DisplayRole, Qt::ToolTipRole, RawValueRole});
        }
    }
}

QString OverviewModel::rowName(int row) const
{
    switch (row) {
    case Server:
        return tr("Server");
    case Listening:
        return tr("Listening on");
    case Database:
        return tr("Database");
    case DatabaseLocation:
        return tr("Database location");
    case DatabaseVersion:
        return tr("PostgreSQL version");
    case DatabaseSize:
        return tr("Database size");
    case Uptime:
        return tr("Uptime");
    case RequestRate:
        return tr("Request rate");
    case ActiveConnections:
        return tr("Active connections");
    case Agents:
        return tr("Agents");
    case Problems:
        return tr("Problems");
    default:
        return {};
    }
}

static QString formatUptime(qint64 seconds)
{
    const qint64 days = seconds / 86400;
    const QString clock = QTime(0, 0).addSecs(int(seconds % 86400)).toString(QStringLiteral("hh:mm:ss"));
    if (days == 0)
        return clock;
    // An abbreviation instead of a plural: no English catalogue needed for "1 day" / "2 days".
    //: Uptime: %1 = whole days, %2 = hh:mm:ss
    return OverviewModel::tr("%1 d %2").arg(QLocale().toString(days), clock);
}

QString OverviewModel::displayValue(const OverviewSnapshot &s, int row) const
{
    const QLocale locale;
    switch (row) {
    case Server:
        switch (s.state) {
        case ServerState::Starting:
            return s.stateMessage.isEmpty() ? tr("Starting") : tr("Starting: %1").arg(s.stateMessage);
        case ServerState::Running:
            return tr("Running");
        case ServerState::Stopping:
            return s.stateMessage.isEmpty() ? tr("Stopping") : tr("Stopping: %1").arg(s.stateMessage);
        case ServerState::Failed:
            return tr("Failed: %1").arg(s.stateMessage);
        }
        return {};
    case Listening:
        return s.listenAddress.isEmpty() ? unknown : s.listenAddress;
    case Database: {
        const QString mode = s.embeddedDatabase ? tr("Embedded") : tr("External");
        return s.databaseError.isEmpty() ? mode : tr("%1 (unreachable)").arg(mode);
    }
    case DatabaseLocation:
        return s.databaseDescription.isEmpty() ? unknown : s.databaseDescription;
    case DatabaseVersion:
        return s.databaseVersion.isEmpty() ? unknown : s.databaseVersion;
    case DatabaseSize:
        return s.databaseSizeBytes ? locale.formattedDataSize(*s.databaseSizeBytes) : unknown;
    case Uptime:
        return s.uptimeSeconds ? formatUptime(*s.uptimeSeconds) : unknown;
    case RequestRate:
        return s.requestRate ? tr("%1 req/s").arg(locale.toString(*s.requestRate, 'f', 1)) : unknown;
    case ActiveConnections:
        return s.activeConnections ? locale.toString(qint64(*s.activeConnections)) : unknown;
    case Agents:
        return s.agentCount ? locale.toString(*s.agentCount) : unknown;
    case Problems:
        return s.problemCount ? locale.toString(*s.problemCount) : unknown;
    default:
        return {};
    }
}

QVariant OverviewModel::rawValue(const OverviewSnapshot &s, int row) const
{
    auto opt = [](const auto &value) { return value ? QVariant::fromValue(*value) : QVariant(); };
    switch (row) {
    case Server:
        return int(s.state);
    case Listening:
        return s.listenAddress;
    case Database:
        return s.embeddedDatabase;
    case DatabaseLocation:
        return s.databaseDescription;
    case DatabaseVersion:
        return s.databaseVersion;
    case DatabaseSize:
        return opt(s.databaseSizeBytes);
    case Uptime:
        return opt(s.uptimeSeconds);
    case RequestRate:
        return opt(s.requestRate);
    case ActiveConnections:
        return opt(s.activeConnections);
    case Agents:
        return opt(s.agentCount);
    case Problems:
        return opt(s.problemCount);
    default:
        return {};
    }
}

QString OverviewModel::toolTip(const OverviewSnapshot &s, int row) const
{
    switch (row) {
    case Database:
        return s.databaseError;
    case DatabaseLocation: // may be elided in the view
        return s.databaseDescription;
    case DatabaseVersion:
        return s.databaseVersion;
    case RequestRate:
        return tr("HTTP requests per second, sampled once a second");
    case Agents:
    case Problems:
        return s.databaseError.isEmpty() ? tr("Counted every few seconds") : s.databaseError;
    default:
        return {};
    }
}

} // namespace bw::ui
