// JobStore + enqueue() against a real PostgreSQL: claims (order, SKIP LOCKED, fencing), retries,
// dead letter, rescue of expired leases, redrive/cancel, unique keys, NOTIFY on insert, schedules'
// compare-and-set, the leader's advisory lock, listing and pruning.

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/jobs/jobstore.h"
#include "tests/support/pgfixture.h"
#include "tests/support/testdb.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlDriver>
#include <QTest>

#include <memory>

using namespace bw;
using namespace bw::jobs;

// QVERIFY2 evaluates its message even on success; error() of a successful Result throws.
#define QVERIFY_OK(result) QVERIFY2((result).ok(), (result).ok() ? "" : qPrintable((result).error().message))

class tst_JobStore final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void enqueueAndClaim();
    void payloadRoundTrips_data();
    void payloadRoundTrips();
    void enqueueValidates();
    void claimOrder();
    void claimSkipsLockedRows();
    void enqueueJoinsCallerTransaction();
    void uniqueKeys();
    void retryAndDiscard();
    void fencingAfterLeaseLoss();
    void rescueExpiredLeases();
    void extendAndRelease();
    void redriveAndCancel();
    void listAndCounts();
    void pruneFinished();
    void notifyOnInsert();
    void schedulesCompareAndSet();
    void leadershipIsExclusive();

private:
    QSqlDatabase conn() { return m_db->connection(); }
    QVariant scalar(const QString &sql);
    QString insertRunning(const QString &queue, int attempts, int maxAttempts, const QString &lockedUntil);

    test::PgFixture m_pg;
    QString m_name;
    std::unique_ptr<db::Database> m_db;
};

void tst_JobStore::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    m_name = m_pg.createMigratedDatabase();
    QVERIFY(!m_name.isEmpty());
    m_db = std::make_unique<db::Database>(m_pg.settings(m_name));
}

void tst_JobStore::init()
{
    QVERIFY(db::exec(conn(), QStringLiteral("DELETE FROM jobs")).ok());
    QVERIFY(db::exec(conn(), QStringLiteral("DELETE FROM job_schedules")).ok());
}

QVariant tst_JobStore::scalar(const QString &sql)
{
    return test::scalar(conn(), sql);
}

QString tst_JobStore::insertRunning(const QString &queue, int attempts, int maxAttempts, const QString &lockedUntil)
{
    auto r = db::exec(
        conn(),
        QStringLiteral("INSERT INTO jobs (queue, kind, state, attempts, max_attempts, locked_by, locked_until, started_at)"
                       " VALUES (?, 'k', 'running', ?, ?, 'ghost-node', %1, now()) RETURNING id")
            .arg(lockedUntil),
        {queue, attempts, maxAttempts});
    return r && r->next() ? r->value(0).toString() : QString();
}

