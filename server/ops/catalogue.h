#pragma once
// SQL for the ops catalogue (backups rows) and the audit log, on the caller's connection.
// Free functions; each runs on the calling thread's connection.

#include "server/core/result.h"
#include "server/ops/backuprecord.h"

#include <QJsonObject>
#include <QList>
#include <QSqlDatabase>

#include <optional>

namespace bw::ops::catalogue {

Result<QString> insertRunning(QSqlDatabase db, const BackupRecord &r); // returns the new id
// Inserts a completed backup taken while the table did not exist yet.
Status adopt(QSqlDatabase db, const BackupRecord &r);
Result<bool> available(QSqlDatabase db);                      // the backups table exists
Status markCompleted(QSqlDatabase db, const BackupRecord &r); // size, sha256, counts, versions, expiry
Status markFailed(QSqlDatabase db, const QString &id, const QString &error);
Status recordVerify(QSqlDatabase db, const QString &id, const VerifyResult &v);
Status recordDrill(QSqlDatabase db, const QString &id, const DrillResult &d);
Status recordRemote(QSqlDatabase db, const QString &id, const QString &url);

Result<QList<BackupRecord>> list(QSqlDatabase db, int limit, bool includeGone = false);
Result<std::optional<BackupRecord>> get(QSqlDatabase db, const QString &id);
// Newest completed backup (of `kind` when not empty).
Result<std::optional<BackupRecord>> latestCompleted(QSqlDatabase db, const QString &kind = {});
// 'running' rows of this host whose process is gone → failed; returns their final paths.
Result<QStringList> failInterrupted(QSqlDatabase db, const QString &host);
// Paths of rows running on live processes (their .partial files must not be touched).
Result<QStringList> runningPaths(QSqlDatabase db);
// completed rows past expires_at → expired, except the newest completed backup. Returns (id, path).
Result<QList<QPair<QString, QString>>> expire(QSqlDatabase db);
// Average dump size of the newest completed backups of a database (0 when none).
Result<qint64> recentSize(QSqlDatabase db, const QString &databaseName);

// Appends to audit_log as the system actor; `after` carries requested_by and the details.
Status audit(QSqlDatabase db, const QString &action, const QString &targetType, const QString &targetId,
             const QJsonObject &after);
// The same, as the administrator moderatorId (uuid) calling from ip ("" → NULL).
Status auditByModerator(QSqlDatabase db, const QString &moderatorId, const QString &ip, const QString &action,
                        const QString &targetType, const QString &targetId, const QJsonObject &after);

} // namespace bw::ops::catalogue
