// Database: one connection per thread, session settings, reconnect after a server restart.

#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"
#include "tests/support/testdb.h"

#include <QElapsedTimer>
#include <QSemaphore>
#include <QSqlDriver>
#include <QTest>
#include <QThread>

#include <memory>
#include <thread>

using namespace bw;
using namespace bw::db;

using bw::test::scalar;

class tst_Database final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void sameThreadSameConnection();
    void perThreadConnectionsAreDistinct();
    void threadExitRemovesForgottenConnection();
    void sessionSettingsAreApplied();
    void statementTimeoutIsEnforced();
    void pingReportsUnreachableServer();
    void reconnectsAfterServerRestart();
    void noSilentReconnectInsideTransaction();

private:
    test::PgFixture m_pg;
    QString m_db;
};

void tst_Database::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    m_db = m_pg.createDatabase();
    QVERIFY(!m_db.isEmpty());
}

void tst_Database::sameThreadSameConnection()
{
    Database database(m_pg.settings(m_db));
    QSqlDatabase a = database.connection();
    QSqlDatabase b = database.connection();
    QVERIFY(a.isOpen());
    QCOMPARE(a.connectionName(), b.connectionName());
    QCOMPARE(scalar(a, QStringLiteral("SELECT pg_backend_pid()")), scalar(b, QStringLiteral("SELECT pg_backend_pid()")));
    QVERIFY(database.ping());
    QCOMPARE(database.settings().database, m_db);

    // Two Database objects never share a connection, even on one thread.
    Database other(m_pg.settings(m_db));
    QVERIFY(other.connection().connectionName() != a.connectionName());
    a = b = QSqlDatabase();
    database.releaseThisThread();
    other.releaseThisThread();
    QVERIFY(!QSqlDatabase::contains(database.connectionName()));
}

void tst_Database::perThreadConnectionsAreDistinct()
{
    Database database(m_pg.settings(m_db));
    struct Seen {
        QString name;
        qlonglong backendPid = 0;
        bool ownedByThread = false;
    };
    Seen seen[2];
    QSemaphore bothConnected;
    QSemaphore mayFinish;
    auto work = [&](int i) {
        {
            QSqlDatabase db = database.connection();
            seen[i].name = db.connectionName();
            seen[i].backendPid = scalar(db, QStringLiteral("SELECT pg_backend_pid()")).toLongLong();
            seen[i].ownedByThread = db.driver()->thread() == QThread::currentThread();
        }
        bothConnected.release();
        mayFinish.acquire(); // keep both connections alive at the same time
        database.releaseThisThread();
    };
    // std::thread, not QThread: join() is a pthread_join that ThreadSanitizer sees, so reading `seen`
    // afterwards is ordered; QThread::wait() synchronises inside uninstrumented libQt6Core.
    std::thread t0(work, 0);
    std::thread t1(work, 1);
    const bool connected = bothConnected.tryAcquire(2, 20000);
    mayFinish.release(2);
    t0.join();
    t1.join();
    QVERIFY(connected);

    QVERIFY(!seen[0].name.isEmpty());
    QVERIFY(seen[0].name != seen[1].name);
    QVERIFY(seen[0].backendPid > 0 && seen[1].backendPid > 0);
    QVERIFY(seen[0].backendPid != seen[1].backendPid);
    QVERIFY(seen[0].ownedByThread && seen[1].ownedByThread);
    QVERIFY(seen[0].name != database.connectionName()); // the main thread has its own
    QVERIFY(!QSqlDatabase::contains(seen[0].name));
    QVERIFY(!QSqlDatabase::contains(seen[1].name));
}

void tst_Database::threadExitRemovesForgottenConnection()
{
    Database database(m_pg.settings(m_db));
    QString name;
    std::thread t([&] {
        name = database.connection().connectionName();
        (void)scalar(database.connection(), QStringLiteral("SELECT 1"));
        // no releaseThisThread(): the thread-exit safety net must clean up
    });
    t.join(); // thread_local destructors have run once the OS thread is joined
    QVERIFY(!name.isEmpty());
    QVERIFY(!QSqlDatabase::contains(name));
}

