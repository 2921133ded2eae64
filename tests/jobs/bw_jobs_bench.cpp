// Job queue benchmarks (BENCHMARKS.md, "Job queue"): raw throughput with a no-op job at several
// concurrencies, enqueue rate, pickup latency p50/p95 at a fixed arrival rate, and queue overhead
// per job in the guardrail scenario (slow handler, concurrency 10). Starts its own durable embedded
// PostgreSQL in a temp dir (--fast: fsync off, like the test fixture) unless --url is given.
//   bw_jobs_bench [--url postgresql://…] [--fast] [--jobs N] [--rate R] [--seconds S] [--slow N]

#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/db/embeddedpostgres.h"
#include "server/db/migrator.h"
#include "server/db/sql.h"
#include "server/jobs/jobsystem.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

using namespace bw;

namespace {

struct Options {
    QString url;
    bool fast = false;
    int jobs = 20000;
    int rate = 100;
    int seconds = 10;
    int slowJobs = 200;
    int slowMs = 2000;
};

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5))];
}

void line(const char *what, const QString &value)
{
    std::printf("| %-58s | %s |\n", what, qPrintable(value));
    std::fflush(stdout);
}

// Waits until counter reaches n (or timeout); returns the elapsed ms.
qint64 waitFor(const std::atomic_int &counter, int n, qint64 timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (counter.load() < n && t.elapsed() < timeoutMs)
        QThread::msleep(2);
    return t.elapsed();
}

bool sql(db::Database &database, const QString &text)
{
    auto r = db::exec(database.connection(), text);
    if (!r)
        std::fprintf(stderr, "SQL failed: %s\n", qPrintable(r.error().message));
    return r.ok();
}

// No-op throughput: N jobs inserted up front, then a JobSystem with `concurrency` workers drains them.
void throughput(db::Database &database, int n, int concurrency)
{
    sql(database, QStringLiteral("TRUNCATE jobs"));
    sql(database, QStringLiteral("INSERT INTO jobs (queue, kind) SELECT 'bench', 'noop' FROM generate_series(1, %1)").arg(n));
    sql(database, QStringLiteral("VACUUM ANALYZE jobs"));
    MetricsRegistry metrics;
    jobs::JobSystem system(database, metrics, QStringLiteral("bench"));
    std::atomic_int done{0};
    system.registerHandler(QStringLiteral("bench"), QStringLiteral("noop"), [&](const jobs::Job &, jobs::JobContext &) {
        ++done;
        return success();
    });
    system.setQueueSettings(QStringLiteral("bench"), jobs::QueueSettings{.concurrency = concurrency});
    QElapsedTimer t;
    t.start();
    (void)system.start();
    waitFor(done, n, 600000);
    // Until the last completion is recorded, not just run.
    while (t.elapsed() < 600000) {
        auto r = db::exec(database.connection(), QStringLiteral("SELECT count(*) FROM jobs WHERE state <> 'completed'"));
        if (r && r->next() && r->value(0).toInt() == 0)
            break;
        QThread::msleep(5);
    }
    const double secs = double(t.nsecsElapsed()) / 1e9;
    system.stop(5000);
    line(qPrintable(QStringLiteral("no-op throughput, concurrency %1 (%2 jobs)").arg(concurrency).arg(n)),
         QStringLiteral("%1 jobs/s (%2 ms/job per worker)")
             .arg(n / secs, 0, 'f', 0)
             .arg(secs * 1000.0 * concurrency / n, 0, 'f', 3));
}

void enqueueRate(db::Database &database, int n)
{
    sql(database, QStringLiteral("TRUNCATE jobs"));
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < n; ++i)
        (void)jobs::enqueue(database.connection(), QStringLiteral("idle"), QStringLiteral("noop"), QJsonObject{{"i", i}});
    const double secs = double(t.nsecsElapsed()) / 1e9;
    line("enqueue() from one thread, autocommit (NOTIFY trigger incl.)",
         QStringLiteral("%1 jobs/s (%2 ms each)").arg(n / secs, 0, 'f', 0).arg(secs * 1000.0 / n, 0, 'f', 3));
}

