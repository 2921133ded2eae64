#pragma once
// The guided restore: what will be restored where → typed confirmation (the database's name) →
// progress with the current step, cancellable until the destructive step → result. Non-modal
// (show(), never exec()); GUI thread. The restore itself runs on a pool thread through an
// OperationRunner; the dialog only shows snapshots of its progress.

#include "ui/common/operationrunner.h"

#include <QDialog>

#include <functional>

class QCheckBox;
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
    // Runs on a pool thread: the restore with the typed confirmation.
    using RestoreWork =
        std::function<OperationRunner::Outcome(const QString &confirmation, bool keepPrevious, const ops::OperationPtr &op)>;

    RestoreDialog(const QString &description, const QString &databaseName, const QStringList &plannedSteps,
                  std::function<void()> releaseThreadConnection, RestoreWork work, QWidget *parent = nullptr);

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
