#pragma once
// Recovery from the off-site copy alone: list the backups in the S3-compatible store, download one
// into the data directory (streamed, SHA-256 checked against the object's metadata), then restore
// it through RestoreService or restore-drill it into a scratch database like a local backup. Needs
// nothing but the store's settings and secret: no local backup files or catalogue rows. Blocking:
// call from a worker thread. One object per task (it holds no state between calls).

#include "server/core/config.h"
#include "server/core/result.h"
#include "server/ops/backupservice.h"
#include "server/ops/operation.h"
#include "server/ops/restoreservice.h"
#include "server/ops/s3client.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

namespace bw {
class SecretStore;
}

namespace bw::ops {

struct OffsiteBackup {
    QString key; // full object key, e.g. "betterworld/app-daily-20250101T030000Z-1a2b3c4d.dump"
    qint64 sizeBytes = 0;
    QDateTime lastModified;
    QString sha256;           // from the x-amz-meta-sha256 metadata; empty for uploads that predate it
    bool hasManifest = false; // <key>.manifest.json next to it (row counts, schema version)
    QString fileName() const; // the key without its prefix path
    QJsonObject toJson() const;
};

// A downloaded backup, ready to restore. The caller removes `path` (and later: extra files).
struct FetchedBackup {
    QString key;
    QString path;
    QString sha256;
    bool checksumVerified = false; // false only for old objects without a recorded checksum
    QJsonObject manifest;          // {} when the upload had none
    qint64 downloadMs = 0;
    qint64 sizeBytes = 0;
};

class OffsiteRecovery final {
public:
    // workDir: where downloads go (a folder in the data directory: same disk as the database, and
    // never /tmp, which may be too small or wiped). secrets: the keychain/file with s3-secret-access-key.
    OffsiteRecovery(BackupService &backups, OpsConfig config, SecretStore *secrets, QString workDir);

    // <dataDir>/offsite-downloads: the same disk as the database, not /tmp.
    static QString defaultWorkDir(const QString &dataDir);
    static QStringList restoreSteps(); // "download" + RestoreService::plannedSteps()
    static QStringList drillSteps();

    // Backups (*.dump objects) under s3/prefix, newest first, each with its checksum metadata.
    Result<QList<OffsiteBackup>> list(const OperationPtr &op = {});
    // The newest one; NotFound when the store holds none.
    Result<OffsiteBackup> latest(const OperationPtr &op = {});
    // Downloads `key` into workDir and checks it: size, then SHA-256 against the metadata (or the
    // manifest). On a mismatch the file is deleted and the error says so; nothing else is touched.
    Result<FetchedBackup> fetch(const QString &key, const OperationPtr &op = {});
    // fetch() then RestoreService::restore() from the file (request.file is filled in; the rest of
    // the request — confirmation, target, snapshot — is the caller's). The download is removed after.
    Result<RestoreResult> restore(const QString &key, RestoreService &restore, RestoreRequest request,
                                  const OperationPtr &op = {});
    // fetch() then a restore drill into a scratch database on the catalogue's server; row counts are
    // compared with the manifest when the upload wrote one. Audited as backup.offsite_drill_*.
    Result<DrillResult> drill(const QString &key, const OperationPtr &op = {});

private:
    Result<S3Config> s3Config();

    BackupService &m_backups;
    OpsConfig m_config;
    SecretStore *m_secrets;
    QString m_workDir;
};

} // namespace bw::ops
