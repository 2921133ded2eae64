#include "ui/deployments/deploymentmodels.h"

#include <QBrush>
#include <QLocale>

namespace bw::ui {

EnvironmentModel::EnvironmentModel(QObject *parent) : QAbstractTableModel(parent) {}

void EnvironmentModel::setEnvironments(const QList<ops::Environment> &environments)
{
    beginResetModel();
    m_rows = environments;
    endResetModel();
}

const ops::Environment *EnvironmentModel::environment(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int EnvironmentModel::rowOf(const QString &name) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).name == name)
            return i;
    return -1;
}

int EnvironmentModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int EnvironmentModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EnvironmentModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) || role != Qt::DisplayRole)
        return {};
    const ops::Environment &e = m_rows.at(index.row());
    switch (index.column()) {
    case Name:
        return e.name;
    case Database:
        return e.databaseUrl;
    case Nodes:
        return e.nodeUrls.isEmpty() ? tr("none") : e.nodeUrls.join(QStringLiteral(", "));
    case Confirmation:
        return e.requireTypedConfirmation || e.name == u"production" ? tr("typed name") : tr("click");
    case ReadyTimeout:
        return tr("%1 s").arg(e.readyTimeoutSeconds);
    default:
        return {};
    }
}

QVariant EnvironmentModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Name:
        return tr("Environment");
    case Database:
        return tr("Database");
    case Nodes:
        return tr("API nodes");
    case Confirmation:
        return tr("Confirmation");
    case ReadyTimeout:
        return tr("Ready timeout");
    default:
        return {};
    }
}

DeploymentModel::DeploymentModel(QObject *parent) : QAbstractTableModel(parent) {}

QString DeploymentModel::outcomeText(const QString &outcome)
{
    if (outcome == u"running")
        return tr("Running");
    if (outcome == u"succeeded")
        return tr("Succeeded");
    if (outcome == u"failed")
        return tr("Failed");
    if (outcome == u"cancelled")
        return tr("Cancelled");
    if (outcome == u"rolled_back")
        return tr("Rolled back");
    return outcome;
}

void DeploymentModel::setDeployments(const QList<ops::DeploymentRecord> &records)
{
    beginResetModel();
    m_rows = records;
    endResetModel();
}

const ops::DeploymentRecord *DeploymentModel::deployment(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int DeploymentModel::rowOf(const QString &id) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).id == id)
            return i;
    return -1;
}

int DeploymentModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int DeploymentModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DeploymentModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ops::DeploymentRecord &d = m_rows.at(index.row());
    if (role == Qt::ForegroundRole && index.column() == Outcome && d.outcome == u"failed")
        return QBrush(Qt::red);
    if (role == Qt::ToolTipRole && index.column() == Outcome && !d.failedStep.isEmpty())
        return tr("Failed at step %1").arg(d.failedStep);
    if (role == Qt::ToolTipRole && index.column() == Migrations && !d.migrationsApplied.isEmpty())
        return d.migrationsApplied.join(u'\n');
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Id:
        return d.id.left(8);
    case Environment:
        return d.environment;
    case Version:
        return d.appVersion;
    case Outcome:
        return outcomeText(d.outcome);
    case Migrations:
        return QString::number(d.migrationsApplied.size());
    case Started:
        return QLocale().toString(d.startedAt.toLocalTime(), QLocale::ShortFormat);
    case Duration:
        return tr("%1 s").arg(d.durationMs / 1000.0, 0, 'f', 1);
    case RequestedBy:
        return d.requestedBy;
    default:
        return {};
    }
}

QVariant DeploymentModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Id:
        return tr("Deployment");
    case Environment:
        return tr("Environment");
    case Version:
        return tr("Version");
    case Outcome:
        return tr("Outcome");
    case Migrations:
        return tr("Migrations");
    case Started:
        return tr("Started");
    case Duration:
        return tr("Duration");
    case RequestedBy:
        return tr("By");
    default:
        return {};
    }
}

} // namespace bw::ui
