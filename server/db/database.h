#pragma once
// Hands each thread its own PostgreSQL connection (QSqlDatabase is single-thread).
// One Database object is shared by all threads; every method is thread-safe.

#include "server/core/result.h"
#include "server/db/connectionsettings.h"

#include <QSqlDatabase>

#include <memory>
#include <mutex>

namespace bw::db {

class Database final {
public:
    explicit Database(ConnectionSettings settings);
    // Removes connections still registered (those of threads that already ended without
    // releaseThisThread()). Destroy it after every thread using it has stopped.
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    // The calling thread's connection: created in and used only by this thread, opened on first
    // use, reopened if broken (e.g. server restart) unless a Transaction is open on it.
    // statement_timeout, idle_in_transaction_session_timeout and application_name are sent as
    // startup options, so they also hold after any reconnect. If the server is unreachable the
    // returned handle is closed; exec() then reports the error (sqlState "08001").
    QSqlDatabase connection();
    // Closes and removes this thread's connection (every handle must be released first).
    // Call before a thread ends. (As a safety net, a thread that ends without it has its
    // connections removed as the OS thread exits — slightly after QThread::wait() returns.)
    void releaseThisThread();
    const ConnectionSettings &settings() const;
    // Cheap check that this thread's connection works (SELECT 1); used by /ready.
    Status ping();
    // The QSqlDatabase connection name used for the calling thread.
    QString connectionName() const;
    // Connections opened from now on act as `role` (the startup option `role`, i.e. SET ROLE),
    // e.g. betterworld_app, which may not rewrite the audit log. Connections that already exist
    // keep their role; "" = the login user. Other Database objects made from settings() do not
    // inherit it (administrative work such as restores keeps the owner's rights).
    void setSessionRole(const QString &role);
    QString sessionRole() const;

    struct Registry; // names of live connections; shared with thread-exit cleanup

private:
    void configure(QSqlDatabase &db) const;

    ConnectionSettings m_settings;
    mutable std::mutex m_roleMutex;
    QString m_sessionRole;
    QString m_prefix;
    std::shared_ptr<Registry> m_registry;
};

} // namespace bw::db
