#include "server/ops/restoreservice.h"

#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/ops/catalogue.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QThread>
#include <QUuid>

namespace bw::ops {

namespace {

Q_LOGGING_CATEGORY(lcRestore, "bw.ops.restore", QtInfoMsg)

// Ops tables whose rows outlive a restore: the restored database gets the current rows back.
const QStringList kCarriedTables = {QStringLiteral("backups"), QStringLiteral("restores"),
                                    QStringLiteral("deployment_environments"), QStringLiteral("deployments")};

class Scoped final {
public:
    explicit Scoped(db::ConnectionSettings s) : m_db(std::move(s)) {}
    ~Scoped() { m_db.releaseThisThread(); }
    QSqlDatabase connection() { return m_db.connection(); }

private:
    db::Database m_db;
};

db::ConnectionSettings unlimited(db::ConnectionSettings s)
{
    s.statementTimeoutMs = 0;
    s.idleInTransactionTimeoutMs = 0;
    s.applicationName = QStringLiteral("betterworld-ops");
    return s;
}

bool sameDatabase(const db::ConnectionSettings &a, const db::ConnectionSettings &b)
{
    return a.host == b.host && a.port == b.port && a.database == b.database;
}

QString stamp()
{
    return QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd'T'HHmmss"));
}

// What the restored database must get back from the current one (the ops history).
struct CarryOver {
    QMap<QString, QString> tables; // table → json array of its rows
    QString audit;                 // json array of audit rows since the backup
};

Result<CarryOver> readCarryOver(QSqlDatabase db, const QDateTime &since)
{
    CarryOver c;
    for (const QString &t : kCarriedTables) {
        auto q = db::exec(db, QStringLiteral("SELECT CASE WHEN to_regclass('%1') IS NULL THEN NULL ELSE "
                                             "(SELECT coalesce(json_agg(x), '[]')::text FROM %1 x) END")
                                  .arg(t));
        if (!q)
            return q.error();
        if (q->next() && !q->value(0).isNull())
            c.tables.insert(t, q->value(0).toString());
    }
    auto a = db::exec(db, QStringLiteral("SELECT coalesce(json_agg(a), '[]')::text FROM audit_log a WHERE at >= ?::timestamptz"),
                      {since.toUTC().toString(Qt::ISODateWithMs)});
    if (!a)
        return a.error();
    a->next();
    c.audit = a->value(0).toString();
    return c;
}

Status writeCarryOver(QSqlDatabase db, const CarryOver &c, QStringList *skipped)
{
    return db::inTransaction(db, [&]() -> Status {
        for (const QString &t : kCarriedTables) {
            if (!c.tables.contains(t))
                continue;
            auto exists = db::exec(db, QStringLiteral("SELECT to_regclass(?) IS NOT NULL"), {t});
            if (!exists)
                return exists.error();
            exists->next();
            if (!exists->value(0).toBool()) {
                *skipped << t; // an older schema without the ops tables
                continue;
            }
            const QString key = t == u"deployment_environments" ? QStringLiteral("name") : QStringLiteral("id");
            if (auto r = db::exec(
                    db,
                    QStringLiteral("DELETE FROM %1 WHERE %2 IN (SELECT %2 FROM json_populate_recordset(NULL::%1, ?::json))")
                        .arg(t, key),
                    {c.tables.value(t)});
                !r)
                return r.error();
            if (auto r =
                    db::exec(db, QStringLiteral("INSERT INTO %1 SELECT * FROM json_populate_recordset(NULL::%1, ?::json)").arg(t),
                             {c.tables.value(t)});
                !r)
                return r.error();
        }
        if (auto r = db::exec(
                db,
                QStringLiteral(
                    "INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id, before, after, ip, at) "
                    "SELECT j.actor_type, j.actor_id, j.action, j.target_type, j.target_id, j.before, j.after, j.ip, j.at "
                    "FROM json_populate_recordset(NULL::audit_log, ?::json) j WHERE NOT EXISTS (SELECT 1 FROM "
                    "audit_log a WHERE a.at = j.at AND a.action = j.action AND a.target_id IS NOT DISTINCT FROM "
                    "j.target_id) ORDER BY j.at, j.id"),
                {c.audit});
            !r)
            return r.error();
        return success();
    });
}

// Renames `current` away and `replacement` into its place. On failure the names are as before.
Status swapDatabases(const db::ConnectionSettings &server, const QString &current, const QString &replacement,
                     const QString &previous)
{
    Scoped admin(maintenanceSettings(server));
    QSqlDatabase db = admin.connection();
    const QString cur = quoteIdent(current);
    if (auto r = db::exec(db, QStringLiteral("ALTER DATABASE %1 WITH ALLOW_CONNECTIONS false").arg(cur)); !r)
        return r.error();
    const auto allowAgain = [&] { (void)db::exec(db, QStringLiteral("ALTER DATABASE %1 WITH ALLOW_CONNECTIONS true").arg(cur)); };
    // Sessions of this and every other node: they reconnect to the swapped-in database.
    QDeadlineTimer deadline(15000);
    while (true) {
        auto r = db::exec(db,
                          QStringLiteral("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                         "WHERE datname = ? AND pid <> pg_backend_pid()"),
                          {current});
        if (!r) {
            allowAgain();
            return r.error();
        }
        r->next();
        if (r->value(0).toInt() == 0)
            break;
        if (deadline.hasExpired()) {
            allowAgain();
            return ApiError::unavailable(QStringLiteral("sessions on %1 did not end").arg(current));
        }
        QThread::msleep(100);
    }
    if (auto r = db::exec(db, QStringLiteral("ALTER DATABASE %1 RENAME TO %2").arg(cur, quoteIdent(previous))); !r) {
        allowAgain();
        return r.error();
    }
    if (auto r = db::exec(db, QStringLiteral("ALTER DATABASE %1 RENAME TO %2").arg(quoteIdent(replacement), cur)); !r) {
        (void)db::exec(db, QStringLiteral("ALTER DATABASE %1 RENAME TO %2").arg(quoteIdent(previous), cur));
        allowAgain();
        return r.error();
    }
    return success();
}

} // namespace

QJsonObject RestoreResult::toJson() const
{
    return {{QStringLiteral("restoreId"), restoreId},
            {QStringLiteral("safetyBackupId"), safetyBackupId},
            {QStringLiteral("previousDatabase"), previousDatabase},
            {QStringLiteral("ms"), double(ms)}};
}

RestoreService::RestoreService(BackupService &backups, MaintenanceSwitch maintenance, PointInTimeSource pointInTime)
    : m_backups(backups), m_maintenance(std::move(maintenance)), m_pointInTime(std::move(pointInTime))
{
}

QStringList RestoreService::plannedSteps()
{
    return {QStringLiteral("confirm|Checking the request"),
            QStringLiteral("maintenance|Entering maintenance mode"),
            QStringLiteral("snapshot|Safety snapshot of the current state"),
            QStringLiteral("restore|Restoring into a new database"),
            QStringLiteral("verify|Verifying the restored data"),
            QStringLiteral("swap|Switching to the restored database"),
            QStringLiteral("finish|Leaving maintenance mode")};
}

Result<RestoreResult> RestoreService::restore(const RestoreRequest &req, const OperationPtr &opIn)
{
    const OperationPtr op = opIn ? opIn : Operation::create(QStringLiteral("restore"), plannedSteps());
    op->setPlanIfEmpty(plannedSteps());
    QElapsedTimer timer;
    timer.start();
    db::Database &cat = m_backups.catalogueDatabase();
    const db::ConnectionSettings target = unlimited(req.target ? *req.target : cat.settings());
    const bool catalogueIsTarget = sameDatabase(target, cat.settings());
    RestoreResult result;

    // 1. confirm
    op->beginStep(QStringLiteral("confirm"));
    if (req.confirmation != target.database)
        return ApiError::badRequest(QStringLiteral("type the database name '%1' to confirm the restore").arg(target.database));
    const int sources = int(!req.backupId.isEmpty()) + int(!req.file.isEmpty()) + int(req.targetTime.isValid());
    if (sources != 1)
        return ApiError::badRequest(QStringLiteral("choose exactly one of: a backup, a backup file, a point in time"));
    std::optional<BackupRecord> backup;
    QString archive = req.file;
    if (!req.backupId.isEmpty()) {
        auto b = m_backups.get(req.backupId);
        if (!b)
            return b.error();
        if (!b->usable())
            return ApiError::conflict(QStringLiteral("backup %1 is %2, not completed").arg(b->id, b->status));
        backup = *b;
        archive = b->path;
    }
    if (req.targetTime.isValid() && !m_pointInTime)
        return ApiError::badRequest(
            QStringLiteral("point-in-time restore needs WAL archiving (the embedded cluster with pgBackRest); "
                           "for an external database use your provider's point-in-time recovery"));
    if (!archive.isEmpty() && !QFileInfo::exists(archive))
        return ApiError::notFound(QStringLiteral("backup file %1 does not exist").arg(archive));
    if (backup) {
        op->message(QStringLiteral("verifying backup %1").arg(backup->id.left(8)));
        auto v = m_backups.verify(backup->id, Operation::create(QStringLiteral("verify")));
        if (!v)
            return v.error();
        if (!v->ok)
            return ApiError::conflict(QStringLiteral("backup %1 failed verification: %2").arg(backup->id, v->detail));
    }

    auto inserted = db::exec(
        cat.connection(),
        QStringLiteral("INSERT INTO restores (backup_id, target_time, source_file, target_database, requested_by) "
                       "VALUES (?::uuid, ?::timestamptz, nullif(?, ''), ?, ?) RETURNING id::text"),
        {backup ? QVariant(backup->id) : db::nullText(),
         req.targetTime.isValid() ? QVariant(req.targetTime.toUTC().toString(Qt::ISODateWithMs)) : db::nullText(),
         backup ? QString() : (req.sourceLabel.isEmpty() ? req.file : req.sourceLabel), target.database, req.requestedBy});
    if (!inserted)
        return inserted.error();
    inserted->next();
    result.restoreId = inserted->value(0).toString();
    QJsonArray steps;
    const auto record = [&](const QString &step, const QString &detail) {
        const QJsonObject entry{{QStringLiteral("step"), step},
                                {QStringLiteral("at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
                                {QStringLiteral("ms"), double(timer.elapsed())},
                                {QStringLiteral("detail"), detail}};
        steps.append(entry);
        (void)db::exec(cat.connection(), QStringLiteral("UPDATE restores SET steps = ?::jsonb WHERE id = ?::uuid"),
                       {QString::fromUtf8(QJsonDocument(steps).toJson(QJsonDocument::Compact)), result.restoreId});
        QJsonObject after = entry;
        after.insert(QStringLiteral("requested_by"), req.requestedBy);
        after.insert(QStringLiteral("backup_id"), backup ? backup->id : QString());
        (void)catalogue::audit(cat.connection(), QStringLiteral("restore.") + step, QStringLiteral("restore"), result.restoreId,
                               after);
    };
    const auto finishRow = [&](const QString &outcome, const QString &error) {
        (void)db::exec(
            cat.connection(),
            QStringLiteral("UPDATE restores SET outcome = ?, error = nullif(?, ''), finished_at = now(), measured_rto_ms = ?, "
                           "safety_backup_id = ?::uuid WHERE id = ?::uuid"),
            {outcome, error.left(4000), timer.elapsed(), db::textOrNull(result.safetyBackupId), result.restoreId});
    };
    record(QStringLiteral("requested"),
           backup                     ? QStringLiteral("backup %1").arg(backup->id)
           : req.targetTime.isValid() ? QStringLiteral("point in time %1").arg(req.targetTime.toUTC().toString(Qt::ISODate))
                                      : QStringLiteral("file %1").arg(req.sourceLabel.isEmpty() ? archive : req.sourceLabel));

    const QString restoring = QStringLiteral("%1_restoring_%2").arg(target.database.left(30), stamp());
    bool maintenanceOn = false;
    bool scratchExists = false;
    QString pitrDump;
    const auto cleanup = qScopeGuard([&] {
        if (scratchExists)
            (void)adminExec(target, QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(quoteIdent(restoring)));
        if (!pitrDump.isEmpty())
            QFile::remove(pitrDump);
        if (maintenanceOn && m_maintenance)
            m_maintenance(false);
    });
    const auto fail = [&](const ApiError &e) -> Result<RestoreResult> {
        const bool cancelled = Operation::isCancelled(e);
        record(cancelled ? QStringLiteral("cancelled") : QStringLiteral("failed"), e.message);
        finishRow(cancelled ? QStringLiteral("cancelled") : QStringLiteral("failed"), e.message);
        qCWarning(lcRestore).noquote() << "restore" << result.restoreId << (cancelled ? "cancelled" : "failed:") << e.message;
        op->finish();
        return e;
    };

    // 2. maintenance
    if (Status s = op->checkpoint(); !s)
        return fail(s.error());
    op->beginStep(QStringLiteral("maintenance"));
    if (m_maintenance) {
        m_maintenance(true);
        maintenanceOn = true;
    }
    record(QStringLiteral("maintenance"), QStringLiteral("writes paused"));

    // 3. safety snapshot of what is there now
    if (Status s = op->checkpoint(); !s)
        return fail(s.error());
    op->beginStep(QStringLiteral("snapshot"));
    if (req.safetySnapshot) {
        auto snap = m_backups.create(
            BackupKind::PreRestore, Operation::create(QStringLiteral("backup")),
            CreateOptions{.source = target, .requestedBy = req.requestedBy, .label = QStringLiteral("before-restore")});
        if (!snap)
            return fail(
                ApiError::internal(QStringLiteral("safety snapshot failed, nothing was changed: %1").arg(snap.error().message)));
        result.safetyBackupId = snap->id;
        record(QStringLiteral("snapshot"), QStringLiteral("backup %1").arg(snap->id));
    }

    // 4. restore into a new database
    if (Status s = op->checkpoint(); !s)
        return fail(s.error());
    op->beginStep(QStringLiteral("restore"));
    if (req.targetTime.isValid()) {
        auto dumped = m_pointInTime(req.targetTime, target.database, op);
        if (!dumped)
            return fail(dumped.error());
        pitrDump = *dumped;
        archive = pitrDump;
    }
    if (Status s = adminExec(target, QStringLiteral("CREATE DATABASE %1 TEMPLATE template0").arg(quoteIdent(restoring))); !s)
        return fail(s.error());
    scratchExists = true;
    db::ConnectionSettings restoringSettings = target;
    restoringSettings.database = restoring;
    if (Status s = m_backups.restoreArchive(archive, restoringSettings, op); !s)
        return fail(s.error());
    record(QStringLiteral("restore"), QStringLiteral("restored into %1").arg(restoring));

    // 5. verify before anything is switched
    if (Status s = op->checkpoint(); !s)
        return fail(s.error());
    op->beginStep(QStringLiteral("verify"));
    {
        Scoped restored(restoringSettings);
        auto counts = BackupService::tableCounts(restored.connection());
        if (!counts)
            return fail(counts.error());
        QStringList problems;
        const QJsonObject expected = backup ? backup->tableCounts : req.expectedTableCounts;
        {
            for (auto it = expected.constBegin(); it != expected.constEnd(); ++it) {
                const qint64 got = qint64(counts->value(it.key()).toDouble(-1));
                if (qint64(it.value().toDouble()) != got)
                    problems
                        << QStringLiteral("%1: backup %2, restored %3").arg(it.key()).arg(qint64(it.value().toDouble())).arg(got);
            }
        }
        if (!counts->contains(QStringLiteral("public.schema_migrations")))
            problems << QStringLiteral("the restored database has no schema_migrations table");
        if (!problems.isEmpty())
            return fail(ApiError::internal(
                QStringLiteral("the restored data does not match the backup: %1").arg(problems.join(QStringLiteral("; ")))));
        record(QStringLiteral("verify"), QStringLiteral("%1 tables checked").arg(counts->size()));
    }

    // 6. swap: the point of no return
    if (Status s = op->checkpoint(); !s)
        return fail(s.error());
    op->setCancellable(false);
    op->beginStep(QStringLiteral("swap"));
    std::optional<CarryOver> carry;
    if (catalogueIsTarget) {
        // Recorded just before the swap so that it includes this restore's own rows.
        record(QStringLiteral("swap"), QStringLiteral("switching %1 to the restored copy").arg(target.database));
        auto c = readCarryOver(cat.connection(),
                               backup ? backup->startedAt.addSecs(-60) : QDateTime::currentDateTimeUtc().addDays(-3650));
        if (!c)
            return fail(c.error());
        carry = *c;
    }
    cat.releaseThisThread(); // our own session on the database being renamed
    result.previousDatabase = QStringLiteral("%1_pre_restore_%2").arg(target.database.left(30), stamp());
    if (Status s = swapDatabases(target, target.database, restoring, result.previousDatabase); !s)
        return fail(ApiError::internal(
            QStringLiteral("switching databases failed; the current database is unchanged: %1").arg(s.error().message)));
    scratchExists = false;
    if (carry) {
        QStringList skipped;
        if (Status s = writeCarryOver(cat.connection(), *carry, &skipped); !s)
            qCWarning(lcRestore).noquote() << "could not carry the ops catalogue over:" << s.error().message;
        if (!skipped.isEmpty())
            qCWarning(lcRestore).noquote() << "the restored schema has no" << skipped << "table(s); their history stays in"
                                           << result.previousDatabase;
    }
    if (!catalogueIsTarget)
        record(QStringLiteral("swap"), QStringLiteral("%1 now holds the restored data").arg(target.database));

    // 7. leave maintenance
    op->beginStep(QStringLiteral("finish"));
    {
        Scoped check(target);
        auto ping = db::exec(check.connection(), QStringLiteral("SELECT count(*) FROM schema_migrations"));
        if (!ping)
            qCWarning(lcRestore).noquote() << "the restored database does not answer:" << ping.error().message;
    }
    if (!req.keepPrevious) {
        if (Status s = adminExec(
                target, QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(quoteIdent(result.previousDatabase)));
            !s)
            qCWarning(lcRestore).noquote() << "could not drop" << result.previousDatabase << ":" << s.error().message;
    }
    if (maintenanceOn && m_maintenance) {
        m_maintenance(false);
        maintenanceOn = false;
    }
    result.ms = timer.elapsed();
    record(QStringLiteral("finished"), QStringLiteral("service restored after %1 s").arg(result.ms / 1000.0, 0, 'f', 1));
    finishRow(QStringLiteral("succeeded"), QString());
    qCInfo(lcRestore).noquote() << "restore" << result.restoreId << "succeeded in" << result.ms << "ms";
    op->finish();
    return result;
}

} // namespace bw::ops
