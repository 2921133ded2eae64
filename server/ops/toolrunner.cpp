#include "server/ops/toolrunner.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QMutex>
#include <QProcess>
#include <QStandardPaths>
#include <QVersionNumber>

#include <algorithm>
#include <csignal>
#include <vector>

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace bw::ops {

namespace {

constexpr int kTailLines = 30;

struct ChildIds {
    bool drop = false;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    pid_t parent = 0;
};

// In the forked child (async-signal-safe only): drop privileges, then die with the parent thread.
void inChild(const ChildIds &ids)
{
    if (ids.drop) {
        if (::setgroups(ids.groups.size(), ids.groups.data()) != 0 || ::setgid(ids.gid) != 0 || ::setuid(ids.uid) != 0) {
            static const char msg[] = "betterworld: cannot switch user for a backup tool\n";
            [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
            ::_exit(126);
        }
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != ids.parent)
        ::_exit(1);
}

Result<ChildIds> childIds(const QString &user)
{
    ChildIds ids;
    ids.parent = ::getpid();
    if (user.isEmpty() || ::geteuid() != 0)
        return ids;
    const QByteArray name = user.toLocal8Bit();
    struct passwd pw {};
    struct passwd *found = nullptr;
    std::vector<char> buf(16384);
    if (::getpwnam_r(name.constData(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
        return ApiError::internal(QStringLiteral("system user '%1' does not exist").arg(user));
    ids.drop = true;
    ids.uid = pw.pw_uid;
    ids.gid = pw.pw_gid;
    int count = 64;
    ids.groups.resize(count);
    if (::getgrouplist(name.constData(), ids.gid, ids.groups.data(), &count) < 0) {
        ids.groups.resize(count);
        ::getgrouplist(name.constData(), ids.gid, ids.groups.data(), &count);
    }
    ids.groups.resize(count);
    return ids;
}

void splitLines(QByteArray &pending, const QByteArray &chunk, const std::function<void(const QString &)> &each)
{
    pending += chunk;
    qsizetype nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
        const QString line = QString::fromLocal8Bit(pending.left(nl)).trimmed();
        pending.remove(0, nl + 1);
        if (!line.isEmpty())
            each(line);
    }
}

bool hasTools(const QString &dir)
{
    return !dir.isEmpty() && QFileInfo(dir + QStringLiteral("/pg_dump")).isExecutable()
           && QFileInfo(dir + QStringLiteral("/pg_restore")).isExecutable();
}

} // namespace

bool runningAsRoot()
{
    return ::geteuid() == 0;
}

bool systemUserIds(const QString &name, uint *uid, uint *gid)
{
    struct passwd pw {};
    struct passwd *found = nullptr;
    std::vector<char> buf(16384);
    const QByteArray n = name.toLocal8Bit();
    if (::getpwnam_r(n.constData(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
        return false;
    *uid = pw.pw_uid;
    *gid = pw.pw_gid;
    return true;
}

Result<ToolResult> runTool(const ToolRun &run)
{
    const QString tool = QFileInfo(run.program).fileName();
    auto ids = childIds(run.runAsUser);
    if (!ids)
        return ids.error();
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString &key : env.keys()) {
        if (key.startsWith(QStringLiteral("PG")))
            env.remove(key);
    }
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    for (auto it = run.env.cbegin(); it != run.env.cend(); ++it)
        env.insert(it.key(), it.value());
    p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice());
    if (!run.stdoutFile.isEmpty())
        p.setStandardOutputFile(run.stdoutFile, QIODevice::Truncate);
    const ChildIds childSetup = *ids;
    p.setChildProcessModifier([childSetup] { inChild(childSetup); });
    if (run.runAsUser.isEmpty() || !childSetup.drop)
        p.setWorkingDirectory(QDir::tempPath());
    else
        p.setWorkingDirectory(QStringLiteral("/")); // the dropped user may not enter our cwd

    QElapsedTimer timer;
    timer.start();
    p.start(run.program, run.args);
    if (!p.waitForStarted(10000))
        return ApiError::internal(QStringLiteral("cannot run %1: %2").arg(run.program, p.errorString()));

    ToolResult result;
    QByteArray errPending, out;
    const auto onErr = [&](const QString &line) {
        result.errLines << line;
        if (result.errLines.size() > kTailLines)
            result.errLines.removeFirst();
        if (run.onStderrLine)
            run.onStderrLine(line);
    };
    const auto drain = [&] {
        splitLines(errPending, p.readAllStandardError(), onErr);
        if (run.stdoutFile.isEmpty())
            out += p.readAllStandardOutput();
    };
    QDeadlineTimer deadline = run.timeoutMs > 0 ? QDeadlineTimer(run.timeoutMs) : QDeadlineTimer(QDeadlineTimer::Forever);
    bool cancelled = false, timedOut = false;
    while (!p.waitForFinished(200)) {
        if (p.state() == QProcess::NotRunning)
            break;
        drain();
        if (run.onTick)
            run.onTick();
        if (run.op && !run.op->checkpoint()) {
            cancelled = true;
            break;
        }
        if (deadline.hasExpired()) {
            timedOut = true;
            break;
        }
    }
    if (cancelled || timedOut) {
        p.terminate();
        if (!p.waitForFinished(5000)) {
            p.kill();
            p.waitForFinished(5000);
        }
        drain();
        if (cancelled)
            return Operation::cancelledError();
        return ApiError::internal(QStringLiteral("%1 did not finish within %2 s").arg(tool).arg(run.timeoutMs / 1000));
    }
    drain();
    if (!errPending.isEmpty())
        onErr(QString::fromLocal8Bit(errPending).trimmed());
    result.out = out;
    result.exitCode = p.exitCode();
    result.ms = timer.elapsed();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        QStringList tail = result.errLines.mid(qMax(0, int(result.errLines.size()) - 8));
        if (tail.isEmpty() && !out.isEmpty())
            tail << QString::fromLocal8Bit(out.right(2000)).trimmed();
        return ApiError::make(
            ErrorKind::Internal,
            QStringLiteral("%1 failed (%2): %3")
                .arg(tool,
                     p.exitStatus() == QProcess::CrashExit ? QStringLiteral("killed")
                                                           : QStringLiteral("exit %1").arg(p.exitCode()),
                     tail.join(QStringLiteral(" | "))),
            QJsonObject{{QStringLiteral("exitCode"), p.exitCode()}, {QStringLiteral("stderr"), result.errLines.join(u'\n')}});
    }
    return result;
}

Result<QString> pgBinDir(const QString &configured)
{
    static QMutex mutex;
    static QHash<QString, QString> cache;
    QMutexLocker lock(&mutex);
    if (const auto it = cache.constFind(configured); it != cache.cend())
        return *it;
    QString found;
    if (!configured.isEmpty()) {
        if (!hasTools(configured))
            return ApiError::internal(QStringLiteral("pg_dump/pg_restore not found in %1").arg(configured));
        found = QDir(configured).absolutePath();
    } else {
        const QString pgConfig = QStandardPaths::findExecutable(QStringLiteral("pg_config"));
        if (!pgConfig.isEmpty()) {
            QProcess p;
            p.start(pgConfig, {QStringLiteral("--bindir")});
            if (p.waitForFinished(10000) && p.exitCode() == 0) {
                const QString dir = QString::fromLocal8Bit(p.readAllStandardOutput()).trimmed();
                if (hasTools(dir))
                    found = dir;
            }
        }
        if (found.isEmpty()) {
            QDir base(QStringLiteral("/usr/lib/postgresql"));
            QStringList versions = base.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
            std::sort(versions.begin(), versions.end(), [](const QString &a, const QString &b) {
                return QVersionNumber::fromString(a) > QVersionNumber::fromString(b);
            });
            for (const QString &v : std::as_const(versions)) {
                if (hasTools(base.filePath(v + QStringLiteral("/bin")))) {
                    found = base.filePath(v + QStringLiteral("/bin"));
                    break;
                }
            }
        }
        if (found.isEmpty())
            return ApiError::internal(
                QStringLiteral("pg_dump/pg_restore not found (pg_config --bindir, /usr/lib/postgresql/*/bin); "
                               "install the Debian package postgresql-client-15 or set database/pg_bindir"));
    }
    cache.insert(configured, found);
    return found;
}

Result<QString> pgTool(const QString &configuredBinDir, const QString &name)
{
    auto dir = pgBinDir(configuredBinDir);
    if (!dir)
        return dir.error();
    const QString path = *dir + u'/' + name;
    if (!QFileInfo(path).isExecutable())
        return ApiError::internal(QStringLiteral("%1 not found in %2").arg(name, *dir));
    return path;
}

PassFile::PassFile(const QString &password, const QString &owner)
{
    m_dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/bw-pgpass-XXXXXX"));
    if (!m_dir->isValid())
        return;
    QString escaped = password;
    escaped.replace(u'\\', QStringLiteral("\\\\")).replace(u':', QStringLiteral("\\:"));
    const QString path = m_dir->filePath(QStringLiteral("pgpass"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return;
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    f.write(QStringLiteral("*:*:*:*:%1\n").arg(escaped).toUtf8());
    f.close();
    uint uid = 0, gid = 0;
    if (!owner.isEmpty() && ::geteuid() == 0 && systemUserIds(owner, &uid, &gid)) {
        if (::chown(QFile::encodeName(m_dir->path()).constData(), uid, gid) != 0
            || ::chown(QFile::encodeName(path).constData(), uid, gid) != 0)
            return;
    }
    m_path = path;
}

QMap<QString, QString> libpqEnvironment(const db::ConnectionSettings &s, const QString &passFile)
{
    QMap<QString, QString> env;
    if (!s.host.isEmpty())
        env.insert(QStringLiteral("PGHOST"), s.host);
    env.insert(QStringLiteral("PGPORT"), QString::number(s.port));
    if (!s.user.isEmpty())
        env.insert(QStringLiteral("PGUSER"), s.user);
    if (!s.database.isEmpty())
        env.insert(QStringLiteral("PGDATABASE"), s.database);
    if (!s.sslMode.isEmpty())
        env.insert(QStringLiteral("PGSSLMODE"), s.sslMode);
    env.insert(QStringLiteral("PGAPPNAME"), QStringLiteral("betterworld-ops"));
    env.insert(QStringLiteral("PGCONNECT_TIMEOUT"), QStringLiteral("10"));
    if (!passFile.isEmpty())
        env.insert(QStringLiteral("PGPASSFILE"), passFile);
    return env;
}

} // namespace bw::ops
