#include "server/db/embeddedpostgres.h"

#include "server/core/threadrole.h"
#include "server/db/clusterfiles_p.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QMutex>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QVersionNumber>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

namespace bw::db {

namespace {

// Server LOG lines are debug-level (QT_LOGGING_RULES="bw.db.embedded.debug=true" shows them);
// the last lines are always kept for error messages.
Q_LOGGING_CATEGORY(lcEmbedded, "bw.db.embedded", QtInfoMsg)

constexpr int kLogTailLines = 40;
constexpr const char *kConfName = "betterworld.conf";

ApiError error(const QString &message)
{
    return ApiError::internal(message);
}

QString packageHint()
{
    return QStringLiteral("Install the Debian package \"postgresql-15\" (or \"postgresql\"), or set the "
                          "PostgreSQL bin directory.");
}

bool hasServerBinaries(const QString &dir)
{
    return !dir.isEmpty() && QFileInfo(dir + QStringLiteral("/postgres")).isExecutable()
           && QFileInfo(dir + QStringLiteral("/initdb")).isExecutable();
}

// Runs a short tool synchronously (explicit timeout), optionally as the system user.
Result<QByteArray> runTool(const QString &program, const QStringList &args, const detail::ChildSetup &setup, int timeoutMs)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setStandardInputFile(QProcess::nullDevice());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *var : {"PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGDATABASE", "PGOPTIONS"})
        env.remove(QString::fromLatin1(var));
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    env.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    p.setProcessEnvironment(env);
    p.setChildProcessModifier([setup] { detail::applyInChild(setup); });
    p.start(program, args);
    if (!p.waitForStarted(10000))
        return error(QStringLiteral("Cannot run %1: %2").arg(program, p.errorString()));
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(2000);
        return error(QStringLiteral("%1 did not finish within %2 ms").arg(program).arg(timeoutMs));
    }
    const QByteArray out = p.readAll();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return error(QStringLiteral("%1 failed (exit code %2): %3")
                         .arg(QFileInfo(program).fileName())
                         .arg(p.exitCode())
                         .arg(QString::fromLocal8Bit(out).trimmed()));
    return out;
}

Result<QString> locateBinDir(const QString &explicitDir)
{
    if (!explicitDir.isEmpty()) {
        if (hasServerBinaries(explicitDir))
            return QDir(explicitDir).absolutePath();
        return error(
            QStringLiteral("PostgreSQL server binaries (postgres, initdb) not found in %1. %2").arg(explicitDir, packageHint()));
    }
    const QString pgConfig = QStandardPaths::findExecutable(QStringLiteral("pg_config"));
    if (!pgConfig.isEmpty()) {
        if (auto out = runTool(pgConfig, {QStringLiteral("--bindir")}, {}, 10000)) {
            const QString dir = QString::fromLocal8Bit(*out).trimmed();
            if (hasServerBinaries(dir))
                return dir;
        }
    }
    // pg_config may come from libpq-dev without a server; take the newest installed server.
    QDir base(QStringLiteral("/usr/lib/postgresql"));
    QStringList versions = base.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(versions.begin(), versions.end(),
              [](const QString &a, const QString &b) { return QVersionNumber::fromString(a) > QVersionNumber::fromString(b); });
    for (const QString &v : std::as_const(versions)) {
        const QString dir = base.filePath(v + QStringLiteral("/bin"));
        if (hasServerBinaries(dir))
            return dir;
    }
    return error(QStringLiteral("PostgreSQL server binaries (postgres, initdb) not found (looked at pg_config "
                                "--bindir and /usr/lib/postgresql/*/bin). %1")
                     .arg(packageHint()));
}

QString confQuote(QString value)
{
    value.replace(u'\'', QStringLiteral("''"));
    return u'\'' + value + u'\'';
}

bool hasStatStatements(const QString &binDir)
{
    QString libDir;
    const QString pgConfig = binDir + QStringLiteral("/pg_config");
    if (QFileInfo(pgConfig).isExecutable()) {
        if (auto out = runTool(pgConfig, {QStringLiteral("--pkglibdir")}, {}, 10000))
            libDir = QString::fromLocal8Bit(*out).trimmed();
    }
    if (libDir.isEmpty())
        libDir = QDir(binDir + QStringLiteral("/../lib")).absolutePath(); // Debian layout
    return QFileInfo::exists(libDir + QStringLiteral("/pg_stat_statements.so"));
}