void tst_JobStore::enqueueAndClaim()
{
    auto id = enqueue(conn(), QStringLiteral("q"), QStringLiteral("work"), QJsonObject{{"n", 7}});
    QVERIFY_OK(id);
    QVERIFY(ids::isUuid(*id));
    QCOMPARE(scalar(QStringLiteral("SELECT state FROM jobs")).toString(), QStringLiteral("available"));

    auto none = JobStore::claim(conn(), QStringLiteral("other"), QStringLiteral("n1"), 30);
    QVERIFY_OK(none);
    QVERIFY(!none->has_value());
    auto claimed = JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n1"), 30);
    QVERIFY_OK(claimed);
    QVERIFY(claimed->has_value());
    const Job job = **claimed;
    QCOMPARE(job.id, *id);
    QCOMPARE(job.queue, QStringLiteral("q"));
    QCOMPARE(job.kind, QStringLiteral("work"));
    QCOMPARE(job.payload.value("n").toInt(), 7);
    QCOMPARE(job.attempts, 1);
    QCOMPARE(job.maxAttempts, 3);
    QVERIFY(job.runAt.isValid());
    QVERIFY(qAbs(job.runAt.secsTo(QDateTime::currentDateTimeUtc())) < 30);
    QCOMPARE(scalar(QStringLiteral("SELECT state || '/' || locked_by FROM jobs")).toString(), QStringLiteral("running/n1"));
    const double lease = scalar(QStringLiteral("SELECT extract(epoch FROM locked_until - now()) FROM jobs")).toDouble();
    QVERIFY2(lease > 25 && lease <= 30, qPrintable(QString::number(lease)));
    QVERIFY(!scalar(QStringLiteral("SELECT started_at FROM jobs")).isNull());
    // Nothing else to claim; a running job is never handed out twice.
    QVERIFY(!JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n2"), 30)->has_value());

    auto done = JobStore::complete(conn(), job, QStringLiteral("n1"));
    QVERIFY(done && *done);
    QCOMPARE(scalar(QStringLiteral("SELECT state FROM jobs")).toString(), QStringLiteral("completed"));
    QCOMPARE(scalar(QStringLiteral("SELECT finished_at IS NOT NULL AND locked_by IS NULL FROM jobs")).toBool(), true);
}

void tst_JobStore::payloadRoundTrips_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("placeholders") << QStringLiteral("%1 %2 %9 %% 100%");
    QTest::newRow("quotes") << QStringLiteral("it's \"quoted\" ''");
    QTest::newRow("backslashes") << QStringLiteral("C:\\path\\n \\' \\\\");
    QTest::newRow("unicode") << QStringLiteral("ñ ü 日本 🚀");
    QTest::newRow("sql-ish") << QStringLiteral("'); DROP TABLE jobs; --");
}

void tst_JobStore::payloadRoundTrips()
{
    QFETCH(QString, text);
    EnqueueOptions o;
    o.uniqueKey = text;
    auto id = enqueue(conn(), text, text, QJsonObject{{"t", text}}, o);
    QVERIFY_OK(id);
    auto claimed = JobStore::claim(conn(), text, text, 30);
    QVERIFY(claimed && claimed->has_value());
    QCOMPARE((*claimed)->kind, text);
    QCOMPARE((*claimed)->payload.value("t").toString(), text);
    QCOMPARE((*claimed)->uniqueKey, text);
    QVERIFY(*JobStore::retryLater(conn(), **claimed, text, text, 10));
    QCOMPARE(scalar(QStringLiteral("SELECT last_error FROM jobs")).toString(), text);
}

void tst_JobStore::enqueueValidates()
{
    QCOMPARE(enqueue(conn(), QString(), QStringLiteral("k"), {}).error().kind, ErrorKind::BadRequest);
    QCOMPARE(enqueue(conn(), QStringLiteral("q"), QStringLiteral(" "), {}).error().kind, ErrorKind::BadRequest);
    EnqueueOptions o;
    o.maxAttempts = 0;
    QCOMPARE(enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}, o).error().kind, ErrorKind::BadRequest);
}

void tst_JobStore::claimOrder()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const auto add = [&](const QString &name, int priority, qint64 runAtOffsetSecs) {
        EnqueueOptions o;
        o.priority = priority;
        o.runAt = now.addSecs(runAtOffsetSecs);
        QVERIFY(enqueue(conn(), QStringLiteral("q"), name, {}, o));
    };
    add(QStringLiteral("low-old"), 0, -60);
    add(QStringLiteral("high-new"), 5, -1);
    add(QStringLiteral("high-old"), 5, -30);
    add(QStringLiteral("future"), 10, 3600);
    QStringList order;
    while (true) {
        auto c = JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n"), 30);
        QVERIFY(c);
        if (!c->has_value())
            break;
        order << (*c)->kind;
    }
    QCOMPARE(order, (QStringList{"high-old", "high-new", "low-old"}));
    // The claim is an ordered scan of the ready-rows index.
    auto plan = db::exec(
        conn(),
        QStringLiteral("EXPLAIN SELECT id FROM jobs WHERE queue = 'q' AND state IN ('available', 'retryable') AND run_at <= now()"
                       " ORDER BY priority DESC, run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"));
    QVERIFY(plan);
    QString text;
    while (plan->next())
        text += plan->value(0).toString() + u'\n';
    QVERIFY2(text.contains(QLatin1StringView("jobs_ready_idx")), qPrintable(text));
    QVERIFY2(!text.contains(QLatin1StringView("Sort")), qPrintable(text));
}

