// EmbeddedPostgres: first run (initdb), restart on an existing cluster, recovery after the
// postmaster was SIGKILLed, and the error messages for broken setups.

#include "server/db/database.h"
#include "server/db/embeddedpostgres.h"
#include "server/db/sql.h"
#include "tests/support/testdb.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace bw;
using namespace bw::db;

namespace {
const QString kPassword = QStringLiteral("s3cret'pw\\x");

QString errorText(const Status &s)
{
    return s ? QString() : s.error().message;
}
} // namespace

class tst_EmbeddedPostgres final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void startBeforePrepareFails();
    void missingBinDirNamesPackage();
    void firstRunInitdbStartConnect();
    void restartOnExistingCluster();
    void recoversAfterSigkill();
    void foreignPidInPidFileIsStale();
    void wrongPasswordIsExplained();
    void nonEmptyDirectoryIsRefused();
    void unreachableDirectoryIsExplained();

private:
    EmbeddedPostgresOptions options() const;
    // Runs a query through our own Database/exec, the way the app does.
    QVariant scalar(const ConnectionSettings &s, const QString &sql);

    QTemporaryDir m_tmp;
};

void tst_EmbeddedPostgres::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    QFile::setPermissions(m_tmp.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                            | QFileDevice::ExeGroup | QFileDevice::ExeOther);
}

EmbeddedPostgresOptions tst_EmbeddedPostgres::options() const
{
    EmbeddedPostgresOptions o;
    o.clusterDir = m_tmp.filePath(QStringLiteral("cluster"));
    o.durable = false;
    o.sharedBuffers = QStringLiteral("16MB");
    return o;
}

QVariant tst_EmbeddedPostgres::scalar(const ConnectionSettings &s, const QString &sql)
{
    return bw::test::scalar(s, sql);
}

void tst_EmbeddedPostgres::startBeforePrepareFails()
{
    EmbeddedPostgres pg(options());
    QVERIFY(!pg.start());
    QVERIFY(!pg.isRunning());
    QVERIFY(pg.stop()); // nothing to stop is fine
}

void tst_EmbeddedPostgres::missingBinDirNamesPackage()
{
    EmbeddedPostgresOptions o = options();
    o.binDir = m_tmp.filePath(QStringLiteral("no-such-bin"));
    EmbeddedPostgres pg(o);
    const Status s = pg.prepare(kPassword);
    QVERIFY(!s);
    QVERIFY2(s.error().message.contains(QLatin1StringView("\"postgresql-15\"")), qPrintable(s.error().message));
    QVERIFY(s.error().message.contains(o.binDir));
    QVERIFY(!QFileInfo::exists(o.clusterDir)); // failed before touching anything
}

