#pragma once
// Long operations started over the admin API (backups, verifications, drills, restores). Each runs
// on the registry's own threads ("bw-ops"), never on the request pool, and stays visible — state,
// progress, log, result or error — for GET /admin/operations/:id until newer ones push it out
// (the newest 100 are kept). Per process: a node answers for the operations it runs. Thread-safe.

#include "server/core/result.h"
#include "server/ops/operation.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QMutex>
#include <QThreadPool>

#include <functional>
#include <optional>

namespace bw::ops {

class OperationRegistry final {
public:
    // The work's result becomes the operation's "result"; an error its "error" (cancelled → "cancelled").
    using Work = std::function<Result<QJsonObject>(const OperationPtr &op)>;

    // releaseThread: called on a worker thread after each piece of work (its database connection);
    // two workers may call it at the same time.
    explicit OperationRegistry(std::function<void()> releaseThread = {});
    ~OperationRegistry(); // cancels what still runs and waits for it

    struct Start {
        QString kind;           // "backup", "verify", "drill", "restore"
        QString target;         // e.g. the backup id; may be empty
        QString requestedBy;    // e.g. "admin:ada@example.org"
        bool exclusive = false; // runs alone (a restore): refused while anything runs, and vice versa
    };
    // The new operation's JSON (state "running"), or 409 when an exclusive rule forbids it now.
    Result<QJsonObject> start(const Start &what, const QStringList &plan, Work work);
    std::optional<QJsonObject> find(const QString &id) const;
    // Asks the operation to stop at its next checkpoint; 404 unknown, 409 finished or past the point of no return.
    Result<QJsonObject> cancel(const QString &id);
    QJsonArray list() const; // newest first
    bool waitForIdle(int timeoutMs);

private:
    struct Entry {
        QString id;
        Start what;
        OperationPtr op;
        QDateTime startedAt, finishedAt;
        QString state = QStringLiteral("running"); // running | succeeded | failed | cancelled
        QJsonObject result;
        std::optional<ApiError> error;
    };
    static QJsonObject toJson(const Entry &e);
    void finish(const QString &id, const Result<QJsonObject> &outcome);

    mutable QMutex m_mutex;
    QList<Entry> m_entries; // oldest first
    std::function<void()> m_releaseThread;
    QThreadPool m_threads;
};

} // namespace bw::ops
