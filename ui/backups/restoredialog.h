#pragma once
// The guided restore: what will be restored where → typed confirmation (the database's name) →
// progress with the current step, cancellable until the destructive step → result. Non-modal
// (show(), never exec()); GUI thread. The restore itself runs on a pool thread through an
// OperationRunner; the dialog only shows snapshots of its progress.

#include "ui/common/operationrunner.h"

#include <QDateTime>
#include <QDialog>

#include <functional>

class QCheckBox;
class QDateTimeEdit;
class QFormLayout;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;

namespace bw::ui {

class RestoreDialog final : public QDialog {
    Q_OBJECT
public:
    // Runs on a pool thread: the restore with the typed confirmation; targetTime is null unless the
    // dialog offers a point in time (setTimeWindow).
    using RestoreWork = std::function<OperationRunner::Outcome(const QString &confirmation, bool keepPrevious,
                                                               const QDateTime &targetTime, const ops::OperationPtr &op)>;

    RestoreDialog(const QString &description, const QString &databaseName, const QStringList &plannedSteps,
                  std::function<void()> releaseThreadConnection, RestoreWork work, QWidget *parent = nullptr);

    // Point-in-time restore: a time to choose within the recoverable window (UTC), latest by default.
    void setTimeWindow(const QDateTime &from, const QDateTime &to);
    QDateTimeEdit *timeEdit() const { return m_time; }
    bool confirmationAccepted() const; // the typed text equals the database name
    bool isRunning() const;
    bool startRestore(); // false unless confirmed and not started yet
    void cancelRestore();
    OperationRunner *runner() const { return m_runner; }

Q_SIGNALS:
    void restoreFinished(const bw::ui::OperationRunner::Outcome &outcome);

protected:
    void reject() override; // Esc/close: cancels a running restore instead of hiding it

private:
    void showProgress(const ops::Progress &p);
    void showOutcome(const OperationRunner::Outcome &o);

    QString m_databaseName;
    RestoreWork m_work;
    OperationRunner *m_runner;
    QStackedWidget *m_pages;
    QLineEdit *m_confirm;
    QCheckBox *m_keepPrevious;
    QFormLayout *m_form;
    QDateTimeEdit *m_time = nullptr; // only for a point-in-time restore
    QPushButton *m_restore;
    QLabel *m_step;
    QProgressBar *m_bar;
    QPlainTextEdit *m_log;
    QPushButton *m_cancel;
    QLabel *m_result;
    QPushButton *m_close;
    bool m_started = false;
};

} // namespace bw::ui