QByteArray configText(const EmbeddedPostgresOptions &o, const QString &socketDir, bool statStatements)
{
    QStringList l;
    l << QStringLiteral("# Written by BetterWorld before every start; override with ALTER SYSTEM.")
      << QStringLiteral("listen_addresses = ''") // Unix socket only: nothing to firewall, no port clash
      << QStringLiteral("unix_socket_directories = %1").arg(confQuote(socketDir))
      << QStringLiteral("unix_socket_permissions = 0700") << QStringLiteral("port = %1").arg(o.port)
      << QStringLiteral("max_connections = %1").arg(o.maxConnections)
      << QStringLiteral("shared_buffers = %1").arg(confQuote(o.sharedBuffers))
      // A small machine shared with the app: modest memory, few parallel workers.
      << QStringLiteral("work_mem = '4MB'") << QStringLiteral("maintenance_work_mem = '64MB'")
      << QStringLiteral("effective_cache_size = '256MB'") << QStringLiteral("max_wal_size = '512MB'")
      << QStringLiteral("min_wal_size = '80MB'") << QStringLiteral("max_worker_processes = 4")
      << QStringLiteral("max_parallel_workers = 2") << QStringLiteral("max_parallel_workers_per_gather = 1")
      << QStringLiteral("max_parallel_maintenance_workers = 1") << QStringLiteral("autovacuum_max_workers = 2")
      << QStringLiteral("password_encryption = 'scram-sha-256'") << QStringLiteral("timezone = 'UTC'")
      << QStringLiteral("log_timezone = 'UTC'") << QStringLiteral("lc_messages = 'C.UTF-8'")
      << QStringLiteral("logging_collector = off") << QStringLiteral("log_destination = 'stderr'")
      << QStringLiteral("log_line_prefix = '%m [%p] %q%u@%d '")
      // Failed statements would be logged with their literal values (QPSQL inlines binds),
      // which can include key hashes or e-mail addresses: keep them out of the log.
      << QStringLiteral("log_min_error_statement = 'panic'");
    if (statStatements)
        l << QStringLiteral("shared_preload_libraries = 'pg_stat_statements'");
    if (!o.durable)
        l << QStringLiteral("fsync = off") << QStringLiteral("full_page_writes = off");
    l << o.extraSettings; // last: a later line wins in postgresql.conf
    // synchronous_commit stays on: commits then reach the OS before returning, so a killed
    // server loses nothing (only an OS crash could).
    return (l.join(u'\n') + u'\n').toUtf8();
}

Status ensureIncluded(const QString &clusterDir)
{
    const QString line = QStringLiteral("include_if_exists = '%1'").arg(QLatin1StringView(kConfName));
    QFile conf(clusterDir + QStringLiteral("/postgresql.conf"));
    if (!conf.open(QIODevice::ReadWrite))
        return error(QStringLiteral("Cannot open %1: %2").arg(conf.fileName(), conf.errorString()));
    if (!QString::fromUtf8(conf.readAll()).contains(line)) {
        conf.seek(conf.size());
        conf.write(QStringLiteral("\n# BetterWorld settings (rewritten before every start)\n%1\n").arg(line).toUtf8());
    }
    return success();
}

// Reads the server's stderr on its own thread, so the log keeps flowing (and PostgreSQL never
// blocks on a full pipe) even while the main thread is busy or blocked.
class LogPump final {
public:
    ~LogPump() { finish(); }

    void startReading(int fd)
    {
        finish();
        {
            QMutexLocker lock(&m_mutex);
            m_tail.clear();
        }
        m_stop = false;
        m_thread = std::thread([this, fd] {
            setCurrentThreadName("bw-pg-log");
            run(fd);
        });
    }
    // Stops reading once the pipe has nothing more for a moment (orphaned backends may keep it open).
    void finish()
    {
        m_stop = true;
        if (m_thread.joinable())
            m_thread.join();
    }
    QStringList tail() const
    {
        QMutexLocker lock(&m_mutex);
        return m_tail;
    }

private:
    void run(int fd)
    {
        QByteArray pending;
        char buf[4096];
        while (true) {
            pollfd p{fd, POLLIN, 0};
            const int r = ::poll(&p, 1, 100);
            if (r < 0 && errno == EINTR)
                continue;
            if (r == 0) {
                if (m_stop)
                    break;
                continue;
            }
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break; // EOF: the server and all its children are gone
            pending.append(buf, n);
            qsizetype nl;
            while ((nl = pending.indexOf('\n')) >= 0) {
                line(QString::fromUtf8(pending.left(nl)));
                pending.remove(0, nl + 1);
            }
        }
        if (!pending.isEmpty())
            line(QString::fromUtf8(pending));
        ::close(fd);
    }
    void line(const QString &text)
    {
        const auto has = [&](const char *s) { return text.contains(QLatin1StringView(s)); };
        // Expected noise: connection attempts while starting, sessions ended by a shutdown.
        const bool routine = has("the database system is starting up") || has("the database system is shutting down")
                             || has("terminating connection due to administrator command");
        if ((has("FATAL:") || has("PANIC:")) && !routine)
            qCWarning(lcEmbedded).noquote() << text;
        else if (has("WARNING:"))
            qCInfo(lcEmbedded).noquote() << text;
        else
            qCDebug(lcEmbedded).noquote() << text; // LOG lines, and ERRORs the app reports itself
        QMutexLocker lock(&m_mutex);
        m_tail << text;
        if (m_tail.size() > kLogTailLines)
            m_tail.removeFirst();
    }

