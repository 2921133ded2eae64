#pragma once
// Progress reporting and cancellation for long operations (backup, restore, drill, deployment).
// An Operation is shared (shared_ptr) between the worker thread that runs the work and any
// observer (the desktop panels, the CLI): the worker reports steps, observers read snapshots or
// get a listener call (on the WORKER thread — marshal to the GUI with a queued invoke) and may
// ask to cancel. Every method is thread-safe.

#include "server/core/result.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>

namespace bw::ops {

struct Progress {
    QString operation; // "backup", "restore", "drill", "deploy", ...
    QString step;      // current step id, e.g. "dump"
    QString stepLabel; // English label for the step, e.g. "Dumping the database"
    int stepIndex = 0; // 1-based; 0 before the first step
    int stepCount = 0;
    double fraction = -1;    // progress within the step 0..1; -1 = unknown
    QString message;         // latest detail line
    bool cancellable = true; // false once the destructive part started
    bool cancelRequested = false;
    bool finished = false;
    qint64 elapsedMs = 0;
};

class Operation final {
public:
    using Listener = std::function<void(const Progress &)>;

    // stepLabels: the plan, in order ("id|Label" or just "Label"); shown before they run.
    static std::shared_ptr<Operation> create(const QString &name, const QStringList &stepLabels = {}, Listener listener = {});

    // Observer side.
    void cancel();             // honoured at the next checkpoint while cancellable
    Progress progress() const; // snapshot
    QStringList log() const;   // every message, "+12.3s step: text"
    QStringList plannedSteps() const;

    // Worker side.
    // Services describe their steps when the caller created the operation without a plan.
    void setPlanIfEmpty(const QStringList &stepLabels);
    void beginStep(const QString &id); // id from the plan, or a new step appended to it
    void setFraction(double fraction); // listener throttled to ~10 calls/s for fractions
    void message(const QString &text);
    void setCancellable(bool cancellable);
    bool cancelRequested() const { return m_cancel.load(); }
    // ApiError "cancelled" (Conflict kind, details.cancelled = true) when cancel() was called and
    // the operation is still cancellable; success otherwise.
    Status checkpoint() const;
    void finish();
    qint64 elapsedMs() const;

    static bool isCancelled(const ApiError &error);
    static ApiError cancelledError();

private:
    Operation(const QString &name, const QStringList &plan, Listener listener);
    void notify(bool force);

    mutable QMutex m_mutex;
    Progress m_progress;
    QStringList m_ids;
    QStringList m_labels;
    QStringList m_log;
    Listener m_listener;
    QElapsedTimer m_timer;
    qint64 m_lastNotifyMs = -1000;
    std::atomic_bool m_cancel{false};
};

using OperationPtr = std::shared_ptr<Operation>;

// For callers that do not watch: a throw-away operation.
inline OperationPtr quietOperation(const QString &name)
{
    return Operation::create(name);
}

} // namespace bw::ops
