#pragma once
// Private to bw_db: the file-system, user and process chores around an embedded cluster
// (ownership, permissions, stale lock files, privilege drop in a forked child).
// Plain functions; callable from any thread.

#include "server/core/result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <sys/types.h>

#include <optional>
#include <vector>

namespace bw::db::detail {

// Who runs initdb/postgres. switchUser is set when we are root: then the children drop to uid/gid.
struct SystemUser {
    QString name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    bool switchUser = false;
};
Result<SystemUser> resolveSystemUser(const QString &name);

// mkpath + chmod 0700 + (when switching user) chown.
Status ensurePrivateDir(const QString &path, const SystemUser &user);
// Fails with a clear message when `user` cannot enter every ancestor of path (e.g. /root).
Status checkReachable(const QString &path, const SystemUser &user);
// Fails when an initialised data directory belongs to someone else than `user`.
Status checkOwner(const QString &path, const SystemUser &user);
// Writes atomically with the given mode, owned by `user`.
Status writePrivateFile(const QString &path, const QByteArray &content, const SystemUser &user);

bool processAlive(qint64 pid); // exists and is not a zombie

// The postmaster named by <clusterDir>/postmaster.pid, when it is alive and runs in that directory.
struct LivePostmaster {
    qint64 pid = 0;
    qint64 parentPid = 0; // 0 when unknown (e.g. outside our pid namespace)
    QString status;       // starting | ready | stopping | standby (PostgreSQL's own words)
};
std::optional<LivePostmaster> livePostmaster(const QString &clusterDir);
// Removes postmaster.pid when the process it names is gone (or is something else, after pid
// reuse); waits a little for orphaned backends of a killed postmaster to exit. Fails if a
// server is really running on the directory.
Status removeStalePidFile(const QString &clusterDir, int waitMs);

// Run in the forked child just before exec (async-signal-safe calls only): redirect
// stdout/stderr to logFd, drop privileges, then ask for SIGINT when the parent (thread) dies —
// after setuid, which would clear it.
struct ChildSetup {
    int logFd = -1;
    bool switchUser = false;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    bool deathSignal = false;
    pid_t parentPid = 0;
};
void applyInChild(const ChildSetup &setup);

} // namespace bw::db::detail
