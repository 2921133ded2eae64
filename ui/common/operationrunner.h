#pragma once
// Runs ONE long ops task (backup, verify, drill, restore, deployment) on a pool thread with an
// ops::Operation, and reports its progress and outcome on the GUI thread. The object lives on the
// GUI thread; the Operation's listener (worker thread) posts snapshots to it. Destroying the
// runner asks the operation to cancel (honoured while cancellable) and drops late reports; the
// task itself still finishes on its thread, so the services it uses (and their Database) must
// outlive it.

#include "server/ops/operation.h"

#include <QObject>
#include <QStringList>

#include <functional>
#include <memory>

namespace bw::ui {

class OperationRunner final : public QObject {
    Q_OBJECT
public:
    struct Outcome {
        QString error;   // "" = success
        QString summary; // what to tell the user on success
        bool cancelled = false;
    };
    using Work = std::function<Outcome(const ops::OperationPtr &op)>;

    // releaseThreadConnection: run on the pool thread when a task ends, to release that thread's
    // database connection (ConsoleContext::releaseThreadConnection; may be empty).
    explicit OperationRunner(std::function<void()> releaseThreadConnection, QObject *parent = nullptr);
    ~OperationRunner() override;

    // false when a task is still running. steps: the plan shown before the steps run (may be empty).
    bool start(const QString &name, const QStringList &steps, Work work);
    void cancel();
    bool isRunning() const { return m_running; }
    ops::Progress progress() const;
    QStringList log() const;

Q_SIGNALS:
    void progressChanged(const bw::ops::Progress &progress);
    void finished(const bw::ui::OperationRunner::Outcome &outcome);

private:
    struct Relay;
    std::function<void()> m_releaseThreadConnection;
    std::shared_ptr<Relay> m_relay;
    ops::OperationPtr m_op;
    bool m_running = false;
};

} // namespace bw::ui
