#include "server/ops/archivekeeper.h"

#include "server/core/metrics.h"
#include "server/db/database.h"

#include <QJsonArray>
#include <QLoggingCategory>

namespace bw::ops {

namespace {
Q_LOGGING_CATEGORY(lcKeeper, "bw.ops.archive", QtInfoMsg)

QString iso(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODate);
}

} // namespace

QString RecoveryWindow::text() const
{
    if (!available)
        return QStringLiteral("not yet: %1").arg(reason);
    QString t = QStringLiteral("PITR possible from %1 to %2 (UTC)").arg(iso(from), iso(to));
    if (archivingFailing)
        t += QStringLiteral("; WAL archiving is failing, so the window no longer grows");
    return t;
}

QJsonObject RecoveryWindow::toJson() const
{
    return {{QStringLiteral("available"), available},
            {QStringLiteral("from"), available ? QJsonValue(iso(from)) : QJsonValue()},
            {QStringLiteral("to"), available ? QJsonValue(iso(to)) : QJsonValue()},
            {QStringLiteral("seconds"), double(seconds())},
            {QStringLiteral("reason"), available ? QJsonValue() : QJsonValue(reason)},
            {QStringLiteral("archivingFailing"), archivingFailing},
            {QStringLiteral("text"), text()}};
}

RecoveryWindow ArchiveKeeper::window(const ArchiveStatus &status, const Result<QJsonObject> &info)
{
    RecoveryWindow w;
    w.archivingFailing =
        status.lastFailedAt.isValid() && (!status.lastArchivedAt.isValid() || status.lastFailedAt > status.lastArchivedAt);
    if (!status.enabled) {
        w.reason = QStringLiteral("WAL archiving is not active on the database (archive_mode/archive_command)");
        return w;
    }
    if (!info) {
        w.reason = QStringLiteral("the archive repository cannot be read: %1").arg(info.error().message);
        return w;
    }
    const QJsonObject st = info->value(QStringLiteral("status")).toObject();
    const QJsonArray backups = info->value(QStringLiteral("backup")).toArray();
    if (backups.isEmpty()) {
        w.reason =
            st.value(QStringLiteral("code")).toInt() == 2 || st.value(QStringLiteral("code")).toInt() == 0
                ? QStringLiteral("no base backup in the archive yet (one is taken at start and re-checked every 10 "
                                 "minutes; `betterworld backup archive backup full` takes one now)")
                : QStringLiteral("the archive has no usable stanza (%1)").arg(st.value(QStringLiteral("message")).toString());
        return w;
    }
    qint64 oldestStop = -1;
    qint64 newestStop = -1;
    for (const QJsonValue &b : backups) {
        const qint64 stop = b.toObject().value(QStringLiteral("timestamp")).toObject().value(QStringLiteral("stop")).toInteger();
        oldestStop = oldestStop < 0 ? stop : qMin(oldestStop, stop);
        newestStop = qMax(newestStop, stop);
    }
    w.available = true;
    w.from = QDateTime::fromSecsSinceEpoch(oldestStop, Qt::UTC);
    w.to = QDateTime::fromSecsSinceEpoch(newestStop, Qt::UTC);
    if (status.lastArchivedAt.isValid() && status.lastArchivedAt > w.to)
        w.to = status.lastArchivedAt.toUTC();
    return w;
}

Result<QString> ArchiveKeeper::heal(ArchiveService &archive, const OperationPtr &op)
{
    QStringList done;
    auto stanza = archive.repairStanza(op);
    if (!stanza)
        return stanza.error();
    if (!stanza->isEmpty())
        done << *stanza;
    auto info = archive.info();
    if (!info)
        return info.error();
    if (info->value(QStringLiteral("backup")).toArray().isEmpty()) {
        qCInfo(lcKeeper) << "no base backup in the WAL archive: taking a full backup";
        auto b = archive.backup(QStringLiteral("full"), op);
        if (!b)
            return ApiError::make(b.error().kind, QStringLiteral("the first full base backup failed: %1").arg(b.error().message),
                                  b.error().details);
        done << QStringLiteral("full base backup %1 taken").arg(b->value(QStringLiteral("label")).toString());
    }
    return done.join(QStringLiteral("; "));
}

Result<RecoveryWindow> ArchiveKeeper::healEmbedded(const Config &config, db::Database &database, MetricsRegistry *metrics,
                                                   const OperationPtr &op)
{
    if (!config.embeddedDatabase() || !ArchiveService::wanted(config))
        return RecoveryWindow{.reason = QStringLiteral("WAL archiving is off")};
    ArchiveService archive = ArchiveService::forDatabase(config, database);
    auto healed = heal(archive, op);
    if (healed && !healed->isEmpty())
        qCInfo(lcKeeper).noquote() << "WAL archive repaired:" << *healed;
    auto status = ArchiveService::status(database.connection());
    if (!status)
        return status.error();
    const RecoveryWindow w = window(*status, archive.info());
    if (metrics)
        publish(*metrics, w);
    if (!healed) {
        qCWarning(lcKeeper).noquote() << "WAL archive: point-in-time recovery is not available:" << healed.error().message;
        return healed.error();
    }
    return w;
}

Result<QJsonObject> ArchiveKeeper::report(const Config &config, db::Database &database)
{
    if (!config.embeddedDatabase())
        return QJsonObject{
            {QStringLiteral("enabled"), false},
            {QStringLiteral("external"), true},
            {QStringLiteral("window"),
             RecoveryWindow{.reason = QStringLiteral("the database is external (%1): point-in-time recovery is the provider's "
                                                     "job (e.g. a managed PostgreSQL's PITR window)")
                                          .arg(database.settings().redactedUrl())}
                 .toJson()}};
    if (!ArchiveService::wanted(config))
        return QJsonObject{{QStringLiteral("enabled"), false},
                           {QStringLiteral("window"),
                            RecoveryWindow{.reason = QStringLiteral(
                                               "WAL archiving is off (backups/wal_archiving, or pgbackrest is not installed)")}
                                .toJson()}};
    auto status = ArchiveService::status(database.connection());
    if (!status)
        return status.error();
    ArchiveService archive = ArchiveService::forDatabase(config, database);
    const auto info = archive.info();
    QJsonObject o = status->toJson();
    if (info)
        o.insert(QStringLiteral("repository"), *info);
    else
        o.insert(QStringLiteral("repositoryError"), info.error().message);
    o.insert(QStringLiteral("window"), window(*status, info).toJson());
    return o;
}

void ArchiveKeeper::publish(MetricsRegistry &metrics, const RecoveryWindow &w)
{
    metrics.gauge(QStringLiteral("pitr_available"), QStringLiteral("1 when point-in-time recovery is possible now"))
        .set(w.available);
    metrics.gauge(QStringLiteral("pitr_window_seconds"), QStringLiteral("Length of the recoverable window"))
        .set(double(w.seconds()));
    metrics.gauge(QStringLiteral("pitr_window_start_timestamp_seconds"), QStringLiteral("Oldest recoverable time (Unix seconds)"))
        .set(w.available ? double(w.from.toSecsSinceEpoch()) : 0);
    metrics.gauge(QStringLiteral("pitr_window_end_timestamp_seconds"), QStringLiteral("Newest recoverable time (Unix seconds)"))
        .set(w.available ? double(w.to.toSecsSinceEpoch()) : 0);
}

} // namespace bw::ops