    std::thread m_thread;
    std::atomic_bool m_stop{false};
    mutable QMutex m_mutex;
    QStringList m_tail;
};

} // namespace

struct EmbeddedPostgres::Private {
    EmbeddedPostgresOptions options;
    QString clusterDir; // absolute
    QString socketDir;

    QMutex prepareMutex;  // one prepare() at a time
    mutable QMutex mutex; // guards the fields below
    bool prepared = false;
    QString binDir;
    QString password;
    QString serverVersion;
    detail::SystemUser user;

    QProcess *process = nullptr; // object's thread only
    std::atomic<qint64> pid{0};
    std::atomic<qint64> attachedPid{0}; // another process's postmaster we use (never stopped by us)
    std::atomic_bool stopping{false};
    LogPump log;

    QString tailText() const
    {
        const QStringList t = log.tail();
        return t.isEmpty() ? QStringLiteral("(no server output)") : t.mid(qMax(0, t.size() - 12)).join(u'\n');
    }
};

EmbeddedPostgres::EmbeddedPostgres(EmbeddedPostgresOptions options, QObject *parent)
    : QObject(parent), d(std::make_unique<Private>())
{
    d->options = std::move(options);
    d->clusterDir = d->options.clusterDir.isEmpty() ? QString() : QDir(d->options.clusterDir).absolutePath();
    d->socketDir = d->clusterDir + QStringLiteral("/run");
}

EmbeddedPostgres::~EmbeddedPostgres()
{
    (void)stop();
    d->log.finish();
}

