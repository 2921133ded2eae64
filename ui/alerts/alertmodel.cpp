#include "ui/alerts/alertmodel.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

namespace bw::ui {

void AlertModel::setEvents(QList<monitoring::AlertEvent> events)
{
    beginResetModel();
    m_events = std::move(events);
    endResetModel();
}

int AlertModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}
int AlertModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AlertModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const monitoring::AlertEvent &e = m_events.at(index.row());
    switch (role) {
    case IdRole:
        return e.id;
    case StateRole:
        return e.state;
    case AcknowledgedRole:
        return e.acknowledged();
    case Qt::ForegroundRole:
        if (index.column() == State && e.state == QLatin1StringView("firing"))
            return QBrush(QColor(0xc0, 0x39, 0x2b));
        if (index.column() == State && e.state == QLatin1StringView("pending"))
            return QBrush(QColor(0xd3, 0x8b, 0x00));
        return {};
    case Qt::ToolTipRole:
        if (index.column() == Acknowledged && e.acknowledged())
            return tr("Acknowledged by %1 at %2")
                .arg(e.acknowledgedBy, QLocale().toString(e.acknowledgedAt.toLocalTime(), QLocale::ShortFormat));
        return index.column() == Summary ? QVariant(e.summary) : QVariant();
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    const QLocale locale;
    auto when = [&locale](const QDateTime &t) {
        return t.isValid() ? locale.toString(t.toLocalTime(), QLocale::ShortFormat) : QString();
    };
    switch (index.column()) {
    case State:
        if (e.state == QLatin1StringView("firing"))
            return tr("Firing");
        if (e.state == QLatin1StringView("pending"))
            return tr("Pending");
        return tr("Resolved");
    case Severity:
        return e.severity;
    case Rule:
        return e.rule;
    case Summary:
        return e.summary;
    case Value:
        return locale.toString(e.value, 'g', 4);
    case Since:
        return when(e.firedAt.isValid() ? e.firedAt : e.pendingSince);
    case Resolved:
        return when(e.resolvedAt);
    case Acknowledged:
        return e.acknowledged() ? e.acknowledgedBy : QString();
    }
    return {};
}

QVariant AlertModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case State:
        return tr("State");
    case Severity:
        return tr("Severity");
    case Rule:
        return tr("Rule");
    case Summary:
        return tr("Summary");
    case Value:
        return tr("Value");
    case Since:
        return tr("Since");
    case Resolved:
        return tr("Resolved");
    case Acknowledged:
        return tr("Acknowledged by");
    }
    return {};
}

} // namespace bw::ui