void tst_Database::sessionSettingsAreApplied()
{
    ConnectionSettings s = m_pg.settings(m_db);
    s.statementTimeoutMs = 1234;
    s.idleInTransactionTimeoutMs = 4321;
    s.applicationName = QStringLiteral("bw test's app");
    Database database(s);
    QSqlDatabase db = database.connection();
    QCOMPARE(scalar(db, QStringLiteral("SHOW statement_timeout")).toString(), QStringLiteral("1234ms"));
    QCOMPARE(scalar(db, QStringLiteral("SHOW idle_in_transaction_session_timeout")).toString(), QStringLiteral("4321ms"));
    QCOMPARE(scalar(db, QStringLiteral("SHOW application_name")).toString(), QStringLiteral("bw test's app"));
    db = QSqlDatabase();
    database.releaseThisThread();

    Database defaults(m_pg.settings(m_db));
    QCOMPARE(scalar(defaults.connection(), QStringLiteral("SHOW statement_timeout")).toString(), QStringLiteral("5s"));
    QCOMPARE(scalar(defaults.connection(), QStringLiteral("SHOW application_name")).toString(), QStringLiteral("betterworld"));
    defaults.releaseThisThread();
}

void tst_Database::statementTimeoutIsEnforced()
{
    ConnectionSettings s = m_pg.settings(m_db);
    s.statementTimeoutMs = 200;
    Database database(s);
    QElapsedTimer timer;
    timer.start();
    {
        auto r = exec(database.connection(), QStringLiteral("SELECT pg_sleep(3)"));
        QVERIFY(!r);
        QCOMPARE(sqlState(r.error()), QString::fromLatin1(kQueryCanceled));
        QVERIFY2(r.error().message.contains(QLatin1StringView("statement timeout")), qPrintable(r.error().message));
    }
    QVERIFY(timer.elapsed() < 2500);
    QVERIFY(database.ping()); // the connection is still usable
    database.releaseThisThread();
}

void tst_Database::pingReportsUnreachableServer()
{
    ConnectionSettings s = m_pg.settings(m_db);
    s.host = QStringLiteral("/nonexistent/socket/dir");
    Database database(s);
    const Status st = database.ping();
    QVERIFY(!st);
    QCOMPARE(st.error().kind, ErrorKind::ServiceUnavailable); // 503 + retry, not a 500
    QCOMPARE(sqlState(st.error()), QStringLiteral("08001"));
    QVERIFY(!st.error().message.isEmpty());
    database.releaseThisThread();
}

void tst_Database::reconnectsAfterServerRestart()
{
    ConnectionSettings s = m_pg.settings(m_db);
    s.statementTimeoutMs = 2345;
    Database database(s);
    const qlonglong before = scalar(database.connection(), QStringLiteral("SELECT pg_backend_pid()")).toLongLong();
    QVERIFY(before > 0);

    const Status restarted = m_pg.restart();
    QVERIFY2(restarted, qPrintable(restarted ? QString() : restarted.error().message));

    // The old connection is dead, but exec() reconnects once and the caller never notices.
    QSqlDatabase db = database.connection();
    auto r = exec(db, QStringLiteral("SELECT pg_backend_pid()"));
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
    QVERIFY(r->next());
    QVERIFY(r->value(0).toLongLong() != before);
    // Session settings survive the reconnect.
    QCOMPARE(scalar(db, QStringLiteral("SHOW statement_timeout")).toString(), QStringLiteral("2345ms"));
    db = QSqlDatabase();
    r = ApiError::internal(QString()); // release the query before releasing the connection
    database.releaseThisThread();
}

void tst_Database::noSilentReconnectInsideTransaction()
{
    Database database(m_pg.settings(m_db));
    {
        QSqlDatabase db = database.connection();
        QVERIFY(exec(db, QStringLiteral("CREATE TABLE tx_probe (v int)")));
        Transaction tx(db);
        QVERIFY(tx.begin_status());
        QVERIFY(exec(db, QStringLiteral("INSERT INTO tx_probe VALUES (1)")));
        QVERIFY(m_pg.restart());
        // Reconnecting here would run the rest of the "transaction" in autocommit mode.
        auto r = exec(db, QStringLiteral("INSERT INTO tx_probe VALUES (2)"));
        QVERIFY(!r);
        QVERIFY(sqlState(r.error()).startsWith(QLatin1StringView("08")) || sqlState(r.error()) == QLatin1StringView("57P01"));
        QVERIFY(!tx.commit());
    }
    // Once the transaction is gone, the connection recovers.
    QCOMPARE(scalar(database.connection(), QStringLiteral("SELECT count(*) FROM tx_probe")).toInt(), 0);
    database.releaseThisThread();
}

QTEST_GUILESS_MAIN(tst_Database)
#include "tst_database.moc"
