#pragma once
// A value copy of everything the Overview shows. Built by OverviewLoader on the GUI thread from
// metrics samples and DbWorker results; safe to copy between threads.

#include <QString>

#include <optional>

namespace bw::ui {

enum class ServerState { Starting, Running, Stopping, Failed };

struct OverviewSnapshot {
    ServerState state = ServerState::Starting;
    QString stateMessage; // progress while starting/stopping, cause when failed

    QString listenAddress; // "127.0.0.1:4000"
    bool embeddedDatabase = true;
    QString databaseDescription;             // path or redacted URL
    QString databaseVersion;                 // server_version, empty until known
    std::optional<qint64> databaseSizeBytes; // pg_database_size(current_database())
    QString databaseError;                   // last failed query; empty while healthy

    std::optional<qint64> uptimeSeconds;
    std::optional<double> requestRate; // req/s over the last sample interval
    std::optional<double> activeConnections;
    std::optional<qint64> agentCount;
    std::optional<qint64> problemCount;
};

} // namespace bw::ui
