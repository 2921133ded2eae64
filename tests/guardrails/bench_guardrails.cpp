// Benchmark (performance.md): 1000 guardrail jobs against the fake provider at 2 s latency with
// 10 workers. Reports the total time against the ideal (N·latency/concurrency), the queue's
// overhead per job, the gap a worker spends between two jobs (p50/p95) and, with idle workers,
// the pickup latency from enqueue to handler start (p50/p95, trickled jobs).
//
//   bench_guardrails [--jobs 1000] [--latency-ms 2000] [--concurrency 10] [--trickle 100]
//
// Not a ctest test: it takes minutes. Output: a table on stdout plus one JSON line.

#include "guardrailtestdb.h"

#include "server/core/metrics.h"
#include "server/core/secretstore.h"
#include "server/guardrails/classifierhub.h"
#include "server/guardrails/guardrailevaluator.h"
#include "server/guardrails/guardrailjobs.h"
#include "server/guardrails/guardrailsettings.h"
#include "server/jobs/jobsystem.h"
#include "tests/support/fakellm.h"
#include "tests/support/pgfixture.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QThread>

#include <algorithm>
#include <cstdio>
#include <mutex>

using namespace bw;

namespace {
struct Run {
    qint64 startNs = 0;
    qint64 endNs = 0;
    Qt::HANDLE thread = nullptr;
};

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const double rank = p * double(v.size() - 1);
    const size_t lo = size_t(rank);
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (rank - double(lo));
}

