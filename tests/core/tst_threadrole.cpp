// Thread names and the SQL-thread check (server/core/threadrole.h): names reach the kernel (cut
// at 15 characters), roles are per thread, and SQL on the GUI or an HTTP I/O thread aborts the
// process — proven by running this executable as a child that does exactly that.
#include "server/core/threadrole.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QFile>
#include <QProcess>
#include <QTest>

#include <cstring>
#include <thread>

#include <sys/resource.h>

using namespace bw;

namespace {

QByteArray commOfThisThread()
{
    QFile comm(QStringLiteral("/proc/thread-self/comm"));
    return comm.open(QIODevice::ReadOnly) ? comm.readAll().trimmed() : QByteArray();
}

// Child mode: `tst_threadrole --violate <gui|io> <exec|transaction|connection>`. With the check on
// it never returns; without it, exit code 3 says the SQL call went through.
int violate(const char *role, const char *entry)
{
    const rlimit noCore{0, 0};
    setrlimit(RLIMIT_CORE, &noCore); // an expected abort needs no core file
    setCurrentThreadRole(std::strcmp(role, "gui") == 0 ? ThreadRole::Gui : ThreadRole::HttpIo);
    if (std::strcmp(entry, "exec") == 0) {
        (void)db::exec(QSqlDatabase(), QStringLiteral("SELECT 1")); // invalid handle: no server needed
    } else if (std::strcmp(entry, "transaction") == 0) {
        db::Transaction tx{QSqlDatabase()};
    } else {
        db::ConnectionSettings nowhere;
        nowhere.host = QStringLiteral("/nonexistent-bw-socket-dir");
        db::Database database(nowhere);
        (void)database.connection();
        database.releaseThisThread();
    }
    return 3;
}

struct ChildRun {
    QProcess::ExitStatus status = QProcess::NormalExit;
    int code = -1;
    QByteArray stderrText;
};

ChildRun runChild(const QStringList &args, const QString &checksEnv)
{
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("BW_THREAD_CHECKS"), checksEnv);
    env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("*.debug=false"));
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), QStringList{QStringLiteral("--violate")} + args);
    if (!child.waitForFinished(30000))
        child.kill();
    return {child.exitStatus(), child.exitCode(), child.readAllStandardError()};
}

} // namespace

class tst_ThreadRole : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void namesReachTheKernel();
    void rolesArePerThread();
    void sqlAllowedOnOtherThreads();
    void sqlOnForbiddenThreadAborts_data();
    void sqlOnForbiddenThreadAborts();
    void checksCanBeSwitchedOff();
};

void tst_ThreadRole::namesReachTheKernel()
{
    QByteArray shortName, longName;
    std::thread([&] {
        setCurrentThreadName("bw-test");
        shortName = commOfThisThread();
        setCurrentThreadName("bw-a-name-longer-than-fifteen");
        longName = commOfThisThread();
    }).join();
    QCOMPARE(shortName, QByteArray("bw-test"));
    QCOMPARE(longName, QByteArray("bw-a-name-longe")); // Linux keeps 15 characters
}

void tst_ThreadRole::rolesArePerThread()
{
    QVERIFY(currentThreadRole() == ThreadRole::Other);
    ThreadRole seenThere = ThreadRole::Gui;
    setCurrentThreadRole(ThreadRole::HttpIo);
    std::thread([&] { seenThere = currentThreadRole(); }).join();
    QVERIFY(currentThreadRole() == ThreadRole::HttpIo);
    setCurrentThreadRole(ThreadRole::Other);
    QVERIFY(seenThere == ThreadRole::Other);
}

void tst_ThreadRole::sqlAllowedOnOtherThreads()
{
    setThreadChecksEnabled(true);
    auto r = db::exec(QSqlDatabase(), QStringLiteral("SELECT 1"));
    QVERIFY(!r);
    QCOMPARE(db::sqlState(r.error()), QStringLiteral("08003")); // reached exec()'s own checks
}

void tst_ThreadRole::sqlOnForbiddenThreadAborts_data()
{
    QTest::addColumn<QString>("role");
    QTest::addColumn<QString>("entry");
    QTest::addColumn<QString>("where");
    QTest::addColumn<QString>("roleText");
    // clang-format off
    QTest::newRow("gui exec") << "gui" << "exec" << "bw::db::exec()" << "GUI";
    QTest::newRow("io exec") << "io" << "exec" << "bw::db::exec()" << "HTTP I/O";
    QTest::newRow("gui transaction") << "gui" << "transaction" << "bw::db::Transaction" << "GUI";
    QTest::newRow("io transaction") << "io" << "transaction" << "bw::db::Transaction" << "HTTP I/O";
    QTest::newRow("gui connection") << "gui" << "connection" << "bw::db::Database::connection()" << "GUI";
    QTest::newRow("io connection") << "io" << "connection" << "bw::db::Database::connection()" << "HTTP I/O";
    // clang-format on
}

void tst_ThreadRole::sqlOnForbiddenThreadAborts()
{
    QFETCH(QString, role);
    QFETCH(QString, entry);
    QFETCH(QString, where);
    QFETCH(QString, roleText);
    const ChildRun run = runChild({role, entry}, QStringLiteral("1"));
    QVERIFY2(run.status == QProcess::CrashExit, run.stderrText.constData()); // abort(), not a return
    QVERIFY2(run.stderrText.contains(QStringLiteral("thread check: %1 on the %2 thread").arg(where, roleText).toUtf8()),
             run.stderrText.constData());
}

void tst_ThreadRole::checksCanBeSwitchedOff()
{
    const ChildRun run = runChild({QStringLiteral("io"), QStringLiteral("exec")}, QStringLiteral("0"));
    QCOMPARE(run.status, QProcess::NormalExit);
    QCOMPARE(run.code, 3);
}

int main(int argc, char *argv[])
{
    if (argc == 4 && std::strcmp(argv[1], "--violate") == 0) {
        QCoreApplication app(argc, argv);
        return violate(argv[2], argv[3]);
    }
    QCoreApplication app(argc, argv);
    tst_ThreadRole test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_threadrole.moc"