void tst_JobStore::claimSkipsLockedRows()
{
    QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("a"), {}));
    QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("b"), {}));
    // Another session holds its claim open in a transaction: its row is skipped, not waited for.
    db::Database other(m_pg.settings(m_name));
    {
        db::Transaction tx(other.connection());
        QVERIFY(tx.isActive());
        auto first = JobStore::claim(other.connection(), QStringLiteral("q"), QStringLiteral("n1"), 30);
        QVERIFY(first && first->has_value());
        QElapsedTimer t;
        t.start();
        auto second = JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n2"), 30);
        QVERIFY(second && second->has_value());
        QVERIFY((*second)->id != (*first)->id);
        QVERIFY(t.elapsed() < 1000);
        QVERIFY(!JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n2"), 30)->has_value());
        QVERIFY(tx.rollback());
    }
    other.releaseThisThread();
    // The rolled-back claim is available again.
    QVERIFY(JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n2"), 30)->has_value());
}

void tst_JobStore::enqueueJoinsCallerTransaction()
{
    {
        db::Transaction tx(conn());
        QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}));
        QVERIFY(tx.rollback());
    }
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM jobs")).toInt(), 0);
    {
        db::Transaction tx(conn());
        QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}));
        QVERIFY(tx.commit());
    }
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM jobs")).toInt(), 1);
}

void tst_JobStore::uniqueKeys()
{
    EnqueueOptions o;
    o.uniqueKey = QStringLiteral("evaluate:1");
    auto a = enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), QJsonObject{{"v", 1}}, o);
    auto b = enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), QJsonObject{{"v", 2}}, o);
    QVERIFY(a && b);
    QCOMPARE(*b, *a);
    auto otherQueue = enqueue(conn(), QStringLiteral("q2"), QStringLiteral("k"), {}, o);
    QVERIFY(otherQueue && *otherQueue != *a);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM jobs WHERE queue = 'q'")).toInt(), 1);

    // Still live while running; a finished job frees the key.
    auto c = JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n"), 30);
    QVERIFY(c && c->has_value());
    QCOMPARE(*enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}, o), *a);
    QVERIFY(*JobStore::complete(conn(), **c, QStringLiteral("n")));
    auto d = enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}, o);
    QVERIFY(d && *d != *a);

    // Concurrent sessions racing for one key end with one live job and the same id.
    db::Database other(m_pg.settings(m_name));
    o.uniqueKey = QStringLiteral("race");
    {
        db::Transaction tx(other.connection());
        auto first = enqueue(other.connection(), QStringLiteral("q"), QStringLiteral("k"), {}, o);
        QVERIFY(first);
        QVERIFY(tx.commit());
        auto second = enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}, o);
        QVERIFY(second);
        QCOMPARE(*second, *first);
    }
    other.releaseThisThread();
}

void tst_JobStore::retryAndDiscard()
{
    EnqueueOptions o;
    o.maxAttempts = 2;
    QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}, o));
    auto c = JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n"), 30);
    QVERIFY(c && c->has_value());
    QVERIFY(*JobStore::retryLater(conn(), **c, QStringLiteral("n"), QStringLiteral("boom 1"), 60000));
    QCOMPARE(scalar(QStringLiteral("SELECT state FROM jobs")).toString(), QStringLiteral("retryable"));
    const double wait = scalar(QStringLiteral("SELECT extract(epoch FROM run_at - now()) FROM jobs")).toDouble();
    QVERIFY2(wait > 55 && wait <= 60, qPrintable(QString::number(wait)));
    QVERIFY(!JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n"), 30)->has_value()); // not yet due

    QVERIFY(db::exec(conn(), QStringLiteral("UPDATE jobs SET run_at = now() - interval '1 second'")));
    c = JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n"), 30);
    QVERIFY(c && c->has_value());
    QCOMPARE((*c)->attempts, 2);
    QVERIFY((*c)->lastAttempt());
    QVERIFY(*JobStore::discard(conn(), **c, QStringLiteral("n"), QStringLiteral("boom 2")));
    QCOMPARE(scalar(QStringLiteral("SELECT state || '/' || last_error || '/' || (finished_at IS NOT NULL) FROM jobs")).toString(),
             QStringLiteral("discarded/boom 2/true"));
}

