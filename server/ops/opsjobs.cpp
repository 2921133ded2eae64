#include "server/ops/opsjobs.h"

#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/ops/archivekeeper.h"
#include "server/ops/backupservice.h"
#include "server/ops/s3client.h"

#include <QLoggingCategory>
#include <QThread>
#include <QTimer>

namespace bw::ops {

namespace {
Q_LOGGING_CATEGORY(lcOpsJobs, "bw.ops.jobs", QtInfoMsg)

ApiError noRetry(const QString &message)
{
    return ApiError::make(ErrorKind::Internal, message, QJsonObject{{QStringLiteral("retry"), false}});
}

// An Operation whose cancel() follows the job's shutdown flag, checked on every progress call.
OperationPtr jobOperation(const QString &name, const std::function<bool()> &cancelled)
{
    auto op = std::make_shared<OperationPtr>();
    *op = Operation::create(name, {}, [weak = std::weak_ptr<OperationPtr>(op), cancelled](const Progress &) {
        if (cancelled && cancelled())
            if (auto strong = weak.lock(); strong && *strong)
                (*strong)->cancel();
    });
    return *op;
}
} // namespace

QList<OpsSchedule> OpsJobs::schedules(const Config &config)
{
    const QString q = QString::fromLatin1(kQueue);
    QList<OpsSchedule> out{
        {QStringLiteral("backup-daily"), QStringLiteral("0 3 * * *"), q, QStringLiteral("backup-daily")},
        {QStringLiteral("backup-monthly"), QStringLiteral("30 3 1 * *"), q, QStringLiteral("backup-monthly")},
        {QStringLiteral("backup-verify-weekly"), QStringLiteral("0 5 * * 0"), q, QStringLiteral("backup-verify")},
        {QStringLiteral("restore-drill-monthly"), QStringLiteral("0 6 2 * *"), q, QStringLiteral("restore-drill")}};
    if (ArchiveService::wanted(config)) {
        out << OpsSchedule{QStringLiteral("wal-full-weekly"), QStringLiteral("0 1 * * 0"), q, QStringLiteral("wal-full")}
            << OpsSchedule{QStringLiteral("wal-diff-daily"), QStringLiteral("0 1 * * 1-6"), q, QStringLiteral("wal-diff")}
            << OpsSchedule{QStringLiteral("wal-archive-check"), QStringLiteral("*/10 * * * *"), q,
                           QString::fromLatin1(kArchiveCheck)};
    }
    return out;
}

QStringList OpsJobs::kinds()
{
    return {QStringLiteral("backup-daily"),    QStringLiteral("backup-monthly"), QStringLiteral("backup-verify"),
            QStringLiteral("restore-drill"),   QStringLiteral("wal-full"),       QStringLiteral("wal-diff"),
            QString::fromLatin1(kArchiveCheck)};
}

OpsJobs::OpsJobs(db::Database &database, Config config, SecretStore *secrets, MetricsRegistry *metrics)
    : m_database(database), m_config(std::move(config)), m_secrets(secrets), m_metrics(metrics)
{
}

Status OpsJobs::run(const QString &kind, const QJsonObject &, const std::function<bool()> &cancelled)
{
    BackupService backups(m_database, m_config.ops, m_config.backupDir(), m_config.pgBinDir, m_metrics);
    if (kind == u"backup-daily" || kind == u"backup-monthly") {
        auto b = backups.create(kind == u"backup-daily" ? BackupKind::Daily : BackupKind::Monthly,
                                jobOperation(QStringLiteral("backup"), cancelled));
        if (!b)
            return b.error();
        if (auto r = backups.enforceRetention(); !r)
            qCWarning(lcOpsJobs).noquote() << "retention:" << r.error().message;
        if (!m_config.ops.s3Endpoint.isEmpty() && m_secrets) {
            auto s3config = s3ConfigFrom(m_config.ops, *m_secrets);
            if (!s3config || !s3config->isComplete())
                return noRetry(QStringLiteral("backup %1 done, but the off-site copy is not configured completely (s3/* settings "
                                              "and the secret s3-secret-access-key)")
                                   .arg(b->id));
            S3Client s3(*s3config);
            if (auto url =
                    backups.copyOffsite(b->id, s3, m_config.ops.s3Prefix, jobOperation(QStringLiteral("offsite"), cancelled));
                !url)
                return ApiError::unavailable(
                    QStringLiteral("backup %1 done, off-site copy failed: %2").arg(b->id, url.error().message));
        }
        return success();
    }
    if (kind == u"backup-verify" || kind == u"restore-drill") {
        auto newest = backups.latest();
        if (!newest)
            return newest.error();
        if (!newest->has_value())
            return noRetry(QStringLiteral("there is no completed backup to check"));
        const QString id = (*newest)->id;
        if (kind == u"backup-verify") {
            auto v = backups.verify(id, jobOperation(QStringLiteral("verify"), cancelled));
            if (!v)
                return v.error();
            if (!v->ok) {
                qCCritical(lcOpsJobs).noquote() << "backup integrity check FAILED for" << id << ":" << v->detail;
                return noRetry(QStringLiteral("backup %1 failed verification: %2").arg(id, v->detail));
            }
            return success();
        }
        auto d = backups.drill(id, jobOperation(QStringLiteral("drill"), cancelled));
        if (!d)
            return d.error();
        if (m_metrics) {
            m_metrics->gauge(QStringLiteral("backup_restore_drill_ok"), QStringLiteral("1 when the last restore drill passed"))
                .set(d->ok ? 1 : 0);
            m_metrics
                ->gauge(QStringLiteral("backup_restore_drill_seconds"), QStringLiteral("Measured restore time of the last drill"))
                .set(double(d->restoreMs) / 1000.0);
        }
        if (!d->ok || !d->withinRto) {
            qCCritical(lcOpsJobs).noquote() << "restore drill FAILED for" << id << ":" << d->mismatches.join(QStringLiteral("; "))
                                            << "restore" << d->restoreMs << "ms, RTO" << d->rtoMs << "ms";
            return noRetry(QStringLiteral("restore drill of %1 failed (%2; restore %3 s vs RTO %4 s)")
                               .arg(id, d->mismatches.join(QStringLiteral("; ")))
                               .arg(d->restoreMs / 1000)
                               .arg(d->rtoMs / 1000));
        }
        return success();
    }
    if (kind == QLatin1StringView(kArchiveCheck)) {
        auto w = ArchiveKeeper::healEmbedded(m_config, m_database, m_metrics, jobOperation(QStringLiteral("wal"), cancelled));
        if (!w)
            return w.error();
        return success();
    }
    if (kind == u"wal-full" || kind == u"wal-diff") {
        if (!ArchiveService::wanted(m_config))
            return success();
        ArchiveService archive = ArchiveService::forDatabase(m_config, m_database);
        auto b = archive.backup(kind == u"wal-full" ? QStringLiteral("full") : QStringLiteral("diff"),
                                jobOperation(QStringLiteral("wal"), cancelled));
        if (!b)
            return b.error();
        return success();
    }
    return noRetry(QStringLiteral("unknown ops job kind '%1'").arg(kind));
}

} // namespace bw::ops
