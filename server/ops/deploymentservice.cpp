#include "server/ops/deploymentservice.h"

#include "server/core/secretstore.h"
#include "server/db/database.h"
#include "server/db/migrator.h"
#include "server/db/sql.h"
#include "server/ops/catalogue.h"
#include "server/ops/migrationlinter.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QThread>

namespace bw::ops {

namespace {

Q_LOGGING_CATEGORY(lcDeploy, "bw.ops.deploy", QtInfoMsg)

QString secretName(const QString &env)
{
    return QStringLiteral("deploy-%1-password").arg(env);
}

QString iso(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QStringList parseTextArray(const QString &pg)
{
    // QPSQL returns text[] as "{a,b}" text.
    QString s = pg;
    if (s.startsWith(u'{') && s.endsWith(u'}'))
        s = s.mid(1, s.size() - 2);
    QStringList out;
    for (QString part : s.split(u',', Qt::SkipEmptyParts)) {
        if (part.startsWith(u'"') && part.endsWith(u'"'))
            part = part.mid(1, part.size() - 2).replace(QStringLiteral("\\\""), QStringLiteral("\""));
        out << part;
    }
    return out;
}

QString textArray(const QStringList &items)
{
    QStringList quoted;
    for (QString i : items)
        quoted << u'"' + i.replace(u'\\', QStringLiteral("\\\\")).replace(u'"', QStringLiteral("\\\"")) + u'"';
    return u'{' + quoted.join(u',') + u'}';
}

constexpr auto kDeploymentColumns =
    "id::text, environment, app_version, migrations_applied::text, coalesce(snapshot_backup_id::text, ''), requested_by, started_at, "
    "finished_at, coalesce(duration_ms, 0), outcome, coalesce(failed_step, ''), log";

DeploymentRecord deploymentFrom(const QSqlQuery &q)
{
    DeploymentRecord d;
    d.id = q.value(0).toString();
    d.environment = q.value(1).toString();
    d.appVersion = q.value(2).toString();
    d.migrationsApplied = parseTextArray(q.value(3).toString());
    d.snapshotBackupId = q.value(4).toString();
    d.requestedBy = q.value(5).toString();
    d.startedAt = q.value(6).toDateTime();
    d.finishedAt = q.value(7).toDateTime();
    d.durationMs = q.value(8).toLongLong();
    d.outcome = q.value(9).toString();
    d.failedStep = q.value(10).toString();
    d.log = q.value(11).toString();
    return d;
}

} // namespace

QJsonObject Environment::toJson() const
{
    return {{QStringLiteral("name"), name},
            {QStringLiteral("databaseUrl"), databaseUrl},
            {QStringLiteral("nodeUrls"), QJsonArray::fromStringList(nodeUrls)},
            {QStringLiteral("requireTypedConfirmation"), requireTypedConfirmation},
            {QStringLiteral("readyTimeoutSeconds"), readyTimeoutSeconds}};
}

QJsonObject DeploymentRecord::toJson() const
{
    return {{QStringLiteral("id"), id},
            {QStringLiteral("environment"), environment},
            {QStringLiteral("appVersion"), appVersion},
            {QStringLiteral("migrationsApplied"), QJsonArray::fromStringList(migrationsApplied)},
            {QStringLiteral("snapshotBackupId"), snapshotBackupId},
            {QStringLiteral("requestedBy"), requestedBy},
            {QStringLiteral("startedAt"), iso(startedAt)},
            {QStringLiteral("finishedAt"), iso(finishedAt)},
            {QStringLiteral("durationMs"), double(durationMs)},
            {QStringLiteral("outcome"), outcome},
            {QStringLiteral("failedStep"), failedStep},
            {QStringLiteral("rollbackAvailable"), rollbackAvailable()},
            {QStringLiteral("log"), log}};
}

DeploymentService::DeploymentService(BackupService &backups, SecretStore *secrets) : m_backups(backups), m_secrets(secrets) {}

QStringList DeploymentService::plannedSteps()
{
    return {QStringLiteral("confirm|Confirming"),
            QStringLiteral("preflight|Preflight: connectivity and migration lint"),
            QStringLiteral("snapshot|Snapshot of the target database"),
            QStringLiteral("migrate|Applying migrations"),
            QStringLiteral("health|Waiting for every node's /ready"),
            QStringLiteral("record|Recording the deployment")};
}

Result<QList<Environment>> DeploymentService::environments()
{
    auto q = db::exec(m_backups.catalogueDatabase().connection(),
                      QStringLiteral("SELECT name, database_url, node_urls::text, require_typed_confirmation, ready_timeout_s "
                                     "FROM deployment_environments ORDER BY name"));
    if (!q)
        return q.error();
    QList<Environment> out;
    while (q->next())
        out << Environment{q->value(0).toString(), q->value(1).toString(), parseTextArray(q->value(2).toString()),
                           q->value(3).toBool(), q->value(4).toInt()};
    return out;
}

Result<Environment> DeploymentService::environment(const QString &name)
{
    auto all = environments();
    if (!all)
        return all.error();
    for (const Environment &e : std::as_const(*all)) {
        if (e.name == name)
            return e;
    }
    return ApiError::notFound(QStringLiteral("no deployment environment named '%1' (betterworld deploy env set …)").arg(name));
}

Status DeploymentService::saveEnvironment(Environment env, const QString &urlWithPassword)
{
    static const QRegularExpression nameRx(QStringLiteral("^[a-z0-9_-]{1,40}$"));
    if (!nameRx.match(env.name).hasMatch())
        return ApiError::badRequest(QStringLiteral("environment names use a-z, 0-9, '-' and '_' (at most 40)"));
    auto parsed = db::ConnectionSettings::fromUrl(urlWithPassword);
    if (!parsed)
        return ApiError::badRequest(QStringLiteral("invalid database URL: %1").arg(parsed.error().message));
    for (const QString &u : std::as_const(env.nodeUrls)) {
        if (!u.startsWith(QStringLiteral("http://")) && !u.startsWith(QStringLiteral("https://")))
            return ApiError::badRequest(QStringLiteral("node URL %1 must start with http:// or https://").arg(u));
    }
    if (!parsed->password.isEmpty()) {
        if (!m_secrets)
            return ApiError::internal(QStringLiteral("no secret store for the environment's database password"));
        if (Status s = m_secrets->write(secretName(env.name), parsed->password.toUtf8()); !s)
            return s;
    }
    db::ConnectionSettings withoutPassword = *parsed;
    withoutPassword.password.clear();
    env.databaseUrl = withoutPassword.toUrl();
    if (env.name == u"production")
        env.requireTypedConfirmation = true;
    auto q = db::exec(
        m_backups.catalogueDatabase().connection(),
        QStringLiteral(
            "INSERT INTO deployment_environments (name, database_url, node_urls, require_typed_confirmation, "
            "ready_timeout_s) VALUES (?, ?, ?::text[], ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "database_url = EXCLUDED.database_url, node_urls = EXCLUDED.node_urls, "
            "require_typed_confirmation = EXCLUDED.require_typed_confirmation, ready_timeout_s = EXCLUDED.ready_timeout_s"),
        {env.name, env.databaseUrl, textArray(env.nodeUrls), env.requireTypedConfirmation, env.readyTimeoutSeconds});
    if (!q)
        return q.error();
    return success();
}

Result<db::ConnectionSettings> DeploymentService::targetSettings(const Environment &env)
{
    auto s = db::ConnectionSettings::fromUrl(env.databaseUrl);
    if (!s)
        return s.error();
    if (s->password.isEmpty() && m_secrets) {
        auto pw = m_secrets->read(secretName(env.name));
        if (!pw)
            return pw.error();
        if (pw->has_value())
            s->password = QString::fromUtf8(**pw);
    }
    s->statementTimeoutMs = 0;
    s->idleInTransactionTimeoutMs = 0;
    s->applicationName = QStringLiteral("betterworld-deploy");
    return *s;
}

Result<DeploymentRecord> DeploymentService::deploy(const DeployRequest &req, const OperationPtr &opIn)
{
    const OperationPtr op = opIn ? opIn : Operation::create(QStringLiteral("deploy"), plannedSteps());
    op->setPlanIfEmpty(plannedSteps());
    QElapsedTimer timer;
    timer.start();
    QSqlDatabase cat = m_backups.catalogueDatabase().connection();
    op->beginStep(QStringLiteral("confirm"));
    auto env = environment(req.environment);
    if (!env)
        return env.error();
    const bool typed = env->requireTypedConfirmation || env->name == u"production";
    if (typed && req.confirmation != env->name)
        return ApiError::badRequest(QStringLiteral("type the environment name '%1' to confirm this deployment").arg(env->name));

    DeploymentRecord rec;
    rec.environment = env->name;
    rec.appVersion = req.appVersion.isEmpty() ? QStringLiteral(BW_VERSION) : req.appVersion;
    rec.requestedBy = req.requestedBy;
    auto ins = db::exec(cat,
                        QStringLiteral("INSERT INTO deployments (environment, app_version, requested_by) VALUES (?, ?, ?) "
                                       "RETURNING id::text, started_at"),
                        {rec.environment, rec.appVersion, rec.requestedBy});
    if (!ins)
        return ins.error();
    ins->next();
    rec.id = ins->value(0).toString();
    rec.startedAt = ins->value(1).toDateTime();
    QStringList log;
    const auto note = [&](const QString &line) {
        log << QStringLiteral("[%1] %2").arg(QDateTime::currentDateTimeUtc().toString(QStringLiteral("HH:mm:ss")), line);
        op->message(line);
        (void)db::exec(m_backups.catalogueDatabase().connection(),
                       QStringLiteral("UPDATE deployments SET log = ? WHERE id = ?::uuid"), {log.join(u'\n'), rec.id});
    };
    const auto finish = [&](const QString &outcome, const QString &failedStep) -> Result<DeploymentRecord> {
        rec.outcome = outcome;
        rec.failedStep = failedStep;
        rec.durationMs = timer.elapsed();
        rec.log = log.join(u'\n');
        rec.finishedAt = QDateTime::currentDateTimeUtc();
        auto u = db::exec(
            m_backups.catalogueDatabase().connection(),
            QStringLiteral(
                "UPDATE deployments SET outcome = ?, failed_step = nullif(?, ''), finished_at = now(), duration_ms = ?, "
                "log = ?, migrations_applied = ?::text[], snapshot_backup_id = nullif(?, '')::uuid WHERE id = ?::uuid"),
            {outcome, failedStep, rec.durationMs, rec.log, textArray(rec.migrationsApplied), rec.snapshotBackupId, rec.id});
        if (!u)
            return u.error();
        (void)catalogue::audit(m_backups.catalogueDatabase().connection(), QStringLiteral("deployment.") + outcome,
                               QStringLiteral("deployment"), rec.id, rec.toJson());
        qCInfo(lcDeploy).noquote() << "deployment" << rec.id << "to" << rec.environment << outcome << failedStep;
        op->finish();
        return rec;
    };
    note(QStringLiteral("deploying %1 to %2 (%3 node(s)) for %4")
             .arg(rec.appVersion, env->name)
             .arg(env->nodeUrls.size())
             .arg(req.requestedBy));

    // Preflight: the database answers, the lint passes on its live data.
    op->beginStep(QStringLiteral("preflight"));
    auto target = targetSettings(*env);
    if (!target) {
        note(target.error().message);
        return finish(QStringLiteral("failed"), QStringLiteral("preflight"));
    }
    db::Database targetDb(*target);
    const auto release = qScopeGuard([&] { targetDb.releaseThisThread(); });
    if (Status ping = targetDb.ping(); !ping) {
        note(QStringLiteral("cannot reach %1: %2").arg(target->redactedUrl(), ping.error().message));
        return finish(QStringLiteral("failed"), QStringLiteral("preflight"));
    }
    const db::Migrator migrator(db::Migrator::builtIn());
    auto states = migrator.status(targetDb.connection());
    if (!states) {
        note(states.error().message);
        return finish(QStringLiteral("failed"), QStringLiteral("preflight"));
    }
    QList<db::MigrationFile> pending;
    for (const db::MigrationFile &f : migrator.files()) {
        const bool applied = std::any_of(states->cbegin(), states->cend(),
                                         [&](const db::MigrationState &s) { return s.version == f.version && s.applied; });
        if (!applied)
            pending << f;
    }
    auto findings = MigrationLinter::lint(pending, targetDb.connection());
    if (!findings) {
        note(findings.error().message);
        return finish(QStringLiteral("failed"), QStringLiteral("preflight"));
    }
    for (const LintFinding &f : std::as_const(*findings))
        note(QStringLiteral("lint: ") + f.toText());
    if (MigrationLinter::blocks(*findings) && !req.force) {
        note(QStringLiteral("the migration lint blocks this deployment"));
        return finish(QStringLiteral("failed"), QStringLiteral("preflight"));
    }
    note(QStringLiteral("preflight ok: %1 reachable, %2 pending migration(s)").arg(target->redactedUrl()).arg(pending.size()));
    if (Status s = op->checkpoint(); !s) {
        note(QStringLiteral("cancelled"));
        return finish(QStringLiteral("cancelled"), QStringLiteral("preflight"));
    }

    // Snapshot of the target before anything changes.
    op->beginStep(QStringLiteral("snapshot"));
    auto snap = m_backups.create(
        BackupKind::PreMigration, Operation::create(QStringLiteral("backup")),
        CreateOptions{.source = *target, .requestedBy = req.requestedBy, .label = QStringLiteral("%1-deploy").arg(env->name)});
    if (!snap) {
        note(QStringLiteral("snapshot failed, nothing was changed: %1").arg(snap.error().message));
        return finish(Operation::isCancelled(snap.error()) ? QStringLiteral("cancelled") : QStringLiteral("failed"),
                      QStringLiteral("snapshot"));
    }
    rec.snapshotBackupId = snap->id;
    note(QStringLiteral("snapshot %1 (%2 bytes)").arg(snap->id).arg(snap->sizeBytes));
    if (Status s = op->checkpoint(); !s) {
        note(QStringLiteral("cancelled"));
        return finish(QStringLiteral("cancelled"), QStringLiteral("snapshot"));
    }

    // Migrate.
    op->setCancellable(false);
    op->beginStep(QStringLiteral("migrate"));
    auto applied = migrator.up(targetDb.connection());
    if (!applied) {
        note(QStringLiteral("migration failed: %1").arg(applied.error().message));
        return finish(QStringLiteral("failed"), QStringLiteral("migrate"));
    }
    for (int v : std::as_const(*applied)) {
        for (const db::MigrationFile &f : migrator.files()) {
            if (f.version == v)
                rec.migrationsApplied << f.fileName();
        }
    }
    note(rec.migrationsApplied.isEmpty() ? QStringLiteral("schema already up to date")
                                         : QStringLiteral("applied %1").arg(rec.migrationsApplied.join(QStringLiteral(", "))));

    // Every node must report ready.
    op->beginStep(QStringLiteral("health"));
    QDeadlineTimer deadline(qint64(env->readyTimeoutSeconds) * 1000);
    QHash<QString, int> last;
    while (true) {
        int ready = 0;
        for (const QString &node : std::as_const(env->nodeUrls)) {
            QString url = node;
            while (url.endsWith(u'/'))
                url.chop(1);
            auto status = httpStatus(url + QStringLiteral("/ready"), 5000);
            const int code = status ? *status : 0;
            if (!last.contains(node) || last.value(node) != code)
                note(QStringLiteral("%1/ready → %2").arg(url, status ? QString::number(code) : status.error().message));
            last.insert(node, code);
            if (code == 200)
                ++ready;
        }
        if (!env->nodeUrls.isEmpty())
            op->setFraction(double(ready) / double(env->nodeUrls.size()));
        if (ready == env->nodeUrls.size())
            break;
        if (deadline.hasExpired()) {
            QStringList bad;
            for (auto it = last.cbegin(); it != last.cend(); ++it) {
                if (it.value() != 200)
                    bad << QStringLiteral("%1 (%2)").arg(it.key(), it.value() ? QString::number(it.value())
                                                                              : QStringLiteral("unreachable"));
            }
            note(QStringLiteral("not ready after %1 s: %2. Roll back with the snapshot %3 (betterworld deploy rollback %4)")
                     .arg(env->readyTimeoutSeconds)
                     .arg(bad.join(QStringLiteral(", ")), rec.snapshotBackupId, rec.id.left(8)));
            return finish(QStringLiteral("failed"), QStringLiteral("health"));
        }
        QThread::msleep(qMax(100, req.pollIntervalMs));
    }
    note(QStringLiteral("all %1 node(s) ready").arg(env->nodeUrls.size()));
    op->beginStep(QStringLiteral("record"));
    return finish(QStringLiteral("succeeded"), QString());
}

Result<QList<DeploymentRecord>> DeploymentService::history(const QString &environment, int limit)
{
    auto q = db::exec(
        m_backups.catalogueDatabase().connection(),
        QStringLiteral(
            "SELECT %1 FROM deployments WHERE (coalesce(?, '') = '' OR environment = ?) ORDER BY started_at DESC LIMIT ?")
            .arg(QLatin1StringView(kDeploymentColumns)),
        {environment, environment, limit});
    if (!q)
        return q.error();
    QList<DeploymentRecord> out;
    while (q->next())
        out << deploymentFrom(*q);
    return out;
}

Result<DeploymentRecord> DeploymentService::get(const QString &idOrPrefix)
{
    auto q = db::exec(m_backups.catalogueDatabase().connection(),
                      QStringLiteral("SELECT %1 FROM deployments WHERE id::text LIKE ? || '%' ORDER BY started_at DESC LIMIT 2")
                          .arg(QLatin1StringView(kDeploymentColumns)),
                      {idOrPrefix.toLower()});
    if (!q)
        return q.error();
    QList<DeploymentRecord> found;
    while (q->next())
        found << deploymentFrom(*q);
    if (found.isEmpty())
        return ApiError::notFound(QStringLiteral("no deployment %1").arg(idOrPrefix));
    if (found.size() > 1)
        return ApiError::badRequest(QStringLiteral("deployment id prefix %1 is ambiguous").arg(idOrPrefix));
    return found.first();
}

Result<RestoreResult> DeploymentService::rollback(const QString &deploymentId, const QString &confirmation,
                                                  const QString &requestedBy, const OperationPtr &op)
{
    auto dep = get(deploymentId);
    if (!dep)
        return dep.error();
    if (dep->snapshotBackupId.isEmpty())
        return ApiError::conflict(QStringLiteral("deployment %1 has no snapshot to roll back to").arg(dep->id));
    if (dep->outcome == u"rolled_back")
        return ApiError::conflict(QStringLiteral("deployment %1 was already rolled back").arg(dep->id));
    if (confirmation != dep->environment)
        return ApiError::badRequest(
            QStringLiteral("type the environment name '%1' to confirm the rollback").arg(dep->environment));
    auto env = environment(dep->environment);
    if (!env)
        return env.error();
    auto target = targetSettings(*env);
    if (!target)
        return target.error();
    // The environment's nodes are not ours to switch into maintenance; the restore swaps databases
    // atomically and their sessions reconnect to the restored one.
    RestoreService restore(m_backups, {});
    RestoreRequest r;
    r.backupId = dep->snapshotBackupId;
    r.confirmation = target->database;
    r.requestedBy = requestedBy;
    r.target = *target;
    auto done = restore.restore(r, op);
    if (!done)
        return done.error();
    (void)db::exec(
        m_backups.catalogueDatabase().connection(),
        QStringLiteral("UPDATE deployments SET outcome = 'rolled_back', rolled_back_at = now(), rollback_restore_id = ?::uuid, "
                       "log = log || ? WHERE id = ?::uuid"),
        {done->restoreId,
         QStringLiteral("\n[%1] rolled back to snapshot %2 by %3 (restore %4)")
             .arg(QDateTime::currentDateTimeUtc().toString(QStringLiteral("HH:mm:ss")), dep->snapshotBackupId, requestedBy,
                  done->restoreId),
         dep->id});
    (void)catalogue::audit(m_backups.catalogueDatabase().connection(), QStringLiteral("deployment.rolled_back"),
                           QStringLiteral("deployment"), dep->id,
                           {{QStringLiteral("restore_id"), done->restoreId}, {QStringLiteral("requested_by"), requestedBy}});
    return *done;
}

} // namespace bw::ops