void tst_JobStore::fencingAfterLeaseLoss()
{
    QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}));
    auto c = JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("slow-node"), 30);
    QVERIFY(c && c->has_value());
    // The lease expires, the leader rescues it and another node claims attempt 2.
    QVERIFY(db::exec(conn(), QStringLiteral("UPDATE jobs SET locked_until = now() - interval '1 second'")));
    QVERIFY(JobStore::rescueExpired(conn(), 100));
    auto again = JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("fast-node"), 30);
    QVERIFY(again && again->has_value());
    QCOMPARE((*again)->attempts, 2);
    // The first holder's late outcome changes nothing.
    QCOMPARE(*JobStore::complete(conn(), **c, QStringLiteral("slow-node")), false);
    QCOMPARE(*JobStore::retryLater(conn(), **c, QStringLiteral("slow-node"), QStringLiteral("x"), 10), false);
    QCOMPARE(*JobStore::discard(conn(), **c, QStringLiteral("slow-node"), QStringLiteral("x")), false);
    QCOMPARE(*JobStore::extendLeases(conn(), {{(*c)->id, (*c)->attempts, 30}}, QStringLiteral("slow-node")), 0);
    QCOMPARE(scalar(QStringLiteral("SELECT state || '/' || locked_by FROM jobs")).toString(),
             QStringLiteral("running/fast-node"));
    QVERIFY(*JobStore::complete(conn(), **again, QStringLiteral("fast-node")));
}

void tst_JobStore::rescueExpiredLeases()
{
    const QString retry = insertRunning(QStringLiteral("q"), 1, 3, QStringLiteral("now() - interval '5 seconds'"));
    const QString last = insertRunning(QStringLiteral("q"), 3, 3, QStringLiteral("now() - interval '5 seconds'"));
    const QString alive = insertRunning(QStringLiteral("q"), 1, 3, QStringLiteral("now() + interval '60 seconds'"));
    QVERIFY(!retry.isEmpty() && !last.isEmpty() && !alive.isEmpty());
    auto r = JobStore::rescueExpired(conn(), 100);
    QVERIFY_OK(r);
    QMap<QString, qint64> byState;
    for (const StateCount &c : *r)
        byState[c.state] += c.count;
    QCOMPARE(byState.value("available"), 1);
    QCOMPARE(byState.value("discarded"), 1);
    QCOMPARE(scalar(QStringLiteral("SELECT state FROM jobs WHERE id = '%1'").arg(retry)).toString(), QStringLiteral("available"));
    QVERIFY(scalar(QStringLiteral("SELECT last_error FROM jobs WHERE id = '%1'").arg(retry)).toString().contains("ghost-node"));
    QCOMPARE(scalar(QStringLiteral("SELECT state FROM jobs WHERE id = '%1'").arg(last)).toString(), QStringLiteral("discarded"));
    QCOMPARE(scalar(QStringLiteral("SELECT state FROM jobs WHERE id = '%1'").arg(alive)).toString(), QStringLiteral("running"));
    QVERIFY(JobStore::rescueExpired(conn(), 100)->isEmpty());
}

void tst_JobStore::extendAndRelease()
{
    QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}));
    auto c = JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n"), 5);
    QVERIFY(c && c->has_value());
    const LeaseEntry lease{(*c)->id, (*c)->attempts, 120};
    QCOMPARE(*JobStore::extendLeases(conn(), {lease}, QStringLiteral("n")), 1);
    QCOMPARE(*JobStore::extendLeases(conn(), {lease}, QStringLiteral("someone-else")), 0);
    const double left = scalar(QStringLiteral("SELECT extract(epoch FROM locked_until - now()) FROM jobs")).toDouble();
    QVERIFY2(left > 100, qPrintable(QString::number(left)));
    // Release at shutdown: back to available without counting the attempt.
    QCOMPARE(*JobStore::release(conn(), {lease}, QStringLiteral("n"), QStringLiteral("bye")), 1);
    QCOMPARE(scalar(QStringLiteral("SELECT state || '/' || attempts || '/' || last_error FROM jobs")).toString(),
             QStringLiteral("available/0/bye"));
    QCOMPARE(*JobStore::release(conn(), {}, QStringLiteral("n"), QStringLiteral("bye")), 0);
}