void tst_EmbeddedPostgres::firstRunInitdbStartConnect()
{
    EmbeddedPostgres pg(options());
    const QString dir = pg.options().clusterDir;
    Status s = pg.prepare(kPassword);
    QVERIFY2(s, qPrintable(errorText(s)));
    QVERIFY(QFileInfo::exists(dir + QStringLiteral("/PG_VERSION")));
    QVERIFY(QFileInfo::exists(dir + QStringLiteral("/betterworld.conf")));
    QVERIFY(pg.serverVersion().startsWith(QLatin1StringView("15")));
    // The initdb password file is gone.
    QCOMPARE(QDir(m_tmp.path()).entryList({QStringLiteral(".bw-initdb-*")}, QDir::AllEntries | QDir::Hidden).size(), 0);

    struct stat st {};
    QCOMPARE(::stat(QFile::encodeName(dir).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0700u);
    QCOMPARE(::stat(QFile::encodeName(pg.socketDir()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0700u);
    if (::geteuid() == 0) {
        const passwd *pw = ::getpwnam("postgres");
        QVERIFY(pw);
        QCOMPARE(st.st_uid, pw->pw_uid);
    }

    QSignalSpy unexpected(&pg, &EmbeddedPostgres::exitedUnexpectedly);
    s = pg.start();
    QVERIFY2(s, qPrintable(errorText(s)));
    s = pg.waitUntilReady(30000);
    QVERIFY2(s, qPrintable(errorText(s)));
    QVERIFY(pg.isRunning());
    QVERIFY(pg.processId() > 0);

    const ConnectionSettings cs = pg.connectionSettings(kPassword);
    QCOMPARE(cs.host, pg.socketDir());
    QCOMPARE(cs.database, QStringLiteral("betterworld"));
    QCOMPARE(scalar(cs, QStringLiteral("SELECT current_user")).toString(), QStringLiteral("betterworld"));
    QCOMPARE(scalar(cs, QStringLiteral("SELECT current_database()")).toString(), QStringLiteral("betterworld"));
    QCOMPARE(scalar(cs, QStringLiteral("SHOW listen_addresses")).toString(), QString());
    QCOMPARE(scalar(cs, QStringLiteral("SHOW server_encoding")).toString(), QStringLiteral("UTF8"));
    QCOMPARE(scalar(cs, QStringLiteral("SHOW shared_preload_libraries")).toString(), QStringLiteral("pg_stat_statements"));
    QVERIFY(pg.serverVersion().startsWith(QLatin1StringView("15.")));
    QVERIFY(scalar(cs, QStringLiteral("CREATE TABLE survivor AS SELECT 42 AS answer")).isNull());

    // A wrong password is rejected: scram-sha-256 is really on, even over the socket.
    ConnectionSettings wrong = cs;
    wrong.password = QStringLiteral("nope");
    Database bad(wrong);
    QVERIFY(!bad.ping());
    bad.releaseThisThread();

    s = pg.stop();
    QVERIFY2(s, qPrintable(errorText(s)));
    QVERIFY(!pg.isRunning());
    QVERIFY(pg.stop()); // twice is fine
    QCOMPARE(unexpected.count(), 0);
    QVERIFY(!QFileInfo::exists(dir + QStringLiteral("/postmaster.pid")));
}

void tst_EmbeddedPostgres::restartOnExistingCluster()
{
    EmbeddedPostgres pg(options());
    Status s = pg.prepare(kPassword);
    QVERIFY2(s, qPrintable(errorText(s)));
    QVERIFY(pg.start());
    s = pg.waitUntilReady(30000);
    QVERIFY2(s, qPrintable(errorText(s)));
    QCOMPARE(scalar(pg.connectionSettings(kPassword), QStringLiteral("SELECT answer FROM survivor")).toInt(), 42);
    // The include line is added once, not at every start.
    QFile conf(pg.options().clusterDir + QStringLiteral("/postgresql.conf"));
    QVERIFY(conf.open(QIODevice::ReadOnly));
    QCOMPARE(conf.readAll().count("include_if_exists = 'betterworld.conf'"), 1);
    // Destructor stops it.
}

void tst_EmbeddedPostgres::recoversAfterSigkill()
{
    EmbeddedPostgres pg(options());
    QVERIFY(pg.prepare(kPassword));
    QVERIFY(pg.start());
    QVERIFY(pg.waitUntilReady(30000));
    const ConnectionSettings cs = pg.connectionSettings(kPassword);
    QVERIFY(scalar(cs, QStringLiteral("INSERT INTO survivor VALUES (43)")).isNull());

    QSignalSpy unexpected(&pg, &EmbeddedPostgres::exitedUnexpectedly);
    const qint64 pid = pg.processId();
    QVERIFY(pid > 0);
    QCOMPARE(::kill(pid_t(pid), SIGKILL), 0);
    QTRY_COMPARE_WITH_TIMEOUT(unexpected.count(), 1, 10000);
    QVERIFY(unexpected.at(0).at(0).toString().contains(QLatin1StringView("exited unexpectedly")));
    QVERIFY(!pg.isRunning());
    QVERIFY(QFileInfo::exists(pg.options().clusterDir + QStringLiteral("/postmaster.pid"))); // stale now

    Status s = pg.prepare(kPassword);
    QVERIFY2(s, qPrintable(errorText(s)));
    QVERIFY(pg.start());
    s = pg.waitUntilReady(30000);
    QVERIFY2(s, qPrintable(errorText(s)));
    QCOMPARE(scalar(cs, QStringLiteral("SELECT sum(answer) FROM survivor")).toInt(), 85); // crash recovery kept it
    QVERIFY(pg.stop());
    QCOMPARE(unexpected.count(), 1);
}

void tst_EmbeddedPostgres::foreignPidInPidFileIsStale()
{
    // After a reboot the pid in postmaster.pid often belongs to some other process.
    const QString pidFile = options().clusterDir + QStringLiteral("/postmaster.pid");
    {
        QFile f(pidFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray::number(QCoreApplication::applicationPid()) + "\n" + QFile::encodeName(options().clusterDir) + "\n");
    }
    EmbeddedPostgres pg(options());
    Status s = pg.prepare(kPassword);
    QVERIFY2(s, qPrintable(errorText(s)));
    QVERIFY(!QFileInfo::exists(pidFile));
    QVERIFY(pg.start());
    s = pg.waitUntilReady(30000);
    QVERIFY2(s, qPrintable(errorText(s)));

    // While it runs, a second instance on the same directory is refused.
    EmbeddedPostgres second(options());
    s = second.prepare(kPassword);
    QVERIFY(!s);
    QVERIFY2(s.error().message.contains(QLatin1StringView("already running")), qPrintable(s.error().message));
    QVERIFY(pg.stop());
}

void tst_EmbeddedPostgres::wrongPasswordIsExplained()
{
    EmbeddedPostgres pg(options());
    QVERIFY(pg.prepare(QStringLiteral("not-the-password")));
    QVERIFY(pg.start());
    const Status s = pg.waitUntilReady(30000);
    QVERIFY(!s);
    QVERIFY2(s.error().message.contains(QLatin1StringView("password")), qPrintable(s.error().message));
    QVERIFY(pg.stop());
}

void tst_EmbeddedPostgres::nonEmptyDirectoryIsRefused()
{
    EmbeddedPostgresOptions o = options();
    o.clusterDir = m_tmp.filePath(QStringLiteral("junk"));
    QVERIFY(QDir().mkpath(o.clusterDir));
    QFile f(o.clusterDir + QStringLiteral("/something.txt"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    EmbeddedPostgres pg(o);
    const Status s = pg.prepare(kPassword);
    QVERIFY(!s);
    QVERIFY2(s.error().message.contains(QLatin1StringView("not empty")), qPrintable(s.error().message));
}

void tst_EmbeddedPostgres::unreachableDirectoryIsExplained()
{
    if (::geteuid() != 0)
        QSKIP("only meaningful as root (the cluster then runs as 'postgres')");
    QTemporaryDir privateDir; // 0700 root, like /root
    QVERIFY(privateDir.isValid());
    EmbeddedPostgresOptions o = options();
    o.clusterDir = privateDir.filePath(QStringLiteral("cluster"));
    EmbeddedPostgres pg(o);
    const Status s = pg.prepare(kPassword);
    QVERIFY(!s);
    QVERIFY2(s.error().message.contains(QLatin1StringView("not reachable")), qPrintable(s.error().message));
    QVERIFY(s.error().message.contains(privateDir.path()));
}

QTEST_GUILESS_MAIN(tst_EmbeddedPostgres)
#include "tst_embeddedpostgres.moc"