Status EmbeddedPostgres::prepare(const QString &password)
{
    QMutexLocker serial(&d->prepareMutex);
    const EmbeddedPostgresOptions &o = d->options;
    if (d->clusterDir.isEmpty())
        return error(QStringLiteral("No cluster directory configured"));
    if (isRunning())
        return error(QStringLiteral("The embedded PostgreSQL server is running; stop it before prepare()"));
    if (password.isEmpty())
        return error(QStringLiteral("The embedded PostgreSQL superuser needs a password"));
    // sun_path is 108 bytes: PostgreSQL cannot create a socket in a deeper directory.
    const QString socketFile = d->socketDir + QStringLiteral("/.s.PGSQL.%1").arg(o.port);
    if (QFile::encodeName(socketFile).size() >= qsizetype(sizeof(sockaddr_un{}.sun_path)))
        return error(QStringLiteral("The cluster directory path %1 is too long for a Unix socket (%2 must stay "
                                    "under %3 bytes); choose a shorter path")
                         .arg(d->clusterDir, socketFile)
                         .arg(sizeof(sockaddr_un{}.sun_path)));

    auto binDir = locateBinDir(o.binDir);
    if (!binDir)
        return binDir.error();
    auto user = detail::resolveSystemUser(o.systemUser);
    if (!user)
        return user.error();
    detail::ChildSetup asUser;
    asUser.switchUser = user->switchUser;
    asUser.uid = user->uid;
    asUser.gid = user->gid;
    asUser.groups = user->groups;

    auto versionOut = runTool(*binDir + QStringLiteral("/postgres"), {QStringLiteral("--version")}, {}, 10000);
    if (!versionOut)
        return versionOut.error();
    static const QRegularExpression versionRx(QStringLiteral("\\(PostgreSQL\\)\\s+(\\d+(?:\\.\\d+)?)"));
    const QString version = versionRx.match(QString::fromLocal8Bit(*versionOut)).captured(1);
    const int major = QVersionNumber::fromString(version).majorVersion();

    if (Status s = detail::ensurePrivateDir(d->clusterDir, *user); !s)
        return s;
    if (Status s = detail::checkReachable(d->clusterDir, *user); !s)
        return s;

    const QString versionFile = d->clusterDir + QStringLiteral("/PG_VERSION");
    if (!QFileInfo::exists(versionFile)) {
        if (!QDir(d->clusterDir).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden))
            return error(QStringLiteral("%1 is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
                                        "choose an empty directory")
                             .arg(d->clusterDir));
        // initdb wants an empty directory, so the password file lives next to it (the system
        // user can reach that) or in the temp dir, and disappears right after.
        std::optional<QTemporaryDir> pwDir(std::in_place,
                                           QFileInfo(d->clusterDir).absolutePath() + QStringLiteral("/.bw-initdb-XXXXXX"));
        if (!pwDir->isValid())
            pwDir.emplace();
        if (!pwDir->isValid())
            return error(QStringLiteral("Cannot create a temporary directory for initdb: %1").arg(pwDir->errorString()));
        if (Status s = detail::ensurePrivateDir(pwDir->path(), *user); !s)
            return s;
        const QString pwFile = pwDir->filePath(QStringLiteral("pw"));
        if (Status s = detail::writePrivateFile(pwFile, password.toUtf8() + '\n', *user); !s)
            return s;
        QStringList args{QStringLiteral("-D"),
                         d->clusterDir,
                         QStringLiteral("-U"),
                         o.superuser,
                         QStringLiteral("--encoding=UTF8"),
                         QStringLiteral("--locale=C.UTF-8"),
                         QStringLiteral("--auth=scram-sha-256"),
                         QStringLiteral("--pwfile=") + pwFile,
                         QStringLiteral("--data-checksums"),
                         QStringLiteral("--no-instructions")};
        if (!o.durable)
            args << QStringLiteral("--no-sync");
        qCInfo(lcEmbedded).noquote() << "initialising a new PostgreSQL cluster in" << d->clusterDir;
        auto out = runTool(*binDir + QStringLiteral("/initdb"), args, asUser, 120000);
        QFile::remove(pwFile);
        if (!out)
            return out.error();
        qCDebug(lcEmbedded).noquote() << QString::fromLocal8Bit(*out);
    } else {
        if (Status s = detail::checkOwner(d->clusterDir, *user); !s)
            return s;
        QFile vf(versionFile);
        const int clusterMajor = vf.open(QIODevice::ReadOnly) ? vf.readAll().trimmed().toInt() : 0;
        if (clusterMajor != major)
            return error(QStringLiteral("The cluster in %1 was created by PostgreSQL %2, but the binaries in %3 are "
                                        "version %4; upgrade it with pg_upgrade or point binDir at version %2")
                             .arg(d->clusterDir)
                             .arg(clusterMajor)
                             .arg(*binDir)
                             .arg(major));
    }

    const QByteArray conf = configText(o, d->socketDir, hasStatStatements(*binDir));
    if (Status s = detail::writePrivateFile(d->clusterDir + u'/' + QLatin1StringView(kConfName), conf, *user); !s)
        return s;
    if (Status s = ensureIncluded(d->clusterDir); !s)
        return s;
    if (Status s = detail::ensurePrivateDir(d->socketDir, *user); !s)
        return s;
    if (Status s = detail::removeStalePidFile(d->clusterDir, 15000); !s)
        return s;

    QMutexLocker lock(&d->mutex);
    d->binDir = *binDir;
    d->password = password;
    d->serverVersion = version;
    d->user = *user;
    d->prepared = true;
    return success();
}

