#pragma once
// Runs PostgreSQL and backup tools (pg_dump, pg_restore, pgbackrest) as child processes from a
// worker thread: explicit environment (no password on a command line), stderr lines to a callback,
// cancellation through an Operation, and a child that dies with the app (PR_SET_PDEATHSIG) so a
// killed app never leaves a tool writing a half file. Blocking; never on the GUI or I/O threads.

#include "server/core/result.h"
#include "server/db/connectionsettings.h"
#include "server/ops/operation.h"

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <functional>
#include <memory>

namespace bw::ops {

struct ToolRun {
    QString program; // absolute path
    QStringList args;
    QMap<QString, QString> env; // added to a copy of the environment without PG* variables
    QString runAsUser;          // when we are root: drop to this system user (e.g. postgres)
    int timeoutMs = 0;          // 0: no limit
    QString stdoutFile;         // stdout goes to this file instead of being captured
    std::function<void(const QString &)> onStderrLine;
    std::function<void()> onTick; // about every 200 ms while the tool runs
    OperationPtr op;              // cancel() stops the tool (SIGTERM, then SIGKILL)
};

struct ToolResult {
    int exitCode = 0;
    QByteArray out;       // captured stdout (when no stdoutFile)
    QStringList errLines; // last stderr lines
    qint64 ms = 0;
};

// Error when the tool cannot start, times out, is cancelled (Operation::isCancelled) or exits
// non-zero (message: "<tool> failed (exit N): <last stderr lines>").
Result<ToolResult> runTool(const ToolRun &run);

// The directory holding pg_dump/pg_restore: `configured` when set, else `pg_config --bindir`,
// else the newest /usr/lib/postgresql/*/bin (never the /usr/bin wrappers). Cached per argument.
Result<QString> pgBinDir(const QString &configured);
Result<QString> pgTool(const QString &configuredBinDir, const QString &name);

// A private libpq password file for one tool run (deleted with the object). Handing the password
// over as PGPASSFILE keeps it out of argv and /proc/<pid>/environ.
class PassFile final {
public:
    // owner: system user that must read it (pgbackrest runs as postgres when we are root).
    explicit PassFile(const QString &password, const QString &owner = {});
    bool ok() const { return !m_path.isEmpty(); }
    QString path() const { return m_path; }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
};

// PGHOST/PGPORT/PGUSER/PGDATABASE/PGSSLMODE/PGAPPNAME (+ PGPASSFILE=passFile) for settings.
QMap<QString, QString> libpqEnvironment(const db::ConnectionSettings &settings, const QString &passFile);

// Resolves a system user name to uid/gid (for chown and privilege drop); false when unknown.
bool systemUserIds(const QString &name, uint *uid, uint *gid);
bool runningAsRoot();

} // namespace bw::ops
