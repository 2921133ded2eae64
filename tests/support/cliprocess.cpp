#include "tests/support/cliprocess.h"

#include "tests/support/httpclient.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTest>

#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bw::test {

QString betterworldBinary()
{
    return QStringLiteral(BW_BINARY);
}

quint16 freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

Run run(const QStringList &args, const QProcessEnvironment &env, int timeoutMs, const QByteArray &stdinText)
{
    QProcess p;
    p.setProcessEnvironment(env);
    QElapsedTimer t;
    t.start();
    p.start(betterworldBinary(), args);
    p.waitForStarted();
    if (!stdinText.isEmpty())
        p.write(stdinText);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        return {-1, p.readAllStandardOutput(), p.readAllStandardError(), t.elapsed()};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(), p.readAllStandardError(),
            t.elapsed()};
}

QProcessEnvironment cleanEnv(const QString &home)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/data"));
    env.insert(QStringLiteral("BW_SECRETS"), QStringLiteral("file"));
    return env;
}

bool waitReady(const QProcess &server, quint16 port, int timeoutMs, qint64 *elapsedMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs && server.state() != QProcess::NotRunning) {
        if (httpRequest(port, "GET", "/ready").status == 200) {
            if (elapsedMs)
                *elapsedMs = t.elapsed();
            return true;
        }
        QTest::qWait(50);
    }
    return false;
}

qint64 postmasterPid(const QString &dataDir)
{
    QFile f(dataDir + QStringLiteral("/postgres/postmaster.pid"));
    return f.open(QIODevice::ReadOnly) ? f.readLine().trimmed().toLongLong() : 0;
}

bool ServeProcess::start(const QString &home, const QString &dataDir, const QStringList &extraArgs, int readyMs)
{
    // As root the embedded cluster runs as 'postgres', which must be able to enter the data dir.
    QFile::setPermissions(dataDir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ExeOther);
    port = freePort();
    logFile = home + QStringLiteral("/serve-%1.log").arg(port);
    process.setProcessEnvironment(cleanEnv(home));
    process.setStandardOutputFile(QProcess::nullDevice());
    process.setStandardErrorFile(logFile);
    process.start(betterworldBinary(), QStringList{QStringLiteral("serve"), QStringLiteral("--data-dir"), dataDir,
                                                   QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port)}
                                           + extraArgs);
    return waitReady(process, port, readyMs);
}

QString ServeProcess::log() const
{
    QFile f(logFile);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll().right(3000)) : QString();
}

bool ServeProcess::stop()
{
    if (process.state() == QProcess::NotRunning)
        return process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
    ::kill(pid_t(process.processId()), SIGTERM);
    return process.waitForFinished(30000) && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
}

} // namespace bw::test