int scalar(db::Database &database, const QString &sql)
{
    return test::scalar(database, sql).toInt();
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser cli;
    cli.addHelpOption();
    cli.addOption({"jobs", "guardrail jobs in the flood", "n", "1000"});
    cli.addOption({"latency-ms", "fake provider latency", "ms", "2000"});
    cli.addOption({"concurrency", "guardrail workers", "n", "10"});
    cli.addOption({"trickle", "jobs enqueued one by one to idle workers (pickup latency)", "n", "100"});
    cli.process(app);
    const int jobs = cli.value("jobs").toInt();
    const int latencyMs = cli.value("latency-ms").toInt();
    const int concurrency = cli.value("concurrency").toInt();
    const int trickle = cli.value("trickle").toInt();
    QLoggingCategory::setFilterRules(
        "bw.guardrails.info=false\nbw.guardrails.provider.info=false\nbw.db.*.info=false\nbw.jobs.*.info=false");

    test::PgFixture pg;
    if (!pg.start()) {
        std::fprintf(stderr, "postgres: %s\n", qPrintable(pg.lastError()));
        return 1;
    }
    const QString name = pg.createMigratedDatabase();
    db::Database database(pg.settings(name));
    test::FakeLlm llm;
    if (!llm.start())
        return 1;
    llm.setLatency(latencyMs);

    GuardrailConfig config;
    config.provider = QStringLiteral("openai-compatible");
    config.baseUrl = llm.baseUrl();
    config.timeoutMs = latencyMs + 10000;
    MetricsRegistry metrics;
    MemorySecretStore secrets;
    guardrails::GuardrailSettingsStore settings(database, config);
    guardrails::ClassifierHub hub(&secrets, &metrics);
    guardrails::GuardrailEvaluator evaluator(database, settings, hub, &metrics);

    const QString agent = test::createAgent(database, QStringLiteral("bench_agent"), 30, 3);
    // The flood: problems with their evaluation and job, as ProblemService writes them, in bulk.
    // Distinct texts (no cache hits): every job calls the provider.
    QElapsedTimer seedTimer;
    seedTimer.start();
    auto seeded = db::exec(
        database.connection(),
        QStringLiteral(
            "WITH ev AS (INSERT INTO guardrail_evaluations (id, content_id, content_type, agent_id, submitted_content)"
            " SELECT gen_random_uuid(), gen_random_uuid(), 'problem', ?::uuid,"
            "  jsonb_build_object('title', 'Bench problem ' || g, 'description', 'Wells for village number ' || g || ' in the valley.')"
            " FROM generate_series(1, ?) g RETURNING id, content_id, submitted_content),"
            " pr AS (INSERT INTO problems (id, reported_by_agent_id, title, description, domain, severity, guardrail_evaluation_id)"
            " SELECT content_id, ?::uuid, submitted_content->>'title', submitted_content->>'description', 'clean_water_sanitation', 'high', id FROM ev)"
            " INSERT INTO jobs (queue, kind, payload) SELECT 'guardrail-evaluation', 'evaluate', jsonb_build_object('evaluationId', id) FROM ev"),
        {agent, jobs, agent});
    if (!seeded) {
        std::fprintf(stderr, "seed: %s\n", qPrintable(seeded.error().message));
        return 1;
    }
    std::printf("seeded %d problems + evaluations + jobs in %lld ms\n", jobs, seedTimer.elapsed());

    std::mutex runsMutex;
    std::vector<Run> runs;
    QHash<QString, qint64> started; // evaluation id → handler start
    QElapsedTimer clock;
    clock.start();
    auto inner = guardrails::makeEvaluationHandler(evaluator);
    jobs::JobSystem queue(database, metrics, QStringLiteral("bench-node"));
    queue.registerHandler(guardrails::kEvaluationQueue, guardrails::kEvaluateKind,
                          [&](const jobs::Job &job, jobs::JobContext &ctx) -> Status {
                              Run r{clock.nsecsElapsed(), 0, QThread::currentThreadId()};
                              {
                                  std::lock_guard lock(runsMutex);
                                  started.insert(job.payload.value("evaluationId").toString(), r.startNs);
                              }
                              Status s = inner(job, ctx);
                              r.endNs = clock.nsecsElapsed();
                              std::lock_guard lock(runsMutex);
                              runs.push_back(r);
                              return s;
                          });
    jobs::QueueSettings qs;
    qs.concurrency = concurrency;
    queue.setQueueSettings(guardrails::kEvaluationQueue, qs);

    const qint64 floodStart = clock.nsecsElapsed();
    if (Status s = queue.start(); !s) {
        std::fprintf(stderr, "jobs: %s\n", qPrintable(s.error().message));
        return 1;
    }
    while (scalar(database, QStringLiteral("SELECT count(*) FROM guardrail_evaluations WHERE final_decision IS NULL")) > 0)
        QThread::msleep(200);
    const double totalS = (clock.nsecsElapsed() - floodStart) / 1e9;
    const double idealS = double(jobs) * latencyMs / 1000.0 / concurrency;

    std::vector<Run> flood;
    {
        std::lock_guard lock(runsMutex);
        flood = runs;
        runs.clear();
    }
    // Per worker thread: the gaps between one handler's end and the next handler's start.
    std::sort(flood.begin(), flood.end(),
              [](const Run &a, const Run &b) { return a.thread != b.thread ? a.thread < b.thread : a.startNs < b.startNs; });
    std::vector<double> gapsMs, handlerMs, firstStartMs;
    double handlerTotalS = 0;
    for (size_t i = 0; i < flood.size(); ++i) {
        handlerMs.push_back((flood[i].endNs - flood[i].startNs) / 1e6);
        handlerTotalS += (flood[i].endNs - flood[i].startNs) / 1e9;
        if (i > 0 && flood[i].thread == flood[i - 1].thread)
            gapsMs.push_back((flood[i].startNs - flood[i - 1].endNs) / 1e6);
        else
            firstStartMs.push_back((flood[i].startNs - floodStart) / 1e6);
    }
    // The queue's own cost per job: a worker's time between two handlers (claim the next job,
    // record the finished one). Also the aggregate: slot time outside handlers over the whole
    // run (includes start-up and the tail where fewer jobs than workers remain) / jobs.
    double gapSum = 0;
    for (const double g : gapsMs)
        gapSum += g;
    const double overheadMsPerJob = gapsMs.empty() ? 0 : gapSum / double(gapsMs.size());
    const double aggregateOverheadMs = (totalS * concurrency - handlerTotalS) / double(jobs) * 1000.0;
    const double handlerOverheadMs = percentile(handlerMs, 0.5) - latencyMs; // evaluator work around the call

    // Trickle: one job at a time to idle workers; pickup = handler start − commit of the enqueue
    // (NOTIFY wake-up, claim, job start). Spaced so that fewer jobs run than there are workers.
    std::vector<double> pickupMs;
    for (int i = 0; i < trickle; ++i) {
        auto q = db::exec(
            database.connection(),
            QStringLiteral(
                "WITH ev AS (INSERT INTO guardrail_evaluations (content_id, content_type, agent_id, submitted_content, origin)"
                " VALUES (gen_random_uuid(), 'problem', ?::uuid, jsonb_build_object('title', 'Trickle ' || ?::text), 'api') RETURNING id),"
                " jb AS (INSERT INTO jobs (queue, kind, payload) SELECT 'guardrail-evaluation', 'evaluate', jsonb_build_object('evaluationId', id) FROM ev)"
                " SELECT id::text FROM ev"),
            {agent, QString::number(i)});
        const qint64 committed = clock.nsecsElapsed();
        if (!q || !q->next())
            return 1;
        const QString id = q->value(0).toString();
        for (int w = 0; w < 20000; ++w) {
            {
                std::lock_guard lock(runsMutex);
                if (auto it = started.constFind(id); it != started.constEnd()) {
                    pickupMs.push_back((*it - committed) / 1e6);
                    break;
                }
            }
            QThread::usleep(100);
        }
        QThread::msleep(std::max(20, latencyMs / concurrency + 50));
    }
    // Collect what finished after the last wait.
    while (scalar(database, QStringLiteral("SELECT count(*) FROM guardrail_evaluations WHERE final_decision IS NULL")) > 0)
        QThread::msleep(100);
    queue.stop(10000);

    const int decided = scalar(
        database,
        QStringLiteral(
            "SELECT count(*) FROM guardrail_evaluations WHERE final_decision IS NOT NULL AND submitted_content <> '{}'::jsonb"));
    std::printf("\nGuardrail queue benchmark: %d jobs, provider latency %d ms, concurrency %d\n", jobs, latencyMs, concurrency);
    std::printf("  total time                     %8.1f s   (ideal %.1f s, %.2f%% over)\n", totalS, idealS,
                (totalS / idealS - 1) * 100);
    std::printf(
        "  queue overhead per job         %8.2f ms  (mean worker gap between jobs; aggregate incl. start-up and tail %.2f ms)\n",
        overheadMsPerJob, aggregateOverheadMs);
    std::printf("  worker gap between jobs  p50   %8.2f ms   p95 %.2f ms\n", percentile(gapsMs, 0.5), percentile(gapsMs, 0.95));
    std::printf("  first pickup after start p50   %8.2f ms   p95 %.2f ms\n", percentile(firstStartMs, 0.5),
                percentile(firstStartMs, 0.95));
    std::printf("  handler (evaluator) p50        %8.2f ms   (%.2f ms around the provider call)\n", percentile(handlerMs, 0.5),
                handlerOverheadMs);
    std::printf("  pickup latency, idle workers   p50 %.2f ms   p95 %.2f ms   (%zu trickled jobs)\n", percentile(pickupMs, 0.5),
                percentile(pickupMs, 0.95), pickupMs.size());
    std::printf("  evaluations decided            %d; provider max concurrency %d\n", decided, llm.stats().maxConcurrent);
    const QJsonObject summary{{"jobs", jobs},
                              {"latencyMs", latencyMs},
                              {"concurrency", concurrency},
                              {"totalSeconds", totalS},
                              {"idealSeconds", idealS},
                              {"overheadMsPerJob", overheadMsPerJob},
                              {"aggregateOverheadMsPerJob", aggregateOverheadMs},
                              {"gapP50Ms", percentile(gapsMs, 0.5)},
                              {"gapP95Ms", percentile(gapsMs, 0.95)},
                              {"pickupP50Ms", percentile(pickupMs, 0.5)},
                              {"pickupP95Ms", percentile(pickupMs, 0.95)},
                              {"handlerP50Ms", percentile(handlerMs, 0.5)},
                              {"decided", decided}};
    std::printf("%s\n", QJsonDocument(summary).toJson(QJsonDocument::Compact).constData());
    database.releaseThisThread();
    return decided == jobs + trickle ? 0 : 2;
}
