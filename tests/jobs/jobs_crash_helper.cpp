// Test helper for tst_jobcrash: one "node" in its own process. Runs a JobSystem whose handler
// (queue "crash", kind "sleepy") prints "START <jobId> <attempt>", sleeps, then records a side
// effect row. Prints "LEADER" once it holds cron leadership. The test SIGKILLs it mid-job.
//   jobs_crash_helper <postgres-url> <node-id> <lease-seconds> <sleep-ms>

#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/jobs/jobsystem.h"

#include <QCoreApplication>
#include <QTimer>

#include <cstdio>
#include <thread>

using namespace bw;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 5) {
        std::fprintf(stderr, "usage: jobs_crash_helper <url> <node-id> <lease-seconds> <sleep-ms>\n");
        return 2;
    }
    auto settings = db::ConnectionSettings::fromUrl(args.at(1));
    if (!settings) {
        std::fprintf(stderr, "bad url: %s\n", qPrintable(settings.error().message));
        return 2;
    }
    const QString node = args.at(2);
    const int lease = args.at(3).toInt();
    const int sleepMs = args.at(4).toInt();

    db::Database database(*settings);
    MetricsRegistry metrics;
    jobs::JobSystem system(database, metrics, node);
    system.registerHandler(QStringLiteral("crash"), QStringLiteral("sleepy"),
                           [&database, node, sleepMs](const jobs::Job &job, jobs::JobContext &ctx) -> Status {
                               std::printf("START %s %d\n", qPrintable(job.id), job.attempts);
                               std::fflush(stdout);
                               for (int slept = 0; slept < sleepMs && !ctx.cancelled(); slept += 20)
                                   std::this_thread::sleep_for(std::chrono::milliseconds(20));
                               auto r = db::exec(database.connection(),
                                                 QStringLiteral("INSERT INTO side_effects (job_id, node) VALUES (?::uuid, ?)"),
                                                 {job.id, node});
                               if (!r)
                                   return r.error();
                               return success();
                           });
    system.setQueueSettings(QStringLiteral("crash"), jobs::QueueSettings{.concurrency = 2, .leaseSeconds = lease});
    if (Status s = system.start(); !s) {
        std::fprintf(stderr, "start failed: %s\n", qPrintable(s.error().message));
        return 1;
    }
    QTimer leaderWatch;
    QObject::connect(&leaderWatch, &QTimer::timeout, &app, [&] {
        if (system.isLeader()) {
            std::printf("LEADER\n");
            std::fflush(stdout);
            leaderWatch.stop();
        }
    });
    leaderWatch.start(50);
    QTimer::singleShot(120000, &app, &QCoreApplication::quit); // never outlive a broken test
    const int rc = app.exec();
    system.stop(5000);
    database.releaseThisThread();
    return rc;
}