void tst_JobStore::redriveAndCancel()
{
    EnqueueOptions o;
    o.maxAttempts = 1;
    o.uniqueKey = QStringLiteral("u");
    auto id = enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}, o);
    QVERIFY(id);
    QCOMPARE(JobStore::redrive(conn(), *id).error().kind, ErrorKind::Conflict); // not discarded
    auto c = JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n"), 30);
    QVERIFY(*JobStore::discard(conn(), **c, QStringLiteral("n"), QStringLiteral("dead")));

    // Another live job took the key meanwhile: redrive would break uniqueness.
    auto twin = enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}, o);
    QVERIFY(twin && *twin != *id);
    QCOMPARE(JobStore::redrive(conn(), *id).error().kind, ErrorKind::Conflict);
    QVERIFY(JobStore::cancel(conn(), *twin));
    QCOMPARE(scalar(QStringLiteral("SELECT state FROM jobs WHERE id = '%1'").arg(*twin)).toString(), QStringLiteral("cancelled"));
    QCOMPARE(JobStore::cancel(conn(), *twin).error().kind, ErrorKind::Conflict);

    QVERIFY(JobStore::redrive(conn(), *id));
    QCOMPARE(
        scalar(
            QStringLiteral("SELECT state || '/' || attempts || '/' || (finished_at IS NULL) FROM jobs WHERE id = '%1'").arg(*id))
            .toString(),
        QStringLiteral("available/0/true"));
    QVERIFY(JobStore::claim(conn(), QStringLiteral("q"), QStringLiteral("n"), 30)->has_value());

    QCOMPARE(JobStore::redrive(conn(), ids::newUuid()).error().kind, ErrorKind::NotFound);
    QCOMPARE(JobStore::redrive(conn(), QStringLiteral("not-a-uuid")).error().kind, ErrorKind::NotFound);
    QCOMPARE(JobStore::cancel(conn(), ids::newUuid()).error().kind, ErrorKind::NotFound);
}

