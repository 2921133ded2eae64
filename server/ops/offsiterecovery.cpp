#include "server/ops/offsiterecovery.h"

#include "server/db/database.h"
#include "server/ops/catalogue.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSet>
#include <QStorageInfo>
#include <QUuid>

#include <algorithm>

namespace bw::ops {

namespace {

Q_LOGGING_CATEGORY(lcOffsite, "bw.ops.offsite", QtInfoMsg)

const QString kDumpSuffix = QStringLiteral(".dump");

bool isSha256Hex(const QString &s)
{
    static const QRegularExpression hex(QStringLiteral("^[0-9a-f]{64}$"));
    return hex.match(s).hasMatch();
}

} // namespace

QString OffsiteBackup::fileName() const
{
    return key.section(u'/', -1);
}

QJsonObject OffsiteBackup::toJson() const
{
    return {{QStringLiteral("key"), key},
            {QStringLiteral("fileName"), fileName()},
            {QStringLiteral("sizeBytes"), double(sizeBytes)},
            {QStringLiteral("lastModified"), lastModified.toUTC().toString(Qt::ISODate)},
            {QStringLiteral("sha256"), sha256},
            {QStringLiteral("hasManifest"), hasManifest}};
}

OffsiteRecovery::OffsiteRecovery(BackupService &backups, OpsConfig config, SecretStore *secrets, QString workDir)
    : m_backups(backups), m_config(std::move(config)), m_secrets(secrets), m_workDir(std::move(workDir))
{
}

QString OffsiteRecovery::defaultWorkDir(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("offsite-downloads"));
}

QStringList OffsiteRecovery::restoreSteps()
{
    return QStringList{QStringLiteral("download|Downloading the backup from off-site storage")} + RestoreService::plannedSteps();
}

QStringList OffsiteRecovery::drillSteps()
{
    return {QStringLiteral("download|Downloading the backup from off-site storage"),
            QStringLiteral("create|Creating a scratch database"), QStringLiteral("restore|Restoring into it (pg_restore)"),
            QStringLiteral("compare|Comparing row counts"), QStringLiteral("cleanup|Dropping the scratch database")};
}

Result<S3Config> OffsiteRecovery::s3Config()
{
    if (!m_secrets)
        return ApiError::internal(QStringLiteral("no secret store for the S3 secret key"));
    auto c = s3ConfigFrom(m_config, *m_secrets);
    if (!c)
        return c.error();
    if (!c->isComplete())
        return ApiError::badRequest(
            QStringLiteral("off-site storage is not configured: set s3/endpoint, s3/bucket, s3/access_key_id and the secret "
                           "s3-secret-access-key (BW_SECRET_S3_SECRET_ACCESS_KEY on a headless machine)"));
    return c;
}

Result<QList<OffsiteBackup>> OffsiteRecovery::list(const OperationPtr &op)
{
    auto config = s3Config();
    if (!config)
        return config.error();
    S3Client s3(*config);
    auto entries = s3.list(m_config.s3Prefix, op);
    if (!entries)
        return entries.error();
    QSet<QString> manifests;
    for (const S3ListEntry &e : std::as_const(*entries)) {
        if (e.key.endsWith(QStringLiteral(".manifest.json")))
            manifests.insert(e.key);
    }
    QList<OffsiteBackup> out;
    for (const S3ListEntry &e : std::as_const(*entries)) {
        if (!e.key.endsWith(kDumpSuffix))
            continue;
        OffsiteBackup b;
        b.key = e.key;
        b.sizeBytes = e.size;
        b.lastModified = e.lastModified;
        b.hasManifest = manifests.contains(offsiteManifestKey(e.key));
        // Listings carry no user metadata: one HEAD per backup (a pilot keeps tens of them).
        if (op && op->cancelRequested() && !op->checkpoint())
            return Operation::cancelledError();
        auto head = s3.head(e.key);
        if (head) {
            const QString sha = QString::fromLatin1(head->metadata.value("sha256")).toLower();
            if (isSha256Hex(sha))
                b.sha256 = sha;
        } else {
            qCWarning(lcOffsite).noquote() << "HEAD" << e.key << "failed:" << head.error().message;
        }
        out << b;
    }
    std::sort(out.begin(), out.end(), [](const OffsiteBackup &a, const OffsiteBackup &b) {
        return a.lastModified != b.lastModified ? a.lastModified > b.lastModified : a.key > b.key;
    });
    return out;
}

