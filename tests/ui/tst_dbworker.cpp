// DbWorker: closures run off the GUI thread, results arrive on it, and are dropped when the
// receiving object is gone; the thread-finished hook (the connection release) runs on the worker
// thread as it ends.
#include "ui/common/dbworker.h"

#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"

#include <QSqlQuery>
#include <QTest>
#include <QThread>

#include <atomic>
#include <memory>

class tst_DbWorker final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void runsOffTheGuiThreadAndDeliversOnIt();
    void dropsResultsForDeletedContext();
    void keepsSubmissionOrder();
    void releasesOnTheWorkerThreadWhenDestroyed();

private:
    bw::test::PgFixture m_pg;
    QString m_dbName;
};

void tst_DbWorker::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    m_dbName = m_pg.createDatabase();
    QVERIFY(!m_dbName.isEmpty());
}

void tst_DbWorker::runsOffTheGuiThreadAndDeliversOnIt()
{
    bw::db::Database database(m_pg.settings(m_dbName));
    bw::ui::DbWorker worker([&database] { database.releaseThisThread(); });
    QThread *workThread = nullptr;
    QThread *doneThread = nullptr;
    int answer = 0;
    worker.submit(
        this,
        [&workThread, &database] {
            workThread = QThread::currentThread();
            auto q = bw::db::exec(database.connection(), QStringLiteral("SELECT 40 + 2"));
            return q && q->next() ? q->value(0).toInt() : -1;
        },
        [&](int value) {
            doneThread = QThread::currentThread();
            answer = value;
        });
    QCOMPARE(worker.pending(), 1);
    QTRY_COMPARE(answer, 42);
    QVERIFY(workThread && workThread != thread());
    QCOMPARE(doneThread, thread());
    QCOMPARE(worker.pending(), 0);
}

void tst_DbWorker::dropsResultsForDeletedContext()
{
    bw::db::Database database(m_pg.settings(m_dbName));
    bw::ui::DbWorker worker([&database] { database.releaseThisThread(); });
    auto receiver = std::make_unique<QObject>();
    std::atomic_bool ran{false};
    bool delivered = false;
    worker.submit(
        receiver.get(),
        [&ran, &database] {
            auto q = bw::db::exec(database.connection(), QStringLiteral("SELECT pg_sleep(0.2)"));
            ran = true;
            return q.ok();
        },
        [&delivered](bool) { delivered = true; });
    receiver.reset(); // the panel goes away while the query runs
    QTRY_VERIFY(ran.load());
    QTRY_COMPARE(worker.pending(), 0);
    QVERIFY(!delivered);
}

void tst_DbWorker::keepsSubmissionOrder()
{
    bw::ui::DbWorker worker({});
    QList<int> seen;
    for (int i = 0; i < 5; ++i)
        worker.submit(
            this, [i] { return i; }, [&seen](int v) { seen.append(v); });
    QTRY_COMPARE(seen.size(), 5);
    QCOMPARE(seen, (QList<int>{0, 1, 2, 3, 4}));
}

void tst_DbWorker::releasesOnTheWorkerThreadWhenDestroyed()
{
    QThread *workThread = nullptr;
    QThread *releaseThread = nullptr;
    int releases = 0;
    {
        bw::ui::DbWorker worker([&] {
            releaseThread = QThread::currentThread();
            ++releases;
        });
        bool done = false;
        worker.submit(
            this,
            [&workThread] {
                workThread = QThread::currentThread();
                return true;
            },
            [&done](bool) { done = true; });
        QTRY_VERIFY(done);
        QCOMPARE(releases, 0); // not after each closure: the connection stays open for the next one
    }                          // joins the thread
    QCOMPARE(releases, 1);
    QVERIFY(workThread && workThread != thread());
    QCOMPARE(releaseThread, workThread);
}

QTEST_MAIN(tst_DbWorker)
#include "tst_dbworker.moc"