// `threads` writers each enqueue in their own autocommit transaction (like POST /problems):
// with the NOTIFY trigger as shipped, and with it disabled, to show what NOTIFY costs at commit.
void concurrentEnqueue(db::Database &database, int threads, int perThread, bool notify)
{
    sql(database, QStringLiteral("TRUNCATE jobs"));
    sql(database, QStringLiteral("ALTER TABLE jobs %1 TRIGGER jobs_notify_inserted").arg(notify ? "ENABLE" : "DISABLE"));
    std::vector<std::thread> writers;
    QElapsedTimer t;
    t.start();
    for (int w = 0; w < threads; ++w) {
        writers.emplace_back([&database, perThread] {
            for (int i = 0; i < perThread; ++i)
                (void)jobs::enqueue(database.connection(), QStringLiteral("idle"), QStringLiteral("noop"), QJsonObject{{"i", i}});
            database.releaseThisThread();
        });
    }
    for (auto &w : writers)
        w.join();
    const double secs = double(t.nsecsElapsed()) / 1e9;
    sql(database, QStringLiteral("ALTER TABLE jobs ENABLE TRIGGER jobs_notify_inserted"));
    line(qPrintable(
             QStringLiteral("enqueue() from %1 threads, autocommit, NOTIFY trigger %2").arg(threads).arg(notify ? "on" : "off")),
         QStringLiteral("%1 jobs/s").arg(threads * perThread / secs, 0, 'f', 0));
}

// Jobs arrive one by one at `rate`/s; pickup = handler start − the moment before enqueue().
void pickup(db::Database &database, int rate, int seconds)
{
    sql(database, QStringLiteral("TRUNCATE jobs"));
    MetricsRegistry metrics;
    jobs::JobSystem system(database, metrics, QStringLiteral("bench"));
    const int n = rate * seconds;
    std::vector<std::atomic<qint64>> startedNs(static_cast<size_t>(n));
    std::atomic_int done{0};
    QElapsedTimer clock;
    clock.start();
    system.registerHandler(QStringLiteral("bench"), QStringLiteral("noop"), [&](const jobs::Job &job, jobs::JobContext &) {
        startedNs[size_t(job.payload.value("i").toInt())] = clock.nsecsElapsed();
        ++done;
        return success();
    });
    system.setQueueSettings(QStringLiteral("bench"), jobs::QueueSettings{.concurrency = 4});
    (void)system.start();
    QThread::msleep(1500); // idle workers, listener connected
    std::vector<qint64> enqueuedNs(static_cast<size_t>(n));
    const qint64 intervalNs = 1000000000LL / rate;
    for (int i = 0; i < n; ++i) {
        const qint64 due = qint64(i) * intervalNs;
        while (clock.nsecsElapsed() - 1500000000LL < due)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        enqueuedNs[size_t(i)] = clock.nsecsElapsed();
        (void)jobs::enqueue(database.connection(), QStringLiteral("bench"), QStringLiteral("noop"), QJsonObject{{"i", i}});
    }
    waitFor(done, n, 60000);
    system.stop(5000);
    std::vector<double> ms;
    for (int i = 0; i < n; ++i)
        if (startedNs[size_t(i)] > 0)
            ms.push_back(double(startedNs[size_t(i)] - enqueuedNs[size_t(i)]) / 1e6);
    // The same from PostgreSQL's clock: claim transaction start − insert transaction start.
    auto r = db::exec(
        database.connection(),
        QStringLiteral("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.95) WITHIN GROUP (ORDER BY d)"
                       " FROM (SELECT extract(epoch FROM started_at - created_at) * 1000 AS d FROM jobs) x"));
    double dbP50 = 0, dbP95 = 0;
    if (r && r->next()) {
        dbP50 = r->value(0).toDouble();
        dbP95 = r->value(1).toDouble();
    }
    line(qPrintable(QStringLiteral("pickup latency at %1 jobs/s (%2 jobs), enqueue call → handler").arg(rate).arg(n)),
         QStringLiteral("p50 %1 ms, p95 %2 ms, max %3 ms")
             .arg(percentile(ms, 0.5), 0, 'f', 2)
             .arg(percentile(ms, 0.95), 0, 'f', 2)
             .arg(percentile(ms, 1.0), 0, 'f', 2));
    line("  same, insert → claim on the PostgreSQL clock",
         QStringLiteral("p50 %1 ms, p95 %2 ms").arg(dbP50, 0, 'f', 2).arg(dbP95, 0, 'f', 2));
}