Result<OffsiteBackup> OffsiteRecovery::latest(const OperationPtr &op)
{
    auto all = list(op);
    if (!all)
        return all.error();
    if (all->isEmpty())
        return ApiError::notFound(
            QStringLiteral("there is no backup under %1 in the off-site bucket %2").arg(m_config.s3Prefix, m_config.s3Bucket));
    return all->first();
}

Result<FetchedBackup> OffsiteRecovery::fetch(const QString &key, const OperationPtr &opIn)
{
    const OperationPtr op = opIn ? opIn : quietOperation(QStringLiteral("download"));
    if (!key.endsWith(kDumpSuffix))
        return ApiError::badRequest(
            QStringLiteral("%1 is not a backup (a .dump object); see `betterworld backup offsite list`").arg(key));
    auto config = s3Config();
    if (!config)
        return config.error();
    S3Client s3(*config);
    op->beginStep(QStringLiteral("download"));
    auto head = s3.head(key);
    if (!head)
        return head.error();
    FetchedBackup f;
    f.key = key;
    f.sizeBytes = head->size;
    f.sha256 = QString::fromLatin1(head->metadata.value("sha256")).toLower();
    // The manifest is optional (older uploads have none); it also carries the checksum.
    if (!QDir().mkpath(m_workDir))
        return ApiError::internal(QStringLiteral("cannot create %1").arg(m_workDir));
    const QString stem =
        QStringLiteral("%1/%2-%3").arg(m_workDir, QUuid::createUuid().toString(QUuid::Id128).left(8), QFileInfo(key).fileName());
    const QString manifestFile = stem + QStringLiteral(".manifest.json");
    if (s3.download(offsiteManifestKey(key), manifestFile, {})) {
        QFile m(manifestFile);
        if (m.open(QIODevice::ReadOnly))
            f.manifest = QJsonDocument::fromJson(m.read(1024 * 1024)).object();
        QFile::remove(manifestFile);
    }
    if (!isSha256Hex(f.sha256))
        f.sha256 = f.manifest.value(QStringLiteral("sha256")).toString().toLower();

    // Room for it: the download plus the restored database must fit (a rough check: twice the dump).
    const QStorageInfo disk(m_workDir);
    if (disk.isValid() && disk.bytesAvailable() < 2 * f.sizeBytes)
        return ApiError::unavailable(QStringLiteral("not enough free space in %1 for %2 (%3 bytes; %4 free)")
                                         .arg(m_workDir, key)
                                         .arg(f.sizeBytes)
                                         .arg(disk.bytesAvailable()));
    // A .partial name until the checksum passed: a crash never leaves a plausible-looking dump behind.
    const QString partial = stem + QStringLiteral(".partial");
    auto removePartial = qScopeGuard([&] { QFile::remove(partial); });
    op->message(QStringLiteral("downloading %1 (%2 bytes)").arg(key).arg(f.sizeBytes));
    QElapsedTimer timer;
    timer.start();
    if (Status s = s3.download(key, partial, op); !s)
        return s.error();
    f.downloadMs = timer.elapsed();
    if (Status s = op->checkpoint(); !s)
        return s.error();
    const QString actual = BackupService::sha256File(partial, op, nullptr);
    if (isSha256Hex(f.sha256)) {
        if (actual != f.sha256)
            return ApiError::conflict(
                QStringLiteral("the downloaded %1 does not match its recorded checksum (sha256 %2, expected %3): the off-site "
                               "copy is damaged; nothing was restored and the database is untouched. Try an older backup "
                               "(`betterworld backup offsite list`).")
                    .arg(key, actual.left(16), f.sha256.left(16)));
        f.checksumVerified = true;
    } else {
        qCWarning(lcOffsite).noquote() << key << "has no recorded SHA-256 (uploaded before checksums were stored);"
                                       << "relying on pg_restore to detect damage";
        f.sha256 = actual;
    }
    f.path = stem;
    if (!QFile::rename(partial, f.path))
        return ApiError::internal(QStringLiteral("cannot rename %1 to %2").arg(partial, f.path));
    removePartial.dismiss();
    op->message(QStringLiteral("downloaded %1 in %2 s, %3")
                    .arg(key)
                    .arg(f.downloadMs / 1000.0, 0, 'f', 1)
                    .arg(f.checksumVerified ? QStringLiteral("checksum ok") : QStringLiteral("no checksum recorded")));
    qCInfo(lcOffsite).noquote() << "downloaded" << key << f.sizeBytes << "bytes in" << f.downloadMs << "ms";
    return f;
}

