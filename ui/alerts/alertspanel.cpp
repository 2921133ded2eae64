#include "ui/alerts/alertspanel.h"

#include "server/monitoring/monitoringservice.h"
#include "ui/alerts/alertmodel.h"
#include "ui/common/dbworker.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace bw::ui {

struct AlertsPanel::Snapshot {
    QString error;
    QList<monitoring::AlertEvent> current;
    QList<monitoring::AlertEvent> history;
};

namespace {
QTableView *makeView(QAbstractItemModel *model, const QString &name)
{
    auto *view = new QTableView;
    view->setObjectName(name);
    view->setModel(model);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setSectionResizeMode(AlertModel::Summary, QHeaderView::Stretch);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    return view;
}
} // namespace

AlertsPanel::AlertsPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context), m_worker(context.worker), m_current(new AlertModel(this)),
      m_history(new AlertModel(this)), m_ack(new QPushButton(tr("&Acknowledge"))), m_status(new QLabel)
{
    setObjectName(QStringLiteral("alertsPanel"));
    auto *title = new QLabel(tr("Alerts"));
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_currentView = makeView(m_current, QStringLiteral("currentAlerts"));
    m_historyView = makeView(m_history, QStringLiteral("alertHistory"));
    m_ack->setObjectName(QStringLiteral("acknowledgeAlert"));
    m_ack->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    m_ack->setToolTip(tr("Acknowledge the selected alert (%1): you are looking into it.")
                          .arg(m_ack->shortcut().toString(QKeySequence::NativeText)));
    m_status->setObjectName(QStringLiteral("alertStatus"));
    m_status->setWordWrap(true);

    auto *tabs = new QTabWidget;
    tabs->addTab(m_currentView, tr("Current"));
    tabs->addTab(m_historyView, tr("History"));

    auto *top = new QHBoxLayout;
    top->addWidget(title);
    top->addStretch(1);
    top->addWidget(m_ack);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_status);
    layout->addWidget(tabs, 1);

    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray = new QSystemTrayIcon(QApplication::windowIcon().isNull() ? style()->standardIcon(QStyle::SP_MessageBoxWarning)
                                                                         : QApplication::windowIcon(),
                                     this);
        m_tray->setToolTip(tr("BetterWorld alerts"));
        m_tray->show();
    }

    connect(m_currentView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &AlertsPanel::updateButtons);
    connect(m_ack, &QPushButton::clicked, this, &AlertsPanel::acknowledgeSelected);
    // Polled even while hidden: the tray notification must not wait for the page to be opened.
    m_timer.setInterval(std::chrono::seconds(10));
    connect(&m_timer, &QTimer::timeout, this, &AlertsPanel::refresh);
    m_timer.start();
    updateButtons();
    refresh();
}

void AlertsPanel::setPollInterval(std::chrono::milliseconds interval)
{
    m_timer.setInterval(interval);
}

void AlertsPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void AlertsPanel::refresh()
{
    if (!m_worker || !m_context.monitoring) {
        m_status->setText(tr("Alerts unavailable: no database connection."));
        return;
    }
    if (m_inFlight) {
        m_again = true; // e.g. right after an acknowledge: show its effect
        return;
    }
    m_inFlight = true;
    m_worker->submit(
        this,
        [monitoring = m_context.monitoring] {
            Snapshot s;
            auto current = monitoring->currentAlerts();
            auto history = monitoring->alertHistory(500);
            if (!current)
                s.error = current.error().message;
            else if (!history)
                s.error = history.error().message;
            else {
                s.current = *current;
                s.history = *history;
            }
            return s;
        },
        [this](const Snapshot &s) {
            m_inFlight = false;
            apply(s);
            if (m_again) {
                m_again = false;
                refresh();
            }
        });
}

void AlertsPanel::apply(const Snapshot &s)
{
    ++m_loads;
    if (!s.error.isEmpty()) {
        m_status->setText(tr("Cannot load alerts: %1").arg(s.error));
        Q_EMIT loaded();
        return;
    }
    const qint64 selected = selectedId();
    m_current->setEvents(s.current);
    m_history->setEvents(s.history);
    int firing = 0;
    for (int row = 0; row < m_current->rowCount(); ++row) {
        const monitoring::AlertEvent &e = m_current->events().at(row);
        if (e.id == selected)
            m_currentView->selectRow(row);
        if (e.state != QLatin1StringView("firing"))
            continue;
        ++firing;
        if (m_announced.contains(e.id) || e.acknowledged())
            continue;
        m_announced.insert(e.id);
        if (m_tray)
            m_tray->showMessage(tr("%1 alert: %2").arg(e.severity, e.rule), e.summary,
                                e.severity == QLatin1StringView("P1") ? QSystemTrayIcon::Critical : QSystemTrayIcon::Warning);
        Q_EMIT alertRaised(e);
    }
    m_status->setText(firing == 0 ? tr("No alert is firing.") : tr("%n alert(s) firing.", nullptr, firing));
    updateButtons();
    Q_EMIT loaded();
}

qint64 AlertsPanel::selectedId() const
{
    const QModelIndexList rows = m_currentView->selectionModel()->selectedRows();
    return rows.isEmpty() ? 0 : rows.first().data(AlertModel::IdRole).toLongLong();
}

void AlertsPanel::updateButtons()
{
    const QModelIndexList rows = m_currentView->selectionModel()->selectedRows();
    bool can = !rows.isEmpty() && !rows.first().data(AlertModel::AcknowledgedRole).toBool()
               && rows.first().data(AlertModel::StateRole).toString() != QLatin1StringView("resolved");
    m_ack->setEnabled(can && m_worker);
}

void AlertsPanel::acknowledgeSelected()
{
    if (const qint64 id = selectedId(); id > 0)
        acknowledge(id);
}

void AlertsPanel::acknowledge(qint64 id)
{
    if (!m_worker || !m_context.monitoring)
        return;
    const QString who = m_context.admin.displayName.isEmpty() ? m_context.admin.email : m_context.admin.displayName;
    m_ack->setEnabled(false);
    m_worker->submit(
        this,
        [monitoring = m_context.monitoring, id, who]() -> QString {
            const Status s = monitoring->acknowledgeAlert(id, who.isEmpty() ? QStringLiteral("console") : who);
            return s ? QString() : s.error().message;
        },
        [this](const QString &error) {
            if (!error.isEmpty())
                m_status->setText(tr("Cannot acknowledge: %1").arg(error));
            refresh();
        });
}

} // namespace bw::ui
