#pragma once
// The real `betterworld` binary as a user runs it: a free port, a run with captured output, an
// environment without a desktop session (file secrets, private XDG dirs), waiting for /ready.

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>

namespace bw::test {

QString betterworldBinary();
quint16 freePort();

struct Run {
    int code = -1; // -1: crashed or still running after the timeout
    QByteArray out, err;
    qint64 ms = 0; // wall time
};
Run run(const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(), int timeoutMs = 60000,
        const QByteArray &stdinText = {});

QProcessEnvironment cleanEnv(const QString &home);

// Polls GET /ready until 200 (true) or the server exits or timeoutMs passes.
bool waitReady(const QProcess &server, quint16 port, int timeoutMs, qint64 *elapsedMs = nullptr);

// The pid in <dataDir>/postgres/postmaster.pid (0 when none).
qint64 postmasterPid(const QString &dataDir);

// `betterworld serve` on a data directory, as a child on a free port. Its output goes to a file:
// a pipe nobody reads while the test blocks on HTTP would stall the server's logging.
struct ServeProcess {
    QProcess process;
    quint16 port = 0;
    QString logFile;

    // Starts with cleanEnv(home) and waits for /ready.
    bool start(const QString &home, const QString &dataDir, const QStringList &extraArgs = {}, int readyMs = 90000);
    QString log() const; // the tail of its output, for failure messages
    bool stop();         // SIGTERM; true when it exited with 0
};

} // namespace bw::test
