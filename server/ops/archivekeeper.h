#pragma once
// Keeps point-in-time recovery there, and says how far it reaches. The WAL archive is only useful
// with a stanza that matches the cluster and at least one base backup; a first run stopped before
// its base backup finished, a removed repository or a PostgreSQL upgrade each leave PITR silently
// missing. heal() repairs whatever is missing (at start and every ten minutes, as the
// "wal-archive-check" ops job), window() says what can be recovered now ("from … to …", or "not
// yet: …"), publish() puts it into /metrics, where the sampler records it for the
// NoPointInTimeRecovery alert. Blocking (runs pgbackrest): worker threads only.

#include "server/core/config.h"
#include "server/core/result.h"
#include "server/ops/archiveservice.h"

#include <QDateTime>
#include <QJsonObject>

namespace bw {
class MetricsRegistry;
namespace db {
class Database;
}
} // namespace bw

namespace bw::ops {

struct RecoveryWindow {
    bool available = false;
    QDateTime from;                // end of the oldest base backup
    QDateTime to;                  // the newest archived WAL (or the newest base backup's end)
    QString reason;                // why not, when !available
    bool archivingFailing = false; // the archiver failed after its last success: `to` stops growing
    qint64 seconds() const { return available ? from.secsTo(to) : 0; }
    QString text() const; // "PITR possible from … to … (UTC)" or "not yet: …"
    QJsonObject toJson() const;
};

class ArchiveKeeper final {
public:
    // status: pg_stat_archiver; info: pgbackrest info of the stanza (or why it failed).
    static RecoveryWindow window(const ArchiveStatus &status, const Result<QJsonObject> &info);
    // Creates the stanza (or upgrades it after a PostgreSQL upgrade) when the repository lacks it,
    // and takes a full base backup when there is none. Returns what it did; "" when all was well.
    static Result<QString> heal(ArchiveService &archive, const OperationPtr &op = {});
    // heal() for the embedded cluster of config, then the window; publishes it when metrics is set.
    static Result<RecoveryWindow> healEmbedded(const Config &config, db::Database &database, MetricsRegistry *metrics,
                                               const OperationPtr &op = {});
    // Everything `backup archive status`, the admin API and the Backups panel show: the archiver's
    // counters, the repository, the window — or why there is no archive (external database, off).
    static Result<QJsonObject> report(const Config &config, db::Database &database);
    // Gauges pitr_available, pitr_window_seconds, pitr_window_start/end_timestamp_seconds.
    static void publish(MetricsRegistry &metrics, const RecoveryWindow &window);
};

} // namespace bw::ops
