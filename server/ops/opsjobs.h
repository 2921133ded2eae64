#pragma once
// The scheduled operations (operations.md): daily logical backup 03:00 UTC (+ retention and the
// off-site copy when S3 is configured), monthly backup on the 1st, weekly integrity check, monthly
// restore drill, and pgBackRest base backups (weekly full, daily differential, and a check every
// 10 minutes that the archive can recover) for the embedded cluster. Given as data plus one dispatcher, so the job system registers them without bw_ops
// depending on it:
//   for (const ops::OpsSchedule &s : ops::OpsJobs::schedules(config))
//       jobs.addSchedule(s.name, s.cron, s.queue, s.kind);
//   for (const QString &kind : ops::OpsJobs::kinds())
//       jobs.registerHandler(ops::OpsJobs::kQueue, kind, [&opsJobs](const jobs::Job &j, jobs::JobContext &c) {
//           return opsJobs.run(j.kind, j.payload, [&c] { return c.cancelled(); });
//       });
// run() blocks; it is called on a job worker thread (its own DB connection).

#include "server/core/config.h"
#include "server/core/result.h"

#include <QJsonObject>
#include <QList>

#include <functional>

namespace bw {
class MetricsRegistry;
class SecretStore;
namespace db {
class Database;
}
} // namespace bw

namespace bw::ops {

struct OpsSchedule {
    QString name;
    QString cron; // 5 fields, UTC
    QString queue;
    QString kind;
};

class OpsJobs final {
public:
    static constexpr auto kQueue = "ops";
    // Repairs the WAL archive (stanza, first base backup) and publishes the PITR window: every 10
    // minutes, and enqueued at start (ArchiveKeeper).
    static constexpr auto kArchiveCheck = "wal-archive-check";
    static QList<OpsSchedule> schedules(const Config &config); // WAL base backups only when archiving is on
    static QStringList kinds();

    OpsJobs(db::Database &database, Config config, SecretStore *secrets, MetricsRegistry *metrics);
    // A failed restore drill or verification returns an error with details {"retry": false}
    // (straight to the dead letter, where the panels show it) after logging it as critical.
    Status run(const QString &kind, const QJsonObject &payload, const std::function<bool()> &cancelled);

private:
    db::Database &m_database;
    Config m_config;
    SecretStore *m_secrets;
    MetricsRegistry *m_metrics;
};

} // namespace bw::ops