// The guardrail scenario: n jobs whose handler takes slowMs, concurrency 10. Overhead per job =
// (wall time − ideal time) · concurrency / n, the ideal being n · slowMs / concurrency.
void slowScenario(db::Database &database, int n, int slowMs)
{
    sql(database, QStringLiteral("TRUNCATE jobs"));
    sql(database,
        QStringLiteral("INSERT INTO jobs (queue, kind) SELECT 'guardrail-evaluation', 'evaluate' FROM generate_series(1, %1)")
            .arg(n));
    MetricsRegistry metrics;
    jobs::JobSystem system(database, metrics, QStringLiteral("bench"));
    std::atomic_int done{0};
    system.registerHandler(QStringLiteral("guardrail-evaluation"), QStringLiteral("evaluate"),
                           [&](const jobs::Job &, jobs::JobContext &) {
                               std::this_thread::sleep_for(std::chrono::milliseconds(slowMs));
                               ++done;
                               return success();
                           });
    system.setQueueSettings(QStringLiteral("guardrail-evaluation"), jobs::QueueSettings{.concurrency = 10});
    QElapsedTimer t;
    t.start();
    (void)system.start();
    waitFor(done, n, 3600000);
    const double wallMs = double(t.nsecsElapsed()) / 1e6;
    system.stop(5000);
    const double idealMs = double(n) * slowMs / 10.0;
    line(qPrintable(QStringLiteral("%1 jobs × %2 ms handler, concurrency 10").arg(n).arg(slowMs)),
         QStringLiteral("%1 s (ideal %2 s) → overhead %3 ms/job; 1000 jobs ≈ %4 min")
             .arg(wallMs / 1000.0, 0, 'f', 2)
             .arg(idealMs / 1000.0, 0, 'f', 2)
             .arg((wallMs - idealMs) * 10.0 / n, 0, 'f', 2)
             .arg(wallMs / n * 1000.0 / 60000.0, 0, 'f', 2));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    Options o;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString a = args.at(i);
        const auto next = [&] { return i + 1 < args.size() ? args.at(++i) : QString(); };
        if (a == u"--url")
            o.url = next();
        else if (a == u"--fast")
            o.fast = true;
        else if (a == u"--jobs")
            o.jobs = next().toInt();
        else if (a == u"--rate")
            o.rate = next().toInt();
        else if (a == u"--seconds")
            o.seconds = next().toInt();
        else if (a == u"--slow")
            o.slowJobs = next().toInt();
        else {
            std::fprintf(stderr, "usage: bw_jobs_bench [--url URL] [--fast] [--jobs N] [--rate R] [--seconds S] [--slow N]\n");
            return 2;
        }
    }

    QTemporaryDir tmp;
    std::unique_ptr<db::EmbeddedPostgres> server;
    db::ConnectionSettings settings;
    if (o.url.isEmpty()) {
        QFile::setPermissions(tmp.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                              | QFileDevice::ExeGroup | QFileDevice::ExeOther);
        db::EmbeddedPostgresOptions eo;
        eo.clusterDir = tmp.filePath(QStringLiteral("cluster"));
        eo.durable = !o.fast;
        server = std::make_unique<db::EmbeddedPostgres>(eo);
        const QString password = QString::number(QRandomGenerator::system()->generate64(), 16);
        Status s = server->prepare(password);
        if (s)
            s = server->start();
        if (s)
            s = server->waitUntilReady(60000);
        if (!s) {
            std::fprintf(stderr, "cannot start PostgreSQL: %s\n", qPrintable(s.error().message));
            return 1;
        }
        settings = server->connectionSettings(password);
    } else {
        auto parsed = db::ConnectionSettings::fromUrl(o.url);
        if (!parsed) {
            std::fprintf(stderr, "bad --url: %s\n", qPrintable(parsed.error().message));
            return 2;
        }
        settings = *parsed;
    }
    settings.statementTimeoutMs = 60000;
    db::Database database(settings);
    auto applied = db::Migrator(db::Migrator::builtIn()).up(database.connection());
    if (!applied) {
        std::fprintf(stderr, "migrations failed: %s\n", qPrintable(applied.error().message));
        return 1;
    }
    std::printf("PostgreSQL %s, %s, %d CPU(s)\n\n", server ? qPrintable(server->serverVersion()) : "external",
                o.url.isEmpty() ? (o.fast ? "embedded, fsync off" : "embedded, durable (fsync on)") : "external",
                QThread::idealThreadCount());
    std::printf("| %-58s | %s |\n|---|---|\n", "what", "measured");
    for (int c : {1, 2, 4, 8})
        throughput(database, o.jobs, c);
    enqueueRate(database, std::min(o.jobs, 2000));
    concurrentEnqueue(database, 8, 500, true);
    concurrentEnqueue(database, 8, 500, false);
    pickup(database, o.rate, o.seconds);
    if (o.slowJobs > 0)
        slowScenario(database, o.slowJobs, o.slowMs);
    database.releaseThisThread();
    if (server)
        (void)server->stop(15000);
    return 0;
}
