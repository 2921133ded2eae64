#pragma once
// The agent directory table of the Agents page (AgentRow values). GUI thread.

#include "server/moderation/agentadminservice.h"

#include <QAbstractTableModel>

namespace bw::ui {

using AgentRow = moderation::AgentAdminRow;

class AgentListModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Username, DisplayName, Email, Status, Active, Heartbeat, RateLimit, Created, ColumnCount };
    static constexpr int AgentIdRole = Qt::UserRole + 1;
    static constexpr int SortRole = Qt::UserRole + 2; // raw values for QSortFilterProxyModel

    explicit AgentListModel(QObject *parent = nullptr);

    // now: the database clock at load time, so heartbeat ages do not depend on this PC's clock.
    void setAgents(const QList<AgentRow> &rows, const QDateTime &now);
    void updateAgent(const AgentRow &row); // after an action; no-op when the agent is not listed
    const AgentRow *agent(int row) const;
    int rowOf(const QString &agentId) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString age(qint64 seconds); // "3 min", "5 h", "2 d"
    static QString claimStatusText(const QString &status);

private:
    QList<AgentRow> m_rows;
    QDateTime m_now;
};

// Verification codes held by the sink (no SMTP configured), for administrators to pass on.
class HeldCodeModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Username, Email, Code, Expires, ColumnCount };
    struct Row {
        QString agentId, username, email, code;
        QDateTime expiresAt;
    };

    explicit HeldCodeModel(QObject *parent = nullptr);
    void setCodes(const QList<Row> &rows);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<Row> m_rows;
};

} // namespace bw::ui
