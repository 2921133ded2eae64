#pragma once
// The Alerts page: current episodes (pending/firing, and resolved in the last 24 h), the full
// history, and Acknowledge. Polls alert_events on the shared DbWorker every few seconds; a newly
// firing alert also shows a system tray notification when a tray is available. GUI thread.

#include "server/monitoring/alertengine.h"
#include "ui/common/consolecontext.h"

#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QWidget>

#include <chrono>

class QLabel;
class QPushButton;
class QSystemTrayIcon;
class QTableView;

namespace bw::ui {

class AlertModel;
class DbWorker;

class AlertsPanel final : public QWidget {
    Q_OBJECT
public:
    explicit AlertsPanel(const ConsoleContext &context, QWidget *parent = nullptr);

    void refresh();
    void setPollInterval(std::chrono::milliseconds interval);
    // Acknowledges the selected current alert (or `id`) as the signed-in user.
    void acknowledge(qint64 id);
    void acknowledgeSelected();

    AlertModel *currentModel() const { return m_current; }
    AlertModel *historyModel() const { return m_history; }
    QTableView *currentView() const { return m_currentView; }
    QPushButton *acknowledgeButton() const { return m_ack; }
    int loads() const { return m_loads; }

Q_SIGNALS:
    void loaded();                                         // after each refresh was applied
    void alertRaised(const bw::monitoring::AlertEvent &e); // a firing alert seen for the first time

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct Snapshot;
    void apply(const Snapshot &snapshot);
    void updateButtons();
    qint64 selectedId() const;

    ConsoleContext m_context;
    QPointer<DbWorker> m_worker;
    AlertModel *m_current;
    AlertModel *m_history;
    QTableView *m_currentView;
    QTableView *m_historyView;
    QPushButton *m_ack;
    QLabel *m_status;
    QSystemTrayIcon *m_tray = nullptr;
    QTimer m_timer;
    QSet<qint64> m_announced;
    bool m_inFlight = false;
    bool m_again = false;
    int m_loads = 0;
};

} // namespace bw::ui