Status EmbeddedPostgres::start()
{
    if (QThread::currentThread() != thread())
        return error(QStringLiteral("EmbeddedPostgres::start() must run in the thread the object lives in"));
    if (isRunning())
        return success();
    detail::ChildSetup setup;
    QString binDir;
    {
        QMutexLocker lock(&d->mutex);
        if (!d->prepared)
            return error(QStringLiteral("EmbeddedPostgres::prepare() must succeed before start()"));
        binDir = d->binDir;
        setup.switchUser = d->user.switchUser;
        setup.uid = d->user.uid;
        setup.gid = d->user.gid;
        setup.groups = d->user.groups;
    }
    d->log.finish();

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return error(QStringLiteral("Cannot create a pipe for the server log"));
    setup.logFd = fds[1];
    setup.deathSignal = true;
    setup.parentPid = ::getpid();

    if (d->process) {
        // A server that died moments ago may still be our unreaped zombie: its pid then still
        // "exists" and the new postmaster refuses the socket lock file that names it. Reap it.
        if (d->process->state() != QProcess::NotRunning && !detail::processAlive(d->process->processId()))
            d->process->waitForFinished(2000);
        d->process->disconnect(this);
        d->process->deleteLater(); // we may be inside its finished() signal
        d->process = nullptr;
    }
    auto *p = new QProcess(this);
    p->setProgram(binDir + QStringLiteral("/postgres"));
    p->setArguments({QStringLiteral("-D"), d->clusterDir});
    p->setWorkingDirectory(d->clusterDir);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *var : {"PGDATA", "PGPORT", "PGHOST", "PGOPTIONS"})
        env.remove(QString::fromLatin1(var));
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    p->setProcessEnvironment(env);
    p->setStandardInputFile(QProcess::nullDevice());
    p->setStandardOutputFile(QProcess::nullDevice());
    p->setStandardErrorFile(QProcess::nullDevice());
    p->setChildProcessModifier([setup] { detail::applyInChild(setup); });
    connect(p, &QProcess::finished, this, [this, p](int exitCode, QProcess::ExitStatus status) {
        if (p != d->process)
            return;
        d->pid = 0;
        if (d->stopping)
            return;
        const QString reason = QStringLiteral("PostgreSQL exited unexpectedly (%1). Last server output:\n%2")
                                   .arg(status == QProcess::CrashExit ? QStringLiteral("crashed or killed")
                                                                      : QStringLiteral("exit code %1").arg(exitCode),
                                        d->tailText());
        qCWarning(lcEmbedded).noquote() << reason;
        Q_EMIT exitedUnexpectedly(reason);
    });
    d->stopping = false;
    d->process = p;
    p->start();
    const bool started = p->waitForStarted(10000);
    ::close(fds[1]);
    if (!started) {
        ::close(fds[0]);
        return error(QStringLiteral("Cannot start %1: %2").arg(p->program(), p->errorString()));
    }
    d->pid = p->processId();
    d->log.startReading(fds[0]);
    qCInfo(lcEmbedded).noquote() << "PostgreSQL started, pid" << d->pid.load() << "socket" << d->socketDir;
    return success();
}

Status EmbeddedPostgres::waitUntilReady(int timeoutMs)
{
    QString password;
    {
        QMutexLocker lock(&d->mutex);
        password = d->password;
    }
    const QByteArray host = QFile::encodeName(d->socketDir);
    const QByteArray port = QByteArray::number(d->options.port);
    const QByteArray user = d->options.superuser.toUtf8();
    const QByteArray pw = password.toUtf8();
    const char *keys[] = {"host", "port", "dbname", "user", "password", "connect_timeout", "application_name", nullptr};
    const char *values[] = {host.constData(),       port.constData(), "postgres", user.constData(), pw.constData(), "5",
                            "betterworld-embedded", nullptr};

    if (timeoutMs <= 0)
        timeoutMs = d->options.startTimeoutMs;
    QDeadlineTimer deadline(timeoutMs);
    while (true) {
        const PGPing ping = PQpingParams(keys, values, 0);
        if (ping == PQPING_OK)
            break;
        if (ping == PQPING_NO_ATTEMPT)
            return error(QStringLiteral("Invalid connection parameters for the embedded server"));
        if (!isRunning())
            return error(QStringLiteral("PostgreSQL is not running (it exited during startup, or start() was not "
                                        "called). Last server output:\n%1")
                             .arg(d->tailText()));
        if (deadline.hasExpired())
            return error(QStringLiteral("PostgreSQL did not accept connections within %1 ms. Last server output:\n%2")
                             .arg(timeoutMs)
                             .arg(d->tailText()));
        QThread::msleep(40);
    }

    PGconn *conn = PQconnectdbParams(keys, values, 0);
    const auto finish = qScopeGuard([conn] { PQfinish(conn); });
    if (PQstatus(conn) != CONNECTION_OK) {
        const QString msg = QString::fromUtf8(PQerrorMessage(conn)).trimmed();
        return error(msg.contains(QLatin1StringView("password authentication failed"))
                         ? QStringLiteral("The embedded server rejected the superuser password: it does not match the "
                                          "one %1 was initialised with (%2)")
                               .arg(d->clusterDir, msg)
                         : QStringLiteral("Cannot connect to the embedded server: %1").arg(msg));
    }
    if (const char *v = PQparameterStatus(conn, "server_version")) {
        QMutexLocker lock(&d->mutex);
        d->serverVersion = QString::fromUtf8(v).section(u' ', 0, 0);
    }

    const QByteArray db = d->options.database.toUtf8();
    const char *params[] = {db.constData()};
    PGresult *res = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, nullptr, params, nullptr, nullptr, 0);
    const bool queried = PQresultStatus(res) == PGRES_TUPLES_OK;
    const bool exists = queried && PQntuples(res) > 0;
    PQclear(res);
    if (!queried)
        return error(QStringLiteral("Cannot query pg_database: %1").arg(QString::fromUtf8(PQerrorMessage(conn))));
    if (!exists) {
        char *ident = PQescapeIdentifier(conn, db.constData(), size_t(db.size()));
        const QByteArray sql = QByteArray("CREATE DATABASE ") + ident;
        PQfreemem(ident);
        res = PQexec(conn, sql.constData());
        const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK
                        || qstrcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42P04") == 0; // created meanwhile
        const QString msg = QString::fromUtf8(PQresultErrorMessage(res)).trimmed();
        PQclear(res);
        if (!ok)
            return error(QStringLiteral("Cannot create database %1: %2").arg(d->options.database, msg));
        qCInfo(lcEmbedded) << "created database" << d->options.database;
    }
    return success();
}

