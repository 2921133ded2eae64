#pragma once
// The Jobs page: per-queue counts by state, the jobs running now and the dead letter (discarded
// jobs) with an audited redrive (administrators only). GUI thread; every query and action runs on
// the DbWorker thread and comes back as a value. Polls every 2 s while visible.

#include "ui/common/consolecontext.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QPointer>
#include <QTimer>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableView;

namespace bw::ui {

class DbWorker;
class JobCountsModel;
class JobListModel;

class JobsPanel final : public QWidget {
    Q_OBJECT
public:
    JobsPanel(const ConsoleContext &context, QWidget *parent = nullptr);

    void setPollInterval(std::chrono::milliseconds interval);
    void refresh();                     // one load now (skipped while one is in flight)
    void redrive(const QString &jobId); // audited (AdminOpsService::retryJob); admins only

    JobCountsModel *countsModel() const { return m_counts; }
    JobListModel *runningModel() const { return m_running; }
    JobListModel *deadLetterModel() const { return m_dead; }

    struct Snapshot { // one poll's result
        QString error;
        QJsonObject counts;
        QJsonArray running;
        QJsonArray dead;
    };

Q_SIGNALS:
    void loaded();                             // a poll's result is shown
    void actionFinished(const QString &error); // "" = success

protected:
    void showEvent(QShowEvent *event) override;

private:
    void apply(const Snapshot &snapshot);
    void updateButtons();
    void showSelectedError();

    ConsoleContext m_context;
    QPointer<DbWorker> m_worker;
    JobCountsModel *m_counts;
    JobListModel *m_running;
    JobListModel *m_dead;
    QTableView *m_countsView;
    QTableView *m_runningView;
    QTableView *m_deadView;
    QPlainTextEdit *m_errorText;
    QPushButton *m_redrive;
    QLabel *m_status;
    QTimer m_timer;
    bool m_inFlight = false;
    bool m_actionRunning = false;
};

} // namespace bw::ui
