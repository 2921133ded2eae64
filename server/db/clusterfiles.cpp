#include "server/db/clusterfiles_p.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QThread>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bw::db::detail {

namespace {

ApiError fsError(const QString &message)
{
    return ApiError::internal(message);
}

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

bool canSearch(const QString &dir, const SystemUser &user)
{
    struct stat st {};
    if (::stat(QFile::encodeName(dir).constData(), &st) != 0)
        return false;
    if (st.st_uid == user.uid)
        return st.st_mode & S_IXUSR;
    if (std::find(user.groups.begin(), user.groups.end(), st.st_gid) != user.groups.end())
        return st.st_mode & S_IXGRP;
    return st.st_mode & S_IXOTH;
}

QString processCwd(qint64 pid)
{
    return QFileInfo(QStringLiteral("/proc/%1/cwd").arg(pid)).symLinkTarget();
}

QList<qint64> processesInDir(const QString &canonicalDir)
{
    QList<qint64> pids;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &e : entries) {
        bool ok = false;
        const qint64 pid = e.toLongLong(&ok);
        if (ok && pid != ::getpid() && processAlive(pid) && processCwd(pid) == canonicalDir)
            pids << pid;
    }
    return pids;
}

} // namespace

Result<SystemUser> resolveSystemUser(const QString &name)
{
    SystemUser u;
    if (::geteuid() != 0) {
        // Not root: the server simply runs as us.
        u.uid = ::geteuid();
        u.gid = ::getegid();
        u.groups.resize(qMax(0, ::getgroups(0, nullptr)));
        if (!u.groups.empty())
            u.groups.resize(qMax(0, ::getgroups(int(u.groups.size()), u.groups.data())));
        u.groups.push_back(u.gid);
        return u;
    }
    const QByteArray n = name.toLocal8Bit();
    struct passwd pw {};
    struct passwd *found = nullptr;
    std::vector<char> buf(16384);
    if (::getpwnam_r(n.constData(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
        return fsError(QStringLiteral("The system user '%1' that runs PostgreSQL does not exist. PostgreSQL "
                                      "refuses to run as root; install the Debian package \"postgresql-15\" "
                                      "(it creates 'postgres') or create the user.")
                           .arg(name));
    u.name = name;
    u.uid = pw.pw_uid;
    u.gid = pw.pw_gid;
    u.switchUser = true;
    int count = 32;
    u.groups.resize(count);
    if (::getgrouplist(n.constData(), u.gid, u.groups.data(), &count) < 0) {
        u.groups.resize(count);
        ::getgrouplist(n.constData(), u.gid, u.groups.data(), &count);
    }
    u.groups.resize(count);
    return u;
}

Status ensurePrivateDir(const QString &path, const SystemUser &user)
{
    if (!QDir().mkpath(path))
        return fsError(QStringLiteral("Cannot create directory %1").arg(path));
    const QByteArray p = QFile::encodeName(path);
    if (user.switchUser && ::chown(p.constData(), user.uid, user.gid) != 0)
        return fsError(QStringLiteral("Cannot give %1 to user '%2': %3").arg(path, user.name, errnoText()));
    if (::chmod(p.constData(), 0700) != 0)
        return fsError(QStringLiteral("Cannot chmod 0700 %1: %2").arg(path, errnoText()));
    return success();
}

Status checkReachable(const QString &path, const SystemUser &user)
{
    if (!user.switchUser)
        return success();
    QDir dir(QFileInfo(path).absolutePath());
    while (true) {
        if (!canSearch(dir.absolutePath(), user))
            return fsError(QStringLiteral("The cluster directory %1 is not reachable by the system user '%2' that "
                                          "runs PostgreSQL: it cannot enter %3. Choose a directory outside it "
                                          "(e.g. /var/lib/betterworld) or allow it in (chmod o+x %3).")
                               .arg(path, user.name, dir.absolutePath()));
        if (dir.isRoot())
            return success();
        dir.cdUp();
    }
}

Status checkOwner(const QString &path, const SystemUser &user)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return fsError(QStringLiteral("Cannot stat %1: %2").arg(path, errnoText()));
    if (st.st_uid != user.uid)
        return fsError(QStringLiteral("The data directory %1 belongs to uid %2, but PostgreSQL runs as %3 (uid %4); "
                                      "fix its ownership (chown -R)")
                           .arg(path)
                           .arg(st.st_uid)
                           .arg(user.name.isEmpty() ? QStringLiteral("this user") : user.name)
                           .arg(user.uid));
    return success();
}

Status writePrivateFile(const QString &path, const QByteArray &content, const SystemUser &user)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fsError(QStringLiteral("Cannot write %1: %2").arg(path, file.errorString()));
    file.write(content);
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (!file.commit())
        return fsError(QStringLiteral("Cannot write %1: %2").arg(path, file.errorString()));
    if (user.switchUser && ::chown(QFile::encodeName(path).constData(), user.uid, user.gid) != 0)
        return fsError(QStringLiteral("Cannot give %1 to user '%2': %3").arg(path, user.name, errnoText()));
    return success();
}

bool processAlive(qint64 pid)
{
    if (pid <= 0)
        return false;
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    // "pid (comm) S ...": the state follows the last ')' (comm may contain spaces and parens).
    const QByteArray line = stat.readAll();
    const auto close = line.lastIndexOf(')');
    if (close < 0 || close + 2 >= line.size())
        return false;
    const char state = line.at(close + 2);
    return state != 'Z' && state != 'X';
}

// The parent of pid from /proc/<pid>/status (0 when unknown).
qint64 parentPid(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    // readAll(), not atEnd()/readLine(): /proc files report size 0, so atEnd() is true at once.
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("PPid:"))
            return line.mid(5).trimmed().toLongLong();
    return 0;
}