void tst_JobStore::listAndCounts()
{
    QVERIFY(enqueue(conn(), QStringLiteral("a"), QStringLiteral("k1"), QJsonObject{{"x", 1}}));
    QVERIFY(enqueue(conn(), QStringLiteral("a"), QStringLiteral("k2"), {}));
    QVERIFY(enqueue(conn(), QStringLiteral("b"), QStringLiteral("k3"), {}));
    auto c = JobStore::claim(conn(), QStringLiteral("b"), QStringLiteral("n"), 30);
    QVERIFY(c && c->has_value());

    auto all = JobStore::list(conn(), QString(), QString(), 50);
    QVERIFY_OK(all);
    QCOMPARE(all->size(), 3);
    auto a = JobStore::list(conn(), QStringLiteral("a"), QString(), 50);
    QCOMPARE(a->size(), 2);
    auto running = JobStore::list(conn(), QString(), QStringLiteral("running"), 50);
    QCOMPARE(running->size(), 1);
    const QJsonObject row = running->at(0).toObject();
    QCOMPARE(row.value("queue").toString(), QStringLiteral("b"));
    QCOMPARE(row.value("lockedBy").toString(), QStringLiteral("n"));
    QCOMPARE(row.value("attempts").toInt(), 1);
    QCOMPARE(row.value("maxAttempts").toInt(), 3);
    QVERIFY(row.value("payload").isObject());
    static const QRegularExpression iso(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"));
    for (const char *key : {"runAt", "lockedUntil", "startedAt", "createdAt"})
        QVERIFY2(iso.match(row.value(QLatin1StringView(key)).toString()).hasMatch(), key);
    QVERIFY(row.value("finishedAt").isNull());
    QCOMPARE(JobStore::list(conn(), QString(), QString(), 1)->size(), 1);
    QCOMPARE(JobStore::list(conn(), QString(), QStringLiteral("bogus"), 10).error().kind, ErrorKind::BadRequest);

    auto counts = JobStore::counts(conn());
    QVERIFY(counts);
    QCOMPARE(counts->value("a").toObject().value("available").toInt(), 2);
    QCOMPARE(counts->value("b").toObject().value("running").toInt(), 1);
    auto live = JobStore::liveCounts(conn());
    QVERIFY(live);
    QCOMPARE(live->size(), 2);
}

void tst_JobStore::pruneFinished()
{
    QVERIFY(db::exec(
        conn(),
        QStringLiteral(
            "INSERT INTO jobs (queue, kind, state, finished_at) SELECT 'q', 'k', s, now() - age"
            " FROM (VALUES ('completed', interval '2 days'), ('completed', interval '1 hour'), ('cancelled', interval '3 days'),"
            "  ('discarded', interval '3 days'), ('discarded', interval '40 days')) v(s, age), generate_series(1, 3)")));
    QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("live"), {}));
    // Batches of 4 until done; retention 24 h for completed/cancelled, 30 days for the dead letter.
    int total = 0;
    for (int i = 0; i < 10; ++i) {
        auto n = JobStore::pruneBatch(conn(), 24, 30 * 24, 4);
        QVERIFY(n);
        total += *n;
        if (*n < 4)
            break;
    }
    QCOMPARE(total, 9);
    QCOMPARE(scalar(QStringLiteral("SELECT string_agg(DISTINCT state, ',' ORDER BY state) FROM jobs")).toString(),
             QStringLiteral("available,completed,discarded"));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM jobs")).toInt(), 7);
}

void tst_JobStore::notifyOnInsert()
{
    QSqlDatabase db = conn();
    QVERIFY(db.driver()->subscribeToNotification(QString::fromLatin1(kNotifyChannel)));
    QSignalSpy spy(db.driver(), &QSqlDriver::notification);
    // A service's own INSERT (ProblemService style: several rows, one statement) notifies once per queue.
    QVERIFY(db::exec(
        conn(),
        QStringLiteral(
            "INSERT INTO jobs (queue, kind, payload) VALUES ('guardrail-evaluation', 'evaluate', '{\"evaluationId\": 1}'),"
            " ('guardrail-evaluation', 'evaluate', '{}'), ('other', 'x', '{}')")));
    QTRY_COMPARE(spy.size(), 2);
    QStringList payloads;
    for (const auto &args : spy)
        payloads << args.at(2).toString();
    payloads.sort();
    QCOMPARE(payloads, (QStringList{"guardrail-evaluation", "other"}));
    spy.clear();
    QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}));
    QTRY_COMPARE(spy.size(), 1);
    QCOMPARE(spy.at(0).at(2).toString(), QStringLiteral("q"));
    // A young backlog (workers about to claim it) still notifies.
    spy.clear();
    QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}));
    QTRY_COMPARE(spy.size(), 1);
    // Nothing while ready jobs have waited > 250 ms (workers saturated or about to poll; NOTIFY
    // would only serialise commits), nor for jobs due later (the workers' poll finds those).
    QVERIFY(db::exec(conn(), QStringLiteral("UPDATE jobs SET run_at = now() - interval '1 second' WHERE queue = 'q'")));
    spy.clear();
    QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}));
    EnqueueOptions later;
    later.runAt = QDateTime::currentDateTimeUtc().addSecs(60);
    QVERIFY(enqueue(conn(), QStringLiteral("delayed"), QStringLiteral("k"), {}, later));
    QTest::qWait(200);
    QCOMPARE(spy.size(), 0);
    // Nothing for a rolled-back insert.
    spy.clear();
    {
        db::Transaction tx(conn());
        QVERIFY(enqueue(conn(), QStringLiteral("q"), QStringLiteral("k"), {}));
        QVERIFY(tx.rollback());
    }
    QTest::qWait(200);
    QCOMPARE(spy.size(), 0);
    QVERIFY(db.driver()->unsubscribeFromNotification(QString::fromLatin1(kNotifyChannel)));
}