Status EmbeddedPostgres::stop(int timeoutMs)
{
    const qint64 pid = d->pid.load();
    const bool own = QThread::currentThread() == thread() && d->process;
    if (pid <= 0 || !detail::processAlive(pid)) {
        if (own && d->process->state() != QProcess::NotRunning) {
            d->stopping = true;
            d->process->waitForFinished(1000); // reap the zombie
        }
        d->pid = 0;
        d->log.finish();
        return success();
    }
    d->stopping = true;
    auto waitGone = [&](int ms) {
        if (own)
            return d->process->waitForFinished(ms) || d->process->state() == QProcess::NotRunning;
        QDeadlineTimer deadline(ms);
        while (detail::processAlive(pid) && !deadline.hasExpired())
            QThread::msleep(20);
        return !detail::processAlive(pid);
    };
    ::kill(pid_t(pid), SIGINT); // fast shutdown: abort sessions, checkpoint, exit
    if (!waitGone(timeoutMs)) {
        qCWarning(lcEmbedded) << "PostgreSQL did not stop within" << timeoutMs << "ms; killing it";
        ::kill(pid_t(pid), SIGKILL);
        if (!waitGone(5000))
            return error(QStringLiteral("PostgreSQL (pid %1) did not exit even after SIGKILL").arg(pid));
    }
    d->pid = 0;
    d->log.finish();
    qCInfo(lcEmbedded) << "PostgreSQL stopped";
    return success();
}

bool EmbeddedPostgres::isRunning() const
{
    return detail::processAlive(d->pid.load()) || detail::processAlive(d->attachedPid.load());
}

std::optional<EmbeddedPostgres::RunningServer> EmbeddedPostgres::findRunning(const QString &clusterDir)
{
    const auto live = detail::livePostmaster(QDir(clusterDir).absolutePath());
    if (!live || live->status == u"stopping" || live->parentPid == 1) // 1: orphaned, about to stop
        return std::nullopt;
    return RunningServer{.postmasterPid = live->pid, .ownerPid = live->parentPid};
}

void EmbeddedPostgres::attach(const RunningServer &server, const QString &password)
{
    QMutexLocker lock(&d->mutex);
    d->password = password;
    d->attachedPid = server.postmasterPid;
}

bool EmbeddedPostgres::isAttached() const
{
    return d->attachedPid.load() != 0;
}

qint64 EmbeddedPostgres::processId() const
{
    const qint64 pid = d->pid.load();
    return detail::processAlive(pid) ? pid : 0;
}

ConnectionSettings EmbeddedPostgres::connectionSettings(const QString &password) const
{
    ConnectionSettings s;
    s.host = d->socketDir;
    s.port = d->options.port;
    s.user = d->options.superuser;
    s.password = password;
    s.database = d->options.database;
    return s;
}

QString EmbeddedPostgres::serverVersion() const
{
    QMutexLocker lock(&d->mutex);
    return d->serverVersion;
}

QString EmbeddedPostgres::socketDir() const
{
    return d->socketDir;
}

const EmbeddedPostgresOptions &EmbeddedPostgres::options() const
{
    return d->options;
}

} // namespace bw::db
