#pragma once
// The Deployments page's tables: environments (ops::Environment) and deployment history
// (ops::DeploymentRecord). GUI thread; values are loaded elsewhere and handed in.

#include "server/ops/deploymentservice.h"

#include <QAbstractTableModel>
#include <QList>

namespace bw::ui {

class EnvironmentModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Database, Nodes, Confirmation, ReadyTimeout, ColumnCount };

    explicit EnvironmentModel(QObject *parent = nullptr);
    void setEnvironments(const QList<ops::Environment> &environments);
    const ops::Environment *environment(int row) const;
    int rowOf(const QString &name) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<ops::Environment> m_rows;
};

class DeploymentModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Id, Environment, Version, Outcome, Migrations, Started, Duration, RequestedBy, ColumnCount };

    explicit DeploymentModel(QObject *parent = nullptr);
    void setDeployments(const QList<ops::DeploymentRecord> &records);
    const ops::DeploymentRecord *deployment(int row) const;
    int rowOf(const QString &id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString outcomeText(const QString &outcome);

private:
    QList<ops::DeploymentRecord> m_rows;
};

} // namespace bw::ui
