#include "server/ops/catalogue.h"

#include "server/db/sql.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlRecord>
#include <QStringList>
#include <QSysInfo>

#include <cerrno>
#include <signal.h>
#include <unistd.h>

namespace bw::ops {

QString kindName(BackupKind kind)
{
    switch (kind) {
    case BackupKind::Daily:
        return QStringLiteral("daily");
    case BackupKind::Monthly:
        return QStringLiteral("monthly");
    case BackupKind::PreMigration:
        return QStringLiteral("pre_migration");
    case BackupKind::PreRestore:
        return QStringLiteral("pre_restore");
    case BackupKind::Manual:
        return QStringLiteral("manual");
    }
    return QStringLiteral("manual");
}

std::optional<BackupKind> parseKind(const QString &name)
{
    for (BackupKind k :
         {BackupKind::Daily, BackupKind::Monthly, BackupKind::PreMigration, BackupKind::PreRestore, BackupKind::Manual}) {
        if (kindName(k) == name)
            return k;
    }
    return std::nullopt;
}

namespace {
QString iso(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}
} // namespace

QJsonObject BackupRecord::toJson() const
{
    QJsonObject o{{QStringLiteral("id"), id},
                  {QStringLiteral("kind"), kind},
                  {QStringLiteral("status"), status},
                  {QStringLiteral("path"), path},
                  {QStringLiteral("source"), source},
                  {QStringLiteral("database"), databaseName},
                  {QStringLiteral("sizeBytes"), double(sizeBytes)},
                  {QStringLiteral("sha256"), sha256},
                  {QStringLiteral("schemaVersion"), schemaVersion},
                  {QStringLiteral("serverVersion"), serverVersion},
                  {QStringLiteral("startedAt"), iso(startedAt)},
                  {QStringLiteral("finishedAt"), iso(finishedAt)},
                  {QStringLiteral("durationMs"), double(durationMs)},
                  {QStringLiteral("verifiedAt"), iso(verifiedAt)},
                  {QStringLiteral("verifyStatus"), verifyStatus},
                  {QStringLiteral("verifyDetail"), verifyDetail},
                  {QStringLiteral("drilledAt"), iso(drilledAt)},
                  {QStringLiteral("drillStatus"), drillStatus},
                  {QStringLiteral("drillRestoreMs"), double(drillRestoreMs)},
                  {QStringLiteral("remoteUrl"), remoteUrl},
                  {QStringLiteral("remoteVerifiedAt"), iso(remoteVerifiedAt)},
                  {QStringLiteral("expiresAt"), iso(expiresAt)},
                  {QStringLiteral("error"), error},
                  {QStringLiteral("requestedBy"), requestedBy}};
    o.insert(QStringLiteral("tableCounts"), tableCounts);
    return o;
}

QJsonObject DrillResult::toJson() const
{
    return {{QStringLiteral("ok"), ok},
            {QStringLiteral("backupId"), backupId},
            {QStringLiteral("restoreMs"), double(restoreMs)},
            {QStringLiteral("totalMs"), double(totalMs)},
            {QStringLiteral("downloadMs"), double(downloadMs)},
            {QStringLiteral("rtoMs"), double(rtoMs)},
            {QStringLiteral("withinRto"), withinRto},
            {QStringLiteral("tablesCompared"), tablesCompared},
            {QStringLiteral("mismatches"), QJsonArray::fromStringList(mismatches)}};
}

namespace catalogue {

namespace {

constexpr auto kColumns =
    "id::text, kind, status, path, source, database_name, coalesce(size_bytes, 0), coalesce(sha256, ''), "
    "coalesce(table_counts::text, '{}'), coalesce(server_version, ''), coalesce(schema_version, 0), started_at, "
    "finished_at, coalesce(duration_ms, 0), verified_at, coalesce(verify_status, ''), coalesce(verify_detail, ''), "
    "drilled_at, coalesce(drill_status, ''), coalesce(drill_restore_ms, 0), coalesce(remote_url, ''), "
    "remote_verified_at, expires_at, coalesce(error, ''), requested_by";

BackupRecord fromQuery(const QSqlQuery &q)
{
    BackupRecord r;
    int i = 0;
    r.id = q.value(i++).toString();
    r.kind = q.value(i++).toString();
    r.status = q.value(i++).toString();
    r.path = q.value(i++).toString();
    r.source = q.value(i++).toString();
    r.databaseName = q.value(i++).toString();
    r.sizeBytes = q.value(i++).toLongLong();
    r.sha256 = q.value(i++).toString();
    r.tableCounts = db::jsonObjectOrEmpty(q.value(i++).toString());
    r.serverVersion = q.value(i++).toString();
    r.schemaVersion = q.value(i++).toInt();
    r.startedAt = q.value(i++).toDateTime();
    r.finishedAt = q.value(i++).toDateTime();
    r.durationMs = q.value(i++).toLongLong();
    r.verifiedAt = q.value(i++).toDateTime();
    r.verifyStatus = q.value(i++).toString();
    r.verifyDetail = q.value(i++).toString();
    r.drilledAt = q.value(i++).toDateTime();
    r.drillStatus = q.value(i++).toString();
    r.drillRestoreMs = q.value(i++).toLongLong();
    r.remoteUrl = q.value(i++).toString();
    r.remoteVerifiedAt = q.value(i++).toDateTime();
    r.expiresAt = q.value(i++).toDateTime();
    r.error = q.value(i++).toString();
    r.requestedBy = q.value(i++).toString();
    return r;
}

QVariant nullableTime(const QDateTime &t)
{
    return t.isValid() ? QVariant(t.toUTC().toString(Qt::ISODateWithMs)) : db::nullText();
}

bool processAlive(qint64 pid)
{
    return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

} // namespace

Result<QString> insertRunning(QSqlDatabase db, const BackupRecord &r)
{
    auto q = db::exec(db,
                      QStringLiteral("INSERT INTO backups (kind, status, path, source, database_name, owner_host, owner_pid, "
                                     "requested_by) VALUES (?, 'running', ?, ?, ?, ?, ?, ?) RETURNING id::text"),
                      {r.kind, r.path, r.source, r.databaseName, QSysInfo::machineHostName(), qint64(::getpid()),
                       r.requestedBy.isEmpty() ? QStringLiteral("system") : r.requestedBy});
    if (!q)
        return q.error();
    q->next();
    return q->value(0).toString();
}

Result<bool> available(QSqlDatabase db)
{
    auto q = db::exec(db, QStringLiteral("SELECT to_regclass('backups') IS NOT NULL"));
    if (!q)
        return q.error();
    q->next();
    return q->value(0).toBool();
}

Status adopt(QSqlDatabase db, const BackupRecord &r)
{
    auto q = db::exec(
        db,
        QStringLiteral("INSERT INTO backups (id, kind, status, path, source, database_name, size_bytes, sha256, table_counts, "
                       "server_version, schema_version, started_at, finished_at, duration_ms, verified_at, verify_status, "
                       "verify_detail, expires_at, requested_by) VALUES (?::uuid, ?, 'completed', ?, ?, ?, ?, ?, ?::jsonb, ?, ?, "
                       "?::timestamptz, ?::timestamptz, ?, now(), 'ok', 'checked when written', ?::timestamptz, ?) "
                       "ON CONFLICT (id) DO NOTHING"),
        {r.id, r.kind, r.path, r.source, r.databaseName, r.sizeBytes, r.sha256,
         QString::fromUtf8(QJsonDocument(r.tableCounts).toJson(QJsonDocument::Compact)), r.serverVersion, r.schemaVersion,
         nullableTime(r.startedAt), nullableTime(r.finishedAt), r.durationMs, nullableTime(r.expiresAt), r.requestedBy});
    if (!q)
        return q.error();
    return success();
}

Status markCompleted(QSqlDatabase db, const BackupRecord &r)
{
    auto q =
        db::exec(db,
                 QStringLiteral("UPDATE backups SET status = 'completed', size_bytes = ?, sha256 = ?, table_counts = ?::jsonb, "
                                "server_version = ?, schema_version = ?, finished_at = now(), duration_ms = ?, "
                                "expires_at = ?::timestamptz, owner_pid = NULL, error = NULL WHERE id = ?::uuid"),
                 {r.sizeBytes, r.sha256, QString::fromUtf8(QJsonDocument(r.tableCounts).toJson(QJsonDocument::Compact)),
                  r.serverVersion, r.schemaVersion, r.durationMs, nullableTime(r.expiresAt), r.id});
    if (!q)
        return q.error();
    return success();
}

Status markFailed(QSqlDatabase db, const QString &id, const QString &error)
{
    auto q = db::exec(db,
                      QStringLiteral("UPDATE backups SET status = 'failed', error = ?, finished_at = now(), "
                                     "duration_ms = (extract(epoch FROM now() - started_at) * 1000)::bigint, owner_pid = NULL "
                                     "WHERE id = ?::uuid"),
                      {error.left(4000), id});
    if (!q)
        return q.error();
    return success();
}

Status recordVerify(QSqlDatabase db, const QString &id, const VerifyResult &v)
{
    auto q = db::exec(
        db, QStringLiteral("UPDATE backups SET verified_at = now(), verify_status = ?, verify_detail = ? WHERE id = ?::uuid"),
        {v.ok ? QStringLiteral("ok") : QStringLiteral("failed"), v.detail.left(4000), id});
    if (!q)
        return q.error();
    return success();
}

Status recordDrill(QSqlDatabase db, const QString &id, const DrillResult &d)
{
    auto q = db::exec(
        db, QStringLiteral("UPDATE backups SET drilled_at = now(), drill_status = ?, drill_restore_ms = ? WHERE id = ?::uuid"),
        {d.ok ? QStringLiteral("ok") : QStringLiteral("failed"), d.restoreMs, id});
    if (!q)
        return q.error();
    return success();
}

Status recordRemote(QSqlDatabase db, const QString &id, const QString &url)
{
    auto q = db::exec(db, QStringLiteral("UPDATE backups SET remote_url = ?, remote_verified_at = now() WHERE id = ?::uuid"),
                      {url, id});
    if (!q)
        return q.error();
    return success();
}

Result<QList<BackupRecord>> list(QSqlDatabase db, int limit, bool includeGone)
{
    auto q = db::exec(db,
                      QStringLiteral("SELECT %1 FROM backups %2 ORDER BY started_at DESC, id LIMIT ?")
                          .arg(QLatin1StringView(kColumns),
                               includeGone ? QString() : QStringLiteral("WHERE status NOT IN ('expired', 'deleted')")),
                      {limit});
    if (!q)
        return q.error();
    QList<BackupRecord> out;
    while (q->next())
        out << fromQuery(*q);
    return out;
}

Result<std::optional<BackupRecord>> get(QSqlDatabase db, const QString &id)
{
    static const QRegularExpression uuid(QStringLiteral("^[0-9a-fA-F-]{36}$"));
    if (!uuid.match(id).hasMatch()) {
        // A unique id prefix (as `backup list` prints) is accepted too.
        auto q = db::exec(
            db, QStringLiteral("SELECT %1 FROM backups WHERE id::text LIKE ? || '%' LIMIT 2").arg(QLatin1StringView(kColumns)),
            {id.toLower()});
        if (!q)
            return q.error();
        std::optional<BackupRecord> found;
        int n = 0;
        while (q->next()) {
            found = fromQuery(*q);
            ++n;
        }
        if (n > 1)
            return ApiError::badRequest(QStringLiteral("backup id prefix '%1' is ambiguous").arg(id));
        return found;
    }
    auto q = db::exec(db, QStringLiteral("SELECT %1 FROM backups WHERE id = ?::uuid").arg(QLatin1StringView(kColumns)), {id});
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<BackupRecord>{};
    return std::optional<BackupRecord>(fromQuery(*q));
}

Result<std::optional<BackupRecord>> latestCompleted(QSqlDatabase db, const QString &kind)
{
    auto q = db::exec(db,
                      QStringLiteral("SELECT %1 FROM backups WHERE status = 'completed' AND (coalesce(?, '') = '' OR kind = ?) "
                                     "ORDER BY started_at DESC LIMIT 1")
                          .arg(QLatin1StringView(kColumns)),
                      {kind, kind});
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<BackupRecord>{};
    return std::optional<BackupRecord>(fromQuery(*q));
}

Result<QStringList> failInterrupted(QSqlDatabase db, const QString &host)
{
    auto q = db::exec(
        db, QStringLiteral("SELECT id::text, path, coalesce(owner_pid, 0), owner_host, started_at < now() - interval '1 day' "
                           "FROM backups WHERE status = 'running'"));
    if (!q)
        return q.error();
    QStringList ids, paths;
    while (q->next()) {
        const bool sameHost = q->value(3).toString() == host;
        const bool stale = q->value(4).toBool();
        if ((sameHost && !processAlive(q->value(2).toLongLong())) || stale) {
            ids << q->value(0).toString();
            paths << q->value(1).toString();
        }
    }
    for (const QString &id : std::as_const(ids)) {
        if (Status s = markFailed(db, id,
                                  QStringLiteral("interrupted: the process running this backup ended before it "
                                                 "completed; its partial file was removed"));
            !s)
            return s.error();
    }
    return paths;
}

Result<QStringList> runningPaths(QSqlDatabase db)
{
    auto q = db::exec(db, QStringLiteral("SELECT path FROM backups WHERE status = 'running'"));
    if (!q)
        return q.error();
    QStringList out;
    while (q->next())
        out << q->value(0).toString();
    return out;
}

Result<QList<QPair<QString, QString>>> expire(QSqlDatabase db)
{
    auto q = db::exec(
        db, QStringLiteral("UPDATE backups SET status = 'expired' WHERE status = 'completed' AND expires_at < now() "
                           "AND id <> (SELECT id FROM backups WHERE status = 'completed' ORDER BY started_at DESC LIMIT 1) "
                           "RETURNING id::text, path"));
    if (!q)
        return q.error();
    QList<QPair<QString, QString>> out;
    while (q->next())
        out << qMakePair(q->value(0).toString(), q->value(1).toString());
    return out;
}

Result<qint64> recentSize(QSqlDatabase db, const QString &databaseName)
{
    auto q = db::exec(db,
                      QStringLiteral("SELECT coalesce(max(size_bytes), 0) FROM (SELECT size_bytes FROM backups WHERE status = "
                                     "'completed' AND database_name = ? ORDER BY started_at DESC LIMIT 3) s"),
                      {databaseName});
    if (!q)
        return q.error();
    q->next();
    return q->value(0).toLongLong();
}

Status audit(QSqlDatabase db, const QString &action, const QString &targetType, const QString &targetId, const QJsonObject &after)
{
    auto q = db::exec(db,
                      QStringLiteral("INSERT INTO audit_log (actor_type, action, target_type, target_id, after) "
                                     "VALUES ('system', ?, ?, ?, ?::jsonb)"),
                      {action, targetType, targetId, QString::fromUtf8(QJsonDocument(after).toJson(QJsonDocument::Compact))});
    if (!q)
        return q.error();
    return success();
}

Status auditByModerator(QSqlDatabase db, const QString &moderatorId, const QString &ip, const QString &action,
                        const QString &targetType, const QString &targetId, const QJsonObject &after)
{
    auto q = db::exec(
        db,
        QStringLiteral("INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id, after, ip) "
                       "VALUES ('moderator', ?::uuid, ?, ?, ?, ?::jsonb, NULLIF(?, '')::inet)"),
        {moderatorId, action, targetType, targetId, QString::fromUtf8(QJsonDocument(after).toJson(QJsonDocument::Compact)), ip});
    if (!q)
        return q.error();
    return success();
}

} // namespace catalogue
} // namespace bw::ops
