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

} // namespace bw::test
