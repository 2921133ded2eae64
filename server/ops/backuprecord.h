#pragma once
// Catalogue values of the ops tables (backups, restores): plain values, copy them across threads.

#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace bw::ops {

enum class BackupKind { Daily, Monthly, PreMigration, PreRestore, Manual };
QString kindName(BackupKind kind); // "daily", "monthly", "pre_migration", "pre_restore", "manual"
std::optional<BackupKind> parseKind(const QString &name);

struct BackupRecord {
    QString id;
    QString kind;
    QString status; // running | completed | failed | expired | deleted
    QString path;
    QString source; // redacted URL of the dumped database
    QString databaseName;
    qint64 sizeBytes = 0;
    QString sha256;
    QJsonObject tableCounts; // {"public.agents": 12}
    QString serverVersion;
    int schemaVersion = 0;
    QDateTime startedAt;
    QDateTime finishedAt;
    qint64 durationMs = 0;
    QDateTime verifiedAt;
    QString verifyStatus; // "" | ok | failed
    QString verifyDetail;
    QDateTime drilledAt;
    QString drillStatus;
    qint64 drillRestoreMs = 0;
    QString remoteUrl;
    QDateTime remoteVerifiedAt;
    QDateTime expiresAt;
    QString error;
    QString requestedBy;
    bool catalogued = true; // false: taken before the backups table existed (see BackupService::adopt)

    bool usable() const { return status == QLatin1StringView("completed"); }
    QJsonObject toJson() const;
};

struct VerifyResult {
    bool ok = false;
    QString detail; // why it failed, or "checksum ok, N archive entries"
    int tocEntries = 0;
    qint64 ms = 0;
};

struct DrillResult {
    bool ok = false;
    QString backupId;
    qint64 restoreMs = 0;  // pg_restore into the scratch database
    qint64 totalMs = 0;    // verify (or download) + create + restore + compare + drop
    qint64 downloadMs = 0; // off-site drills: fetching the copy from the store
    qint64 rtoMs = 0;      // the objective it is measured against
    bool withinRto = false;
    int tablesCompared = 0;
    QStringList mismatches; // "public.agents: backup 12, restored 11"
    QJsonObject toJson() const;
};

struct RetentionResult {
    QStringList expiredIds;
    QStringList removedFiles;
    QStringList errors;
};

} // namespace bw::ops