Result<RestoreResult> OffsiteRecovery::restore(const QString &key, RestoreService &restore, RestoreRequest request,
                                               const OperationPtr &opIn)
{
    const OperationPtr op = opIn ? opIn : Operation::create(QStringLiteral("restore"), restoreSteps());
    op->setPlanIfEmpty(restoreSteps());
    // The cheap refusals first: a wrong confirmation must not cost a download.
    const QString database = request.target ? request.target->database : m_backups.catalogueDatabase().settings().database;
    if (request.confirmation != database)
        return ApiError::badRequest(QStringLiteral("type the database name '%1' to confirm the restore").arg(database));
    auto fetched = fetch(key, op);
    if (!fetched) {
        op->finish();
        return fetched.error();
    }
    // Only the dump today. Evidence files (humans.md) will be more objects under the dump's key
    // (<key>.files/…, found with S3Client::list): fetch() downloads them next to the dump in the
    // work folder, checks each against a checksum listed in the manifest, and returns their paths
    // in FetchedBackup; the request then carries that folder so the files are put in place after
    // the swap, and this guard removes the folder with the dump.
    const auto removeDownload = qScopeGuard([path = fetched->path] { QFile::remove(path); });
    request.backupId.clear();
    request.targetTime = {};
    request.file = fetched->path;
    request.sourceLabel = QStringLiteral("s3://%1/%2").arg(m_config.s3Bucket, key);
    request.expectedTableCounts = fetched->manifest.value(QStringLiteral("tableCounts")).toObject();
    return restore.restore(request, op);
}

Result<DrillResult> OffsiteRecovery::drill(const QString &key, const OperationPtr &opIn)
{
    const OperationPtr op = opIn ? opIn : Operation::create(QStringLiteral("drill"), drillSteps());
    op->setPlanIfEmpty(drillSteps());
    QElapsedTimer total;
    total.start();
    auto fetched = fetch(key, op);
    if (!fetched) {
        op->finish();
        return fetched.error();
    }
    const auto removeDownload = qScopeGuard([path = fetched->path] { QFile::remove(path); });
    db::Database &cat = m_backups.catalogueDatabase();
    auto d = m_backups.drillArchive(fetched->path, fetched->manifest.value(QStringLiteral("tableCounts")).toObject(),
                                    cat.settings(), op);
    if (!d)
        return d.error();
    d->backupId = fetched->manifest.value(QStringLiteral("id")).toString();
    d->ok = d->mismatches.isEmpty();
    d->totalMs = total.elapsed();
    d->withinRto = d->ok && d->totalMs <= d->rtoMs; // off-site: the download is part of the recovery time
    d->downloadMs = fetched->downloadMs;
    QJsonObject detail = d->toJson();
    detail.insert(QStringLiteral("key"), key);
    detail.insert(QStringLiteral("checksumVerified"), fetched->checksumVerified);
    (void)catalogue::audit(cat.connection(),
                           d->ok ? QStringLiteral("backup.offsite_drill_passed") : QStringLiteral("backup.offsite_drill_failed"),
                           QStringLiteral("backup"), d->backupId.isEmpty() ? key : d->backupId, detail);
    qCInfo(lcOffsite).noquote() << "off-site restore drill of" << key << (d->ok ? "passed" : "FAILED") << "download"
                                << fetched->downloadMs << "ms, restore" << d->restoreMs << "ms"
                                << d->mismatches.join(QStringLiteral("; "));
    op->finish();
    return d;
}

} // namespace bw::ops
