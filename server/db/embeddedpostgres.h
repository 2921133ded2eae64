#pragma once
// Runs a private PostgreSQL cluster as a child process (desktop pilot, single-node servers, tests).
// Lives in, and is started from, the main thread: the child's parent-death signal is tied to the
// thread that forks it. prepare() and waitUntilReady() block and may run on any thread.

#include "server/core/result.h"
#include "server/db/connectionsettings.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace bw::db {

struct EmbeddedPostgresOptions {
    QString clusterDir;                              // data directory of the cluster (created if missing)
    QString binDir;                                  // empty: `pg_config --bindir`, else the highest /usr/lib/postgresql/*/bin
    QString systemUser = QStringLiteral("postgres"); // the cluster runs as this user when we are root
    QString superuser = QStringLiteral("betterworld");
    QString database = QStringLiteral("betterworld");
    int port = 5432; // only names the socket inside <clusterDir>/run; there is no TCP listener
    int maxConnections = 60;
    QString sharedBuffers = QStringLiteral("64MB");
    int startTimeoutMs = 30000;
    // false: fsync and full_page_writes off, initdb --no-sync. Survives a killed server, not
    // an OS crash or power cut: for tests and throw-away clusters only.
    bool durable = true;
    // Extra postgresql.conf lines appended to betterworld.conf (e.g. WAL archiving for pgBackRest);
    // they win over the defaults above. Each "name = value".
    QStringList extraSettings;
};

class EmbeddedPostgres final : public QObject {
    Q_OBJECT
public:
    explicit EmbeddedPostgres(EmbeddedPostgresOptions options, QObject *parent = nullptr);
    ~EmbeddedPostgres() override; // stops the server if running

    // Blocking, any thread: finds the binaries, runs initdb on first use, (re)writes our settings
    // (betterworld.conf, included from postgresql.conf), removes a stale postmaster.pid.
    // The password is the superuser's (set by initdb; must match on later runs).
    Status prepare(const QString &password);
    // Spawns `postgres -D clusterDir` as a direct child; non-blocking. Object's thread only.
    // Server log lines go to the "bw.db.embedded" logging category.
    Status start();
    // Blocking, any thread: waits until the server accepts connections (error with the last
    // server log lines on timeout or early exit), then creates options.database if missing.
    // timeoutMs <= 0: options.startTimeoutMs.
    Status waitUntilReady(int timeoutMs);
    // Fast shutdown (SIGINT), SIGKILL after timeoutMs. Safe to call twice. Any thread, but only
    // the object's thread reaps the child immediately.
    Status stop(int timeoutMs = 15000);
    bool isRunning() const;
    qint64 processId() const; // the postmaster's pid, 0 when not running

    // A server another process runs on clusterDir (a `betterworld serve` while the CLI works),
    // ready or starting; not one that is shutting down. Any thread.
    struct RunningServer {
        qint64 postmasterPid = 0;
        qint64 ownerPid = 0; // the process that started it (0 when unknown)
    };
    static std::optional<RunningServer> findRunning(const QString &clusterDir);
    // Uses that server instead of starting one: no prepare()/start(); waitUntilReady() connects to
    // it and stop() leaves it running. Any thread, before waitUntilReady().
    void attach(const RunningServer &server, const QString &password);
    bool isAttached() const;

    // host = socket dir, our port, superuser, database.
    ConnectionSettings connectionSettings(const QString &password) const;
    QString serverVersion() const; // e.g. "15.18" once known (after prepare())
    QString socketDir() const;     // <clusterDir>/run
    const EmbeddedPostgresOptions &options() const;

Q_SIGNALS:
    // The server exited without stop() (crash, killed). Emitted in the object's thread.
    void exitedUnexpectedly(const QString &reason);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace bw::db