std::optional<LivePostmaster> livePostmaster(const QString &clusterDir)
{
    // postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
    QFile file(clusterDir + QStringLiteral("/postmaster.pid"));
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QList<QByteArray> lines = file.readAll().split('\n');
    LivePostmaster live;
    live.pid = lines.value(0).trimmed().toLongLong();
    live.status = QString::fromLatin1(lines.value(7).trimmed());
    // After pid reuse the number names something else: it must run in this directory.
    if (!processAlive(live.pid) || processCwd(live.pid) != QFileInfo(clusterDir).canonicalFilePath())
        return std::nullopt;
    live.parentPid = parentPid(live.pid);
    return live;
}

Status removeStalePidFile(const QString &clusterDir, int waitMs)
{
    const QString pidPath = clusterDir + QStringLiteral("/postmaster.pid");
    if (!QFile::exists(pidPath))
        return success();
    const QString canonical = QFileInfo(clusterDir).canonicalFilePath();
    // A postmaster whose app was killed gets SIGINT (PDEATHSIG) and is shutting down right now
    // (with WAL archiving it first hands the last segment to the archiver): give it waitMs. It says
    // "stopping" in postmaster.pid, or (before it got there) has been reparented to init. Any other
    // live postmaster is in use — by another BetterWorld on this data directory — and we say so at once.
    QDeadlineTimer shutdown(waitMs);
    std::optional<LivePostmaster> live = livePostmaster(clusterDir);
    while (live && (live->status == u"stopping" || live->parentPid == 1) && !shutdown.hasExpired()) {
        QThread::msleep(50);
        live = livePostmaster(clusterDir);
    }
    if (live)
        return fsError(QStringLiteral("A PostgreSQL server (pid %1, started by process %2) is already running on %3: another "
                                      "BetterWorld uses this data directory. Stop it first, or run commands such as "
                                      "`betterworld backup list` alongside it")
                           .arg(live->pid)
                           .arg(live->parentPid)
                           .arg(clusterDir));

    // A killed postmaster leaves backends behind for a moment; they hold the shared memory
    // and PostgreSQL refuses to start until they are gone.
    QDeadlineTimer deadline(waitMs);
    QList<qint64> left = processesInDir(canonical);
    while (!left.isEmpty() && !deadline.hasExpired()) {
        QThread::msleep(50);
        left = processesInDir(canonical);
    }
    if (!left.isEmpty()) {
        QStringList pids;
        for (qint64 p : std::as_const(left))
            pids << QString::number(p);
        return fsError(QStringLiteral("Old PostgreSQL processes (%1) still use %2").arg(pids.join(u','), clusterDir));
    }
    if (!QFile::remove(pidPath) && QFile::exists(pidPath)) // a postmaster that shut down removed it itself
        return fsError(QStringLiteral("Cannot remove the stale %1").arg(pidPath));
    return success();
}

void applyInChild(const ChildSetup &s)
{
    if (s.logFd >= 0) {
        ::dup2(s.logFd, STDOUT_FILENO);
        ::dup2(s.logFd, STDERR_FILENO);
    }
    if (s.switchUser) {
        if (::setgroups(s.groups.size(), s.groups.data()) != 0 || ::setgid(s.gid) != 0 || ::setuid(s.uid) != 0) {
            static const char msg[] = "betterworld: cannot switch to the PostgreSQL system user\n";
            [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
            ::_exit(126);
        }
    }
    if (s.deathSignal) {
        ::prctl(PR_SET_PDEATHSIG, SIGINT);
        if (::getppid() != s.parentPid) // the parent died before prctl took effect
            ::_exit(1);
    }
}

} // namespace bw::db::detail
