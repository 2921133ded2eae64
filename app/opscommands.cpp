#include "app/opscommands.h"

#include "app/runtime.h"
#include "app/shutdownsignals.h"
#include "server/core/secretstore.h"
#include "server/db/database.h"
#include "server/db/migrator.h"
#include "server/db/sql.h"
#include "server/ops/archivekeeper.h"
#include "server/ops/archiveservice.h"
#include "server/ops/backupservice.h"
#include "server/ops/deploymentservice.h"
#include "server/ops/migrationlinter.h"
#include "server/ops/offsiterecovery.h"
#include "server/ops/operation.h"
#include "server/ops/opsservices.h"
#include "server/ops/restoreservice.h"
#include "server/ops/s3client.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFuture>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QtConcurrent/QtConcurrentRun>

#include <cstdio>
#include <unistd.h>

namespace bw::app {

namespace {

struct Outcome {
    int code = 0;
    QString out;
};

QString requester()
{
    const QString user = qEnvironmentVariable("SUDO_USER", qEnvironmentVariable("USER", QStringLiteral("unknown")));
    return QStringLiteral("cli:%1@%2").arg(user, QSysInfo::machineHostName());
}

// Step changes and messages on stderr; on a terminal also a percentage every couple of seconds.
ops::Operation::Listener printer()
{
    struct State {
        QString step;
        QElapsedTimer lastPercent;
        QString message;
    };
    auto s = std::make_shared<State>();
    s->lastPercent.start();
    const bool tty = ::isatty(STDERR_FILENO) == 1;
    return [s, tty](const ops::Progress &p) {
        if (p.step != s->step) {
            s->step = p.step;
            std::fprintf(stderr, "[%d/%d] %s\n", p.stepIndex, p.stepCount, qPrintable(p.stepLabel));
        }
        if (!p.message.isEmpty() && p.message != s->message) {
            s->message = p.message;
            std::fprintf(stderr, "      %s\n", qPrintable(p.message));
        }
        if (tty && p.fraction >= 0 && s->lastPercent.elapsed() > 2000) {
            s->lastPercent.restart();
            std::fprintf(stderr, "      %d%%\n", int(p.fraction * 100));
        }
    };
}

QString human(qint64 bytes)
{
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

QString when(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QStringLiteral("-");
}

QString table(const QList<ops::BackupRecord> &list)
{
    QString out;
    QTextStream t(&out);
    t << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8\n")
             .arg(QStringLiteral("id"), -9)
             .arg(QStringLiteral("kind"), -14)
             .arg(QStringLiteral("status"), -10)
             .arg(QStringLiteral("size"), -10)
             .arg(QStringLiteral("created (UTC)"), -17)
             .arg(QStringLiteral("verified"), -9)
             .arg(QStringLiteral("drill"), -8)
             .arg(QStringLiteral("expires"));
    for (const ops::BackupRecord &b : list) {
        t << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8\n")
                 .arg(b.id.left(8), -9)
                 .arg(b.kind, -14)
                 .arg(b.status, -10)
                 .arg(b.usable() ? human(b.sizeBytes) : QStringLiteral("-"), -10)
                 .arg(when(b.startedAt), -17)
                 .arg(b.verifyStatus.isEmpty() ? QStringLiteral("-") : b.verifyStatus, -9)
                 .arg(b.drillStatus.isEmpty() ? QStringLiteral("-") : b.drillStatus, -8)
                 .arg(b.expiresAt.isValid() ? b.expiresAt.toUTC().toString(QStringLiteral("yyyy-MM-dd"))
                                            : QStringLiteral("keep"));
        if (!b.error.isEmpty())
            t << QStringLiteral("          error: %1\n").arg(b.error);
    }
    return out;
}

QString json(const QJsonValue &v)
{
    return QString::fromUtf8(v.isArray() ? QJsonDocument(v.toArray()).toJson() : QJsonDocument(v.toObject()).toJson());
}

// Typed confirmation: --confirm NAME, or typed at a prompt on a terminal.
bool confirmed(const Command &cmd, const QString &expected, QString *typed)
{
    *typed = cmd.opsOptions.value(QStringLiteral("confirm"));
    if (!typed->isEmpty())
        return *typed == expected;
    if (::isatty(STDIN_FILENO) != 1)
        return false;
    std::fprintf(stderr, "This replaces the database '%s'. Type its name to confirm: ", qPrintable(expected));
    std::fflush(stderr);
    char buf[512];
    if (!std::fgets(buf, sizeof buf, stdin))
        return false;
    *typed = QString::fromLocal8Bit(buf).trimmed();
    return *typed == expected;
}

Outcome archiveCommand(const Config &config, const Command &cmd, db::Database &database, const ops::OperationPtr &op)
{
    const QString what = cmd.opsArgs.value(1, QStringLiteral("status"));
    if (what == u"status") {
        auto report = ops::ArchiveKeeper::report(config, database);
        if (!report)
            return {1, QStringLiteral("betterworld: %1\n").arg(report.error().message)};
        const QJsonObject window = report->value(QStringLiteral("window")).toObject();
        const bool healthy =
            report->value(QStringLiteral("external")).toBool()
            || (window.value(QStringLiteral("available")).toBool() && !window.value(QStringLiteral("archivingFailing")).toBool());
        if (cmd.opsOptions.contains(QStringLiteral("json")))
            return {healthy ? 0 : 1, json(*report)};
        QString text = window.value(QStringLiteral("text")).toString() + u'\n';
        if (report->value(QStringLiteral("enabled")).toBool())
            text += QStringLiteral("WAL archived: %1 segment(s), last %2 at %3; failed: %4\n")
                        .arg(report->value(QStringLiteral("archivedCount")).toInteger())
                        .arg(report->value(QStringLiteral("lastArchivedWal")).toString(),
                             report->value(QStringLiteral("lastArchivedAt")).toString())
                        .arg(report->value(QStringLiteral("failedCount")).toInteger());
        if (report->contains(QStringLiteral("repositoryError")))
            text += QStringLiteral("repository: %1\n").arg(report->value(QStringLiteral("repositoryError")).toString());
        return {healthy ? 0 : 1, text};
    }
    if (!config.embeddedDatabase() || !ops::ArchiveService::wanted(config))
        return {1, QStringLiteral("There is no WAL archive here (an external database, or backups/wal_archiving is off)\n")};
    ops::ArchiveService archive = ops::ArchiveService::forDatabase(config, database);
    if (what == u"backup") {
        auto b = archive.backup(cmd.opsArgs.value(2, QStringLiteral("diff")), op);
        if (!b)
            return {1, QStringLiteral("betterworld: %1\n").arg(b.error().message)};
        return {0, json(*b)};
    }
    return {2, QStringLiteral("usage: betterworld backup archive status [--json]|backup [full|diff|incr]\n")};
}

QString offsiteWorkDir(const Config &config)
{
    return ops::OffsiteRecovery::defaultWorkDir(config.dataDir);
}

// A database without any table (a fresh data directory) gets the schema, so that a restore from
// the off-site copy can be recorded; a database that holds anything is left as it is.
Status prepareEmptyDatabase(db::Database &database)
{
    QSqlDatabase db = database.connection();
    auto q =
        db::exec(db, QStringLiteral("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                    "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                                    "AND n.nspname NOT LIKE 'pg_toast%'"));
    if (!q)
        return q.error();
    q->next();
    if (q->value(0).toLongLong() > 0)
        return success();
    std::fprintf(stderr, "      empty database: creating the schema before the restore\n");
    if (Status locked = db::Migrator::lock(db); !locked)
        return locked;
    auto applied = db::Migrator(db::Migrator::builtIn()).up(db);
    db::Migrator::unlock(db);
    if (!applied)
        return applied.error();
    return success();
}

Outcome offsiteListCommand(const Config &config, ops::BackupService &service, SecretStore *secrets, const ops::OperationPtr &op,
                           bool asJson)
{
    ops::OffsiteRecovery recovery(service, config.ops, secrets, offsiteWorkDir(config));
    auto list = recovery.list(op);
    if (!list)
        return {1, QStringLiteral("betterworld: %1\n").arg(list.error().message)};
    if (asJson) {
        QJsonArray a;
        for (const auto &b : std::as_const(*list))
            a.append(b.toJson());
        return {0, json(a)};
    }
    if (list->isEmpty())
        return {0, QStringLiteral("no backups under %1 in %2/%3\n")
                       .arg(config.ops.s3Prefix, config.ops.s3Endpoint, config.ops.s3Bucket)};
    QString out;
    QTextStream t(&out);
    t << QStringLiteral("%1 %2 %3 %4\n")
             .arg(QStringLiteral("uploaded (UTC)"), -17)
             .arg(QStringLiteral("size"), -10)
             .arg(QStringLiteral("sha256"), -17)
             .arg(QStringLiteral("key"));
    for (const auto &b : std::as_const(*list))
        t << QStringLiteral("%1 %2 %3 %4\n")
                 .arg(when(b.lastModified), -17)
                 .arg(human(b.sizeBytes), -10)
                 .arg(b.sha256.isEmpty() ? QStringLiteral("(none recorded)") : b.sha256.left(16), -17)
                 .arg(b.key);
    return {0, out};
}

Outcome offsiteDrill(const Config &config, const QString &keyArg, ops::BackupService &service, SecretStore *secrets,
                     const ops::OperationPtr &op, bool asJson)
{
    ops::OffsiteRecovery recovery(service, config.ops, secrets, offsiteWorkDir(config));
    QString key = keyArg;
    if (key.isEmpty()) {
        auto newest = recovery.latest(op);
        if (!newest)
            return {1, QStringLiteral("betterworld: %1\n").arg(newest.error().message)};
        key = newest->key;
    }
    auto d = recovery.drill(key, op);
    if (!d)
        return {1, QStringLiteral("betterworld: %1\n").arg(d.error().message)};
    if (asJson) {
        QJsonObject o = d->toJson();
        o.insert(QStringLiteral("key"), key);
        return {d->ok ? 0 : 1, json(o)};
    }
    QString text = QStringLiteral("off-site restore drill of %1: %2\n  download %3 s, restore %4 s, total %5 s (RTO %6 min: %7), "
                                  "%8 tables compared%9\n")
                       .arg(key, d->ok ? QStringLiteral("PASSED") : QStringLiteral("FAILED"))
                       .arg(d->downloadMs / 1000.0, 0, 'f', 1)
                       .arg(d->restoreMs / 1000.0, 0, 'f', 1)
                       .arg(d->totalMs / 1000.0, 0, 'f', 1)
                       .arg(d->rtoMs / 60000)
                       .arg(d->withinRto ? QStringLiteral("within") : QStringLiteral("EXCEEDED"))
                       .arg(d->tablesCompared)
                       .arg(d->tablesCompared == 0 ? QStringLiteral(" (no manifest: schema checked only)") : QString());
    for (const QString &m : std::as_const(d->mismatches))
        text += QStringLiteral("  mismatch: %1\n").arg(m);
    return {d->ok ? 0 : 1, text};
}

// serving: empty, or why a command that needs the database to itself must not run now (another
// BetterWorld serves this data directory; Runtime::runningServerNote).
Outcome backupCommand(const Config &config, const Command &cmd, db::Database &database, SecretStore *secrets,
                      const ops::OperationPtr &op, const QString &serving)
{
    const QString sub = cmd.opsArgs.value(0);
    const QString arg = cmd.opsArgs.value(1);
    const bool asJson = cmd.opsOptions.contains(QStringLiteral("json"));
    ops::BackupService service(database, config.ops, config.backupDir(), config.pgBinDir);
    const auto fail = [](const ApiError &e) { return Outcome{1, QStringLiteral("betterworld: %1\n").arg(e.message)}; };
    const bool offsite = cmd.opsOptions.contains(QStringLiteral("offsite"));
    const bool offsiteList = sub == u"offsite" && arg == u"list";
    // Recovery from the off-site copy works on a machine that has nothing else: an empty database
    // gets the schema (so the restore can be recorded), and listing needs no database at all.
    if (offsite && !offsiteList && serving.isEmpty()) {
        if (Status s = prepareEmptyDatabase(database); !s)
            return fail(s.error());
    }
    if (auto q = db::exec(database.connection(), QStringLiteral("SELECT to_regclass('backups') IS NOT NULL"));
        q && q->next() && !q->value(0).toBool() && sub != u"archive" && !offsiteList)
        return {1, QStringLiteral("betterworld: the database %1 has no backup catalogue yet: run `betterworld migrate up` first "
                                  "(it takes a pre-migration snapshot when there is data)\n")
                       .arg(database.settings().database)};
    const auto resolve = [&](const QString &id) -> Result<QString> {
        if (!id.isEmpty())
            return id;
        auto newest = service.latest();
        if (!newest)
            return newest.error();
        if (!newest->has_value())
            return ApiError::notFound(QStringLiteral("there is no completed backup yet"));
        return (*newest)->id;
    };

    if (sub == u"list") {
        auto list = service.list(200, cmd.opsOptions.contains(QStringLiteral("all")));
        if (!list)
            return fail(list.error());
        if (asJson) {
            QJsonArray a;
            for (const auto &b : *list)
                a.append(b.toJson());
            return {0, json(a)};
        }
        return {0,
                list->isEmpty() ? QStringLiteral("no backups yet (backups/dir = %1)\n").arg(config.backupDir()) : table(*list)};
    }
    if (sub == u"create") {
        const QString kindText = cmd.opsOptions.value(QStringLiteral("kind"), QStringLiteral("manual"));
        const auto kind = ops::parseKind(kindText);
        if (!kind)
            return {2,
                    QStringLiteral("betterworld: unknown backup kind '%1' (daily, monthly, pre_migration, pre_restore, manual)\n")
                        .arg(kindText)};
        auto r = service.create(*kind, op, ops::CreateOptions{.requestedBy = requester()});
        if (!r)
            return fail(r.error());
        if (asJson)
            return {0, json(r->toJson())};
        return {0, QStringLiteral("backup %1 completed: %2 (%3, sha256 %4) in %5 s\n")
                       .arg(r->id, r->path, human(r->sizeBytes), r->sha256.left(16))
                       .arg(r->durationMs / 1000.0, 0, 'f', 1)};
    }
    if (sub == u"verify") {
        auto id = resolve(arg);
        if (!id)
            return fail(id.error());
        auto v = service.verify(*id, op);
        if (!v)
            return fail(v.error());
        return {v->ok ? 0 : 1, QStringLiteral("backup %1: %2 — %3\n")
                                   .arg(id->left(8), v->ok ? QStringLiteral("OK") : QStringLiteral("FAILED"), v->detail)};
    }
    if (sub == u"drill" && offsite)
        return offsiteDrill(config, arg, service, secrets, op, asJson);
    if (sub == u"drill") {
        auto id = resolve(arg);
        if (!id)
            return fail(id.error());
        auto d = service.drill(*id, op);
        if (!d)
            return fail(d.error());
        if (asJson)
            return {d->ok ? 0 : 1, json(d->toJson())};
        QString text =
            QStringLiteral("restore drill of %1: %2\n  restore time %3 s (RTO %4 min: %5), %6 tables compared, total %7 s\n")
                .arg(id->left(8), d->ok ? QStringLiteral("PASSED") : QStringLiteral("FAILED"))
                .arg(d->restoreMs / 1000.0, 0, 'f', 1)
                .arg(d->rtoMs / 60000)
                .arg(d->withinRto ? QStringLiteral("within") : QStringLiteral("EXCEEDED"))
                .arg(d->tablesCompared)
                .arg(d->totalMs / 1000.0, 0, 'f', 1);
        for (const QString &m : std::as_const(d->mismatches))
            text += QStringLiteral("  mismatch: %1\n").arg(m);
        return {d->ok ? 0 : 1, text};
    }
    if (sub == u"archive")
        return archiveCommand(config, cmd, database, op);
    if (offsiteList)
        return offsiteListCommand(config, service, secrets, op, asJson);
    if (sub == u"offsite") {
        auto id = resolve(arg);
        if (!id)
            return fail(id.error());
        if (!secrets)
            return fail(ApiError::internal(QStringLiteral("no secret store")));
        auto s3config = ops::s3ConfigFrom(config.ops, *secrets);
        if (!s3config)
            return fail(s3config.error());
        ops::S3Client s3(*s3config);
        auto url = service.copyOffsite(*id, s3, config.ops.s3Prefix, op);
        if (!url)
            return fail(url.error());
        return {0, QStringLiteral("backup %1 copied to %2 and verified\n").arg(id->left(8), *url)};
    }
    if (sub == u"prune") {
        auto r = service.enforceRetention();
        if (!r)
            return fail(r.error());
        return {r->errors.isEmpty() ? 0 : 1,
                QStringLiteral("expired %1 backup(s), deleted %2 file(s)%3\n")
                    .arg(r->expiredIds.size())
                    .arg(r->removedFiles.size())
                    .arg(r->errors.isEmpty() ? QString() : QStringLiteral("; ") + r->errors.join(QStringLiteral("; ")))};
    }
    if (sub == u"restore") {
        if (!serving.isEmpty())
            return {1, QStringLiteral("betterworld: %1\n").arg(serving)};
        ops::RestoreRequest req;
        req.requestedBy = requester();
        req.keepPrevious = cmd.opsOptions.contains(QStringLiteral("keep-previous"));
        req.safetySnapshot = !cmd.opsOptions.contains(QStringLiteral("no-snapshot"));
        req.file = cmd.opsOptions.value(QStringLiteral("file"));
        if (cmd.opsOptions.contains(QStringLiteral("time"))) {
            req.targetTime = QDateTime::fromString(cmd.opsOptions.value(QStringLiteral("time")), Qt::ISODateWithMs);
            if (!req.targetTime.isValid())
                return {2, QStringLiteral("betterworld: --time expects an ISO 8601 time, e.g. 2025-01-31T12:00:00Z\n")};
        }
        req.backupId = arg;
        if (offsite && (arg.isEmpty() || !req.file.isEmpty() || req.targetTime.isValid()))
            return {2, QStringLiteral("usage: betterworld backup restore --offsite KEY --confirm DB (KEY from `betterworld "
                                      "backup offsite list`)\n")};
        QString typed;
        if (!confirmed(cmd, database.settings().database, &typed))
            return {2,
                    QStringLiteral("betterworld: not confirmed: pass --confirm %1 (the database name) or type it at the prompt\n")
                        .arg(database.settings().database)};
        req.confirmation = typed;
        const ops::PointInTimeSource pitr = ops::OpsServices::pointInTimeSource(config, database);
        ops::RestoreService restore(
            service, [](bool on) { std::fprintf(stderr, "      maintenance mode %s\n", on ? "on" : "off"); }, pitr);
        Result<ops::RestoreResult> r = ApiError::internal(QStringLiteral("not run"));
        if (offsite) {
            req.backupId.clear();
            ops::OffsiteRecovery recovery(service, config.ops, secrets, offsiteWorkDir(config));
            r = recovery.restore(arg, restore, req, op);
        } else {
            r = restore.restore(req, op);
        }
        if (!r)
            return fail(r.error());
        return {0,
                QStringLiteral("restore %1%5 succeeded in %2 s; safety snapshot %3%4\n")
                    .arg(r->restoreId)
                    .arg(r->ms / 1000.0, 0, 'f', 1)
                    .arg(r->safetyBackupId.isEmpty() ? QStringLiteral("none") : r->safetyBackupId,
                         req.keepPrevious ? QStringLiteral("; previous database kept as %1").arg(r->previousDatabase) : QString(),
                         offsite ? QStringLiteral(" from the off-site copy %1").arg(arg) : QString())};
    }
    return {
        2,
        QStringLiteral(
            "usage: betterworld backup list|create|verify [ID]|drill [ID]|restore ID|offsite [ID]|offsite list|prune|archive … "
            "[options]\n")};
}

QString deploymentText(const ops::DeploymentRecord &d)
{
    QString text = QStringLiteral("deployment %1 to %2: %3%4 (%5 s)\n")
                       .arg(d.id.left(8), d.environment, d.outcome.toUpper(),
                            d.failedStep.isEmpty() ? QString() : QStringLiteral(" at %1").arg(d.failedStep))
                       .arg(d.durationMs / 1000.0, 0, 'f', 1);
    for (const QString &line : d.log.split(u'\n', Qt::SkipEmptyParts))
        text += QStringLiteral("  %1\n").arg(line);
    if (d.rollbackAvailable())
        text +=
            QStringLiteral("rollback available: betterworld deploy rollback %1 --confirm %2\n").arg(d.id.left(8), d.environment);
    return text;
}

Outcome deployCommand(const Config &config, const Command &cmd, db::Database &database, SecretStore *secrets,
                      const ops::OperationPtr &op)
{
    ops::BackupService backups(database, config.ops, config.backupDir(), config.pgBinDir);
    ops::DeploymentService deployments(backups, secrets);
    const QString first = cmd.opsArgs.value(0);
    const bool asJson = cmd.opsOptions.contains(QStringLiteral("json"));
    const auto fail = [](const ApiError &e) { return Outcome{1, QStringLiteral("betterworld: %1\n").arg(e.message)}; };
    if (first == u"env" && cmd.opsArgs.value(1) == u"list") {
        auto envs = deployments.environments();
        if (!envs)
            return fail(envs.error());
        QJsonArray a;
        QString text;
        for (const auto &e : *envs) {
            a.append(e.toJson());
            text += QStringLiteral("%1  %2  nodes: %3%4\n")
                        .arg(e.name, e.databaseUrl, e.nodeUrls.join(QStringLiteral(", ")),
                             e.requireTypedConfirmation ? QStringLiteral("  (typed confirmation)") : QString());
        }
        return {0, asJson ? json(a) : text.isEmpty() ? QStringLiteral("no environments yet\n") : text};
    }
    if (first == u"env" && cmd.opsArgs.value(1) == u"set" && cmd.opsArgs.size() == 3) {
        ops::Environment env;
        env.name = cmd.opsArgs.value(2);
        env.nodeUrls = cmd.opsOptions.value(QStringLiteral("node")).split(u',', Qt::SkipEmptyParts);
        env.requireTypedConfirmation = cmd.opsOptions.contains(QStringLiteral("require-typed"));
        env.readyTimeoutSeconds = cmd.opsOptions.value(QStringLiteral("ready-timeout"), QStringLiteral("120")).toInt();
        if (Status s = deployments.saveEnvironment(env, cmd.opsOptions.value(QStringLiteral("env-database-url"))); !s)
            return fail(s.error());
        return {0, QStringLiteral("environment %1 saved\n").arg(env.name)};
    }
    if (first == u"history") {
        auto list = deployments.history(cmd.opsArgs.value(1));
        if (!list)
            return fail(list.error());
        QJsonArray a;
        QString text;
        for (const auto &d : *list) {
            a.append(d.toJson());
            text += QStringLiteral("%1  %2  %3  %4  %5  %6 migration(s)  by %7\n")
                        .arg(d.id.left(8), when(d.startedAt), d.environment.leftJustified(12), d.appVersion,
                             d.outcome.leftJustified(11))
                        .arg(d.migrationsApplied.size())
                        .arg(d.requestedBy);
        }
        return {0, asJson ? json(a) : text.isEmpty() ? QStringLiteral("no deployments yet\n") : text};
    }
    if (first == u"rollback" && cmd.opsArgs.size() == 2) {
        auto r = deployments.rollback(cmd.opsArgs.value(1), cmd.opsOptions.value(QStringLiteral("confirm")), requester(), op);
        if (!r)
            return fail(r.error());
        return {0, QStringLiteral("rolled back: restore %1 in %2 s\n").arg(r->restoreId).arg(r->ms / 1000.0, 0, 'f', 1)};
    }
    if (cmd.opsArgs.size() == 1 && first != u"env") {
        ops::DeployRequest req;
        req.environment = first;
        req.confirmation = cmd.opsOptions.value(QStringLiteral("confirm"));
        req.requestedBy = requester();
        req.force = cmd.opsOptions.contains(QStringLiteral("force"));
        auto r = deployments.deploy(req, op);
        if (!r)
            return fail(r.error());
        return {r->outcome == u"succeeded" ? 0 : 1, asJson ? json(r->toJson()) : deploymentText(*r)};
    }
    return {2,
            QStringLiteral("usage: betterworld deploy ENV [--confirm ENV] [--force] | deploy env list | deploy env set ENV "
                           "--env-database-url URL [--node URL]… [--require-typed] [--ready-timeout S] | deploy history [ENV] | "
                           "deploy rollback ID --confirm ENV\n")};
}

Result<QList<db::MigrationFile>> lintTargets(const Command &cmd, QSqlDatabase db)
{
    QList<db::MigrationFile> files;
    if (cmd.opsOptions.contains(QStringLiteral("dir"))) {
        auto fromDir = db::Migrator::fromDirectory(cmd.opsOptions.value(QStringLiteral("dir")));
        if (!fromDir)
            return fromDir.error();
        files = *fromDir;
    } else {
        files = db::Migrator::builtIn();
    }
    if (cmd.opsOptions.contains(QStringLiteral("all")))
        return files;
    auto states = db::Migrator(files).status(db);
    if (!states)
        return states.error();
    QList<db::MigrationFile> pending;
    for (const db::MigrationFile &f : std::as_const(files)) {
        const bool applied = std::any_of(states->cbegin(), states->cend(),
                                         [&](const db::MigrationState &s) { return s.version == f.version && s.applied; });
        if (!applied)
            pending << f;
    }
    return pending;
}

Outcome lintCommand(const Command &cmd, db::Database &database)
{
    auto files = lintTargets(cmd, database.connection());
    if (!files)
        return {1, QStringLiteral("betterworld: %1\n").arg(files.error().message)};
    auto findings = ops::MigrationLinter::lint(*files, database.connection());
    if (!findings)
        return {1, QStringLiteral("betterworld: %1\n").arg(findings.error().message)};
    const bool blocked = ops::MigrationLinter::blocks(*findings);
    if (cmd.opsOptions.contains(QStringLiteral("json"))) {
        QJsonArray a;
        for (const auto &f : *findings)
            a.append(f.toJson());
        return {blocked ? 1 : 0, json(a)};
    }
    QString out;
    for (const auto &f : *findings)
        out += f.toText() + u'\n';
    out +=
        QStringLiteral("%1 migration file(s) checked: %2\n")
            .arg(files->size())
            .arg(blocked ? QStringLiteral("BLOCKED (fix the statements above or mark them with '-- lint: allow <rule> <reason>')")
                         : QStringLiteral("ok"));
    return {blocked ? 1 : 0, out};
}

} // namespace

bool isOpsCommand(CommandKind kind)
{
    return kind == CommandKind::Backup || kind == CommandKind::MigrateLint || kind == CommandKind::Deploy;
}

void runOpsCommand(const Config &config, const Command &command, ShutdownSignals &signals)
{
    auto *runtime = new Runtime(config, Runtime::Options{.serveHttp = false, .applyMigrations = false, .attachToRunning = true},
                                nullptr, qApp);
    auto exitCode = std::make_shared<int>(0);
    auto op = ops::Operation::create(command.opsArgs.value(0, QStringLiteral("ops")), {}, printer());
    QObject::connect(runtime, &Runtime::failed, qApp, [runtime, exitCode](const QString &message) {
        std::fprintf(stderr, "betterworld: %s\n", qPrintable(message));
        *exitCode = 1;
        runtime->stop();
    });
    QObject::connect(&signals, &ShutdownSignals::shutdownRequested, runtime, [op](int) {
        if (op->progress().cancellable) {
            std::fprintf(stderr, "betterworld: cancelling…\n");
            op->cancel();
        } else {
            std::fprintf(stderr, "betterworld: past the point of no return; finishing (a second signal forces exit)\n");
        }
    });
    QObject::connect(runtime, &Runtime::stopped, qApp, [exitCode] { QCoreApplication::exit(*exitCode); });
    QObject::connect(runtime, &Runtime::ready, runtime, [runtime, command, exitCode, op] {
        db::Database *database = runtime->database();
        SecretStore *secrets = runtime->secrets();
        const Config cfg = runtime->config();
        const QString serving =
            runtime->attachedTo() ? runtime->runningServerNote(QStringLiteral("a restore replaces the database")) : QString();
        QtConcurrent::run([database, secrets, command, cfg, op, serving]() -> Outcome {
            Outcome o;
            if (command.kind == CommandKind::Backup)
                o = backupCommand(cfg, command, *database, secrets, op, serving);
            else if (command.kind == CommandKind::MigrateLint)
                o = lintCommand(command, *database);
            else
                o = deployCommand(cfg, command, *database, secrets, op);
            database->releaseThisThread();
            return o;
        }).then(runtime, [runtime, exitCode, asJson = command.opsOptions.contains(QStringLiteral("json"))](Outcome o) {
            // JSON is the result whatever the exit code says (e.g. `archive status` of an archive without PITR).
            std::fputs(qPrintable(o.out), o.code == 0 || asJson ? stdout : stderr);
            *exitCode = o.code;
            runtime->stop();
        });
    });
    runtime->start();
}

struct MigrationGuard::State {
    std::optional<ops::BackupRecord> uncatalogued;
};

Status MigrationGuard::before(const Config &config, db::Database &database, bool force, QTextStream &out,
                              ops::Operation::Listener snapshotProgress)
{
    state = std::make_shared<State>();
    QSqlDatabase db = database.connection();
    auto pending = lintTargets(Command{}, db);
    if (!pending)
        return pending.error();
    if (pending->isEmpty())
        return success();
    auto findings = ops::MigrationLinter::lint(*pending, db);
    if (!findings)
        return findings.error();
    for (const auto &f : *findings)
        out << f.toText() << "\n";
    if (ops::MigrationLinter::blocks(*findings)) {
        if (!force)
            return ApiError::conflict(
                QStringLiteral("the migration lint blocks these migrations (see above); fix them, or pass --force "
                               "to apply anyway"));
        out << "lint findings overridden with --force\n";
    }
    // A database that already holds applied migrations gets a snapshot first; a fresh one has nothing to lose.
    // (Two statements: PostgreSQL resolves every table of a statement, even in a CASE branch not taken.)
    auto exists = db::exec(db, QStringLiteral("SELECT to_regclass('schema_migrations') IS NOT NULL"));
    if (!exists)
        return exists.error();
    if (!exists->next() || !exists->value(0).toBool())
        return success();
    auto applied = db::exec(db, QStringLiteral("SELECT count(*) FROM schema_migrations"));
    if (!applied)
        return applied.error();
    applied->next();
    if (applied->value(0).toInt() == 0)
        return success();
    ops::BackupService service(database, config.ops, config.backupDir(), config.pgBinDir);
    auto snap = service.create(
        ops::BackupKind::PreMigration,
        ops::Operation::create(QStringLiteral("backup"), {}, snapshotProgress ? snapshotProgress : printer()),
        ops::CreateOptions{.requestedBy = requester(), .label = QStringLiteral("before-%1").arg(pending->first().version)});
    if (!snap)
        return ApiError::internal(
            QStringLiteral("pre-migration snapshot failed, nothing was migrated: %1").arg(snap.error().message));
    out << "pre-migration snapshot " << snap->id << " (" << snap->path << ")\n";
    if (!snap->catalogued)
        state->uncatalogued = *snap;
    return success();
}

void MigrationGuard::after(db::Database &database, QTextStream &out)
{
    if (!state || !state->uncatalogued)
        return;
    ops::BackupService service(database, {}, {}, {});
    if (Status s = service.adopt(*state->uncatalogued); !s)
        out << "warning: could not catalogue the pre-migration snapshot: " << s.error().message << "\n";
}

} // namespace bw::app