void tst_JobStore::schedulesCompareAndSet()
{
    QVERIFY(JobStore::upsertSchedule(conn(), QStringLiteral("s1"), QStringLiteral("* * * * *"), QStringLiteral("q"),
                                     QStringLiteral("tick"), QJsonObject{{"a", 1}}));
    auto rows = JobStore::schedules(conn(), {QStringLiteral("s1"), QStringLiteral("missing")});
    QVERIFY(rows);
    QCOMPARE(rows->size(), 1);
    const ScheduleRow row = rows->at(0);
    QVERIFY(row.lastRunAtMicros.has_value());
    QVERIFY(qAbs(row.lastRunAt.secsTo(QDateTime::currentDateTimeUtc())) < 30); // a new schedule starts counting now

    const QDateTime due = QDateTime::currentDateTimeUtc().addSecs(-1);
    auto fired = JobStore::fireSchedule(conn(), row, due, QStringLiteral("q"), QStringLiteral("tick"), QJsonObject{{"a", 1}});
    QVERIFY(fired && *fired);
    // A second leader holding the stale row loses the compare-and-set.
    auto again = JobStore::fireSchedule(conn(), row, due, QStringLiteral("q"), QStringLiteral("tick"), {});
    QVERIFY(again && !*again);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM jobs WHERE unique_key = 'cron:s1'")).toInt(), 1);
    QCOMPARE(scalar(QStringLiteral("SELECT payload->>'a' FROM jobs")).toString(), QStringLiteral("1"));

    // The next due time fires, but a run still queued is not doubled.
    auto fresh = JobStore::schedules(conn(), {QStringLiteral("s1")});
    auto third = JobStore::fireSchedule(conn(), fresh->at(0), due.addSecs(60), QStringLiteral("q"), QStringLiteral("tick"), {});
    QVERIFY(third && *third);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM jobs")).toInt(), 1);

    // Re-registering keeps last_run_at; changing the cron updates it in place.
    QVERIFY(JobStore::upsertSchedule(conn(), QStringLiteral("s1"), QStringLiteral("0 3 * * *"), QStringLiteral("q"),
                                     QStringLiteral("tick"), {}));
    QCOMPARE(scalar(QStringLiteral("SELECT cron FROM job_schedules")).toString(), QStringLiteral("0 3 * * *"));
    auto afterUpsert = JobStore::schedules(conn(), {QStringLiteral("s1")});
    QVERIFY(afterUpsert);
    QVERIFY(afterUpsert->at(0).lastRunAtMicros != fresh->at(0).lastRunAtMicros); // = due + 60 s now
    QCOMPARE(afterUpsert->at(0).lastRunAt.toSecsSinceEpoch(), due.addSecs(60).toSecsSinceEpoch());
}

void tst_JobStore::leadershipIsExclusive()
{
    db::Database a(m_pg.settings(m_name));
    db::Database b(m_pg.settings(m_name));
    QCOMPARE(*JobStore::holdLeadership(a.connection()), true);
    QCOMPARE(*JobStore::holdLeadership(a.connection()), true); // idempotent, no stacking
    QCOMPARE(*JobStore::holdLeadership(b.connection()), false);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")).toInt(), 1);
    QVERIFY(JobStore::releaseLeadership(a.connection()));
    QCOMPARE(*JobStore::holdLeadership(b.connection()), true);
    QCOMPARE(*JobStore::holdLeadership(a.connection()), false);
    // A leader whose session ends (crash, lost connection) frees the lock at once.
    b.releaseThisThread();
    QTRY_COMPARE(*JobStore::holdLeadership(a.connection()), true); // once the server noticed the session end
    QVERIFY(JobStore::releaseLeadership(a.connection()));
    a.releaseThisThread();
}

QTEST_GUILESS_MAIN(tst_JobStore)
#include "tst_jobstore.moc"
