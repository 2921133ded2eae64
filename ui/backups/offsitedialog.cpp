#include "ui/backups/offsitedialog.h"

#include "ui/backups/offsitebackupmodel.h"

#include <QDialogButtonBox>
#include <QFuture>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace bw::ui {

namespace {

struct Listing {
    QString error;
    QList<ops::OffsiteBackup> backups;
};

} // namespace

OffsiteDialog::OffsiteDialog(const QString &storeDescription, Lister lister, QWidget *parent)
    : QDialog(parent), m_lister(std::move(lister)), m_model(new OffsiteBackupModel(this)),
      m_proxy(new QSortFilterProxyModel(this)), m_table(new QTableView), m_status(new QLabel),
      m_reload(new QPushButton(tr("Re&load"))), m_restore(new QPushButton(tr("&Restore…"))),
      m_drill(new QPushButton(tr("Restore &drill")))
{
    setObjectName(QStringLiteral("offsiteDialog"));
    setWindowTitle(tr("Off-site backups"));
    auto *intro = new QLabel(tr("Backups in %1. Restoring one downloads it into the data directory and checks its "
                                "SHA-256 before anything changes; no local copy or catalogue is needed.")
                                 .arg(storeDescription));
    intro->setWordWrap(true);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(OffsiteBackupModel::SortRole);
    m_table->setObjectName(QStringLiteral("offsiteTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(OffsiteBackupModel::Uploaded, Qt::DescendingOrder);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_status->setObjectName(QStringLiteral("offsiteStatus"));
    m_status->setWordWrap(true);
    m_reload->setObjectName(QStringLiteral("offsiteReloadButton"));
    m_restore->setObjectName(QStringLiteral("offsiteRestoreButton"));
    m_drill->setObjectName(QStringLiteral("offsiteDrillButton"));
    m_drill->setToolTip(tr("Download the selected backup and restore it into a scratch database; nothing else changes"));

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    buttons->addButton(m_reload, QDialogButtonBox::ActionRole);
    buttons->addButton(m_drill, QDialogButtonBox::ActionRole);
    buttons->addButton(m_restore, QDialogButtonBox::ActionRole);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_reload, &QPushButton::clicked, this, &OffsiteDialog::reload);
    connect(m_restore, &QPushButton::clicked, this, [this] {
        if (const ops::OffsiteBackup *b = selected())
            Q_EMIT restoreRequested(*b);
    });
    connect(m_drill, &QPushButton::clicked, this, [this] {
        if (const ops::OffsiteBackup *b = selected())
            Q_EMIT drillRequested(*b);
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &OffsiteDialog::updateButtons);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    resize(760, 420);
    updateButtons();
}

void OffsiteDialog::reload()
{
    if (m_loading || !m_lister)
        return;
    m_loading = true;
    m_status->setText(tr("Reading the off-site store…"));
    updateButtons();
    QtConcurrent::run([lister = m_lister] {
        Listing l;
        auto r = lister();
        if (r)
            l.backups = *r;
        else
            l.error = r.error().message;
        return l;
    }).then(this, [this](const Listing &l) {
        m_loading = false;
        if (!l.error.isEmpty()) {
            m_status->setText(tr("Could not list the off-site store: %1").arg(l.error));
        } else {
            const QString keep = selectedKey();
            m_model->setBackups(l.backups);
            if (!keep.isEmpty())
                selectKey(keep);
            m_status->setText(l.backups.isEmpty() ? tr("The off-site store holds no backups.")
                                                  : tr("%n backup(s) in the off-site store.", nullptr, int(l.backups.size())));
        }
        updateButtons();
        Q_EMIT loaded();
    });
}

QString OffsiteDialog::selectedKey() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(OffsiteBackupModel::KeyRole).toString();
}

bool OffsiteDialog::selectKey(const QString &key)
{
    const int row = m_model->rowOf(key);
    if (row < 0)
        return false;
    m_table->selectionModel()->select(m_proxy->mapFromSource(m_model->index(row, 0)),
                                      QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    return true;
}

void OffsiteDialog::setActionsEnabled(bool enabled)
{
    m_actionsEnabled = enabled;
    updateButtons();
}

const ops::OffsiteBackup *OffsiteDialog::selected() const
{
    return m_model->backup(m_model->rowOf(selectedKey()));
}

void OffsiteDialog::updateButtons()
{
    const bool chosen = selected() != nullptr;
    m_reload->setEnabled(!m_loading);
    m_restore->setEnabled(chosen && m_actionsEnabled && !m_loading);
    m_drill->setEnabled(chosen && m_actionsEnabled && !m_loading);
}

} // namespace bw::ui
