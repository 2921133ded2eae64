#include "adminopsservice.h"

#include "moderationsql_p.h"

#include "server/core/cursor.h"
#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/domain/sqljson.h"

#include <QLoggingCategory>
#include <QSqlQuery>
#include <QStringList>
#include <cmath>

Q_LOGGING_CATEGORY(lcAdminOps, "bw.moderation.ops")

namespace bw::moderation {

using domain::sqljson::exactTimestamp;
using domain::sqljson::isoTimestamp;

namespace {

const QStringList &jobStates()
{
    static const QStringList states = {"available", "running", "retryable", "completed", "discarded", "cancelled"};
    return states;
}

Status requireAdmin(const AdminCaller &actor)
{
    if (actor.moderatorId.isEmpty() || !actor.isAdmin())
        return ApiError::forbidden(QStringLiteral("Administrator role required"));
    return success();
}

QString jobColumns()
{
    return QStringLiteral("j.id AS \"id\", j.queue AS \"queue\", j.kind AS \"kind\", j.payload AS \"payload\","
                          " j.state AS \"state\", j.priority AS \"priority\", %1 AS \"runAt\", j.attempts AS \"attempts\","
                          " j.max_attempts AS \"maxAttempts\", j.locked_by AS \"lockedBy\", %2 AS \"lockedUntil\","
                          " j.last_error AS \"lastError\", j.unique_key AS \"uniqueKey\", %3 AS \"createdAt\","
                          " %4 AS \"finishedAt\"")
        .arg(isoTimestamp(QStringLiteral("j.run_at")), isoTimestamp(QStringLiteral("j.locked_until")),
             isoTimestamp(QStringLiteral("j.created_at")), isoTimestamp(QStringLiteral("j.finished_at")));
}

// --- The jobs table (migration 0002). Kept to these two functions so they can be swapped for
// --- the job system's own list/redrive once it offers cursors.

Result<JsonPage> listJobRows(QSqlDatabase db, const CursorCodec &codec, const JobQuery &query)
{
    QStringList where;
    QVariantList binds;
    if (!query.queue.isEmpty()) {
        where << QStringLiteral("j.queue = ?");
        binds << query.queue;
    }
    if (!query.state.isEmpty()) {
        where << QStringLiteral("j.state = ?");
        binds << query.state;
    }
    if (!query.cursor.isEmpty()) {
        auto pos = detail::decodeCursor(codec, query.cursor, QStringLiteral("jobs"));
        if (!pos)
            return pos.error();
        const QString at = pos->value(QStringLiteral("c")).toString();
        const QString id = pos->value(QStringLiteral("i")).toString();
        if (at.isEmpty() || !ids::isUuid(id))
            return ApiError::make(ErrorKind::InvalidCursor, QStringLiteral("Invalid cursor"));
        where << QStringLiteral("(j.created_at, j.id) < (?::timestamptz, ?::uuid)");
        binds << at << id;
    }
    binds << query.limit + 1;
    const QString sql = QStringLiteral("SELECT (SELECT row_to_json(x) FROM (SELECT %1) x)::text, %2, j.id::text FROM jobs j"
                                       " %3 ORDER BY j.created_at DESC, j.id DESC LIMIT ?")
                            .arg(jobColumns(), exactTimestamp(QStringLiteral("j.created_at")),
                                 where.isEmpty() ? QString() : QStringLiteral("WHERE ") + where.join(QStringLiteral(" AND ")));
    auto q = db::exec(db, sql, binds);
    if (!q)
        return q.error();
    JsonPage page;
    QByteArray items = "[";
    QString lastAt, lastId;
    while (q->next()) {
        if (page.count == query.limit) {
            page.hasMore = true;
            break;
        }
        if (page.count > 0)
            items += ',';
        items += q->value(0).toString().toUtf8();
        lastAt = q->value(1).toString();
        lastId = q->value(2).toString();
        ++page.count;
    }
    page.itemsJson = items + ']';
    if (page.hasMore)
        page.nextCursor = codec.encode(QJsonObject{
            {QStringLiteral("t"), QStringLiteral("jobs")}, {QStringLiteral("c"), lastAt}, {QStringLiteral("i"), lastId}});
    return page;
}

struct Redriven {
    QJsonObject before;
    QJsonObject job;
};

// Inside the caller's transaction.
Result<Redriven> redriveJobRow(QSqlDatabase db, const QString &id)
{
    auto q =
        db::exec(db, QStringLiteral("SELECT state, attempts, last_error, queue FROM jobs WHERE id = ?::uuid FOR UPDATE"), {id});
    if (!q)
        return q.error();
    if (!q->next())
        return detail::notFound(QStringLiteral("Job"));
    const QString state = q->value(0).toString();
    Redriven out;
    out.before =
        QJsonObject{{QStringLiteral("state"), state},
                    {QStringLiteral("attempts"), q->value(1).toInt()},
                    {QStringLiteral("lastError"), q->value(2).isNull() ? QJsonValue() : QJsonValue(q->value(2).toString())}};
    const QString queue = q->value(3).toString();
    q->finish();
    // Same rule as JobSystem::redrive: the dead letter (discarded) only.
    if (state != u"discarded")
        return ApiError::conflict(QStringLiteral("Only discarded (dead-letter) jobs can be retried; this one is %1").arg(state));
    auto u = db::exec(db,
                      QStringLiteral("UPDATE jobs j SET state = 'available', attempts = 0, run_at = now(), locked_by = NULL,"
                                     " locked_until = NULL, finished_at = NULL WHERE j.id = ?::uuid"
                                     " RETURNING (SELECT row_to_json(x) FROM (SELECT %1) x)::text")
                          .arg(jobColumns()),
                      {id});
    if (!u) {
        if (db::sqlState(u.error()) == QLatin1String(db::kUniqueViolation))
            return ApiError::conflict(QStringLiteral("A live job with the same unique key already exists"));
        return u.error();
    }
    if (!u->next())
        return ApiError::internal(QStringLiteral("job redrive returned no row"));
    auto job = db::jsonObject(u->value(0).toString(), "job");
    if (!job)
        return job.error();
    out.job = *job;
    // Wake the queue's workers at commit (the job system listens on bw_jobs; harmless otherwise).
    if (auto n = db::exec(db, QStringLiteral("SELECT pg_notify('bw_jobs', ?)"), {queue}); !n)
        return n.error();
    return out;
}

ApiError fieldError(const QString &field, const QString &message)
{
    FieldErrors fields;
    fields.add(field, message);
    return fields.toError();
}

} // namespace

Result<JobQuery> JobQuery::fromQuery(const QMap<QString, QString> &query)
{
    JobQuery q;
    FieldErrors fields;
    q.queue = query.value(QStringLiteral("queue")).left(200);
    q.state = query.value(QStringLiteral("state"));
    if (!q.state.isEmpty() && !jobStates().contains(q.state))
        fields.add(QStringLiteral("state"), QStringLiteral("Must be one of %1").arg(jobStates().join(u", ")));
    q.cursor = query.value(QStringLiteral("cursor"));
    q.limit = detail::readLimit(query, fields);
    if (!fields.empty())
        return fields.toError();
    return q;
}

AdminOpsService::AdminOpsService(db::Database &db) : AdminOpsService(db, Options{}) {}
AdminOpsService::AdminOpsService(db::Database &db, Options options) : m_db(db), m_options(std::move(options)) {}
AdminOpsService::~AdminOpsService() = default;

Result<std::optional<int>> AdminOpsService::parseRateLimitBody(const QJsonObject &body)
{
    if (!body.contains(QStringLiteral("limit")))
        return fieldError(QStringLiteral("limit"), QStringLiteral("Required: a whole number from 1 to 1000, or null"));
    const QJsonValue v = body.value(QStringLiteral("limit"));
    if (v.isNull())
        return std::optional<int>();
    const double d = v.toDouble(-1);
    if (!v.isDouble() || d != std::floor(d) || d < 1 || d > 1000)
        return fieldError(QStringLiteral("limit"), QStringLiteral("Must be a whole number from 1 to 1000, or null"));
    return std::optional<int>(int(d));
}

Result<QString> AdminOpsService::parseClaimStatusBody(const QJsonObject &body)
{
    const QString s = body.value(QStringLiteral("claimStatus")).toString();
    if (s != u"pending" && s != u"claimed" && s != u"verified")
        return fieldError(QStringLiteral("claimStatus"), QStringLiteral("Must be pending, claimed or verified"));
    return s;
}

Result<bool> AdminOpsService::parseActiveBody(const QJsonObject &body)
{
    const QJsonValue v = body.value(QStringLiteral("isActive"));
    if (!v.isBool())
        return fieldError(QStringLiteral("isActive"), QStringLiteral("Required: true or false"));
    return v.toBool();
}

Result<QJsonObject> AdminOpsService::updateAgent(const AdminCaller &actor, const QString &agentId, const QString &column,
                                                 const QString &jsonKey, const QVariant &value, const QString &action)
{
    if (Status s = requireAdmin(actor); !s)
        return s.error();
    if (!ids::isUuid(agentId))
        return detail::notFound(QStringLiteral("Agent"));
    // column comes from this file's callers only (never from input).
    QSqlDatabase db = m_db.connection();
    QJsonObject agent;
    Status changed = audit::inTransaction(db, [&](AuditEntry &entry) -> Status {
        auto before =
            db::exec(db, QStringLiteral("SELECT to_jsonb(%1) FROM agents WHERE id = ?::uuid FOR UPDATE").arg(column), {agentId});
        if (!before)
            return before.error();
        if (!before->next())
            return detail::notFound(QStringLiteral("Agent"));
        auto old = detail::parseJson(before->value(0).toString(), "agent column");
        if (!old)
            return old.error();
        before->finish();
        static const QString select = QStringLiteral("(SELECT row_to_json(j) FROM (SELECT %1) j)::text")
                                          .arg(domain::sqljson::agentColumns(QStringLiteral("a"), true));
        auto updated =
            db::exec(db, QStringLiteral("UPDATE agents a SET %1 = ? WHERE a.id = ?::uuid RETURNING %2").arg(column, select),
                     {value, agentId});
        if (!updated)
            return updated.error();
        if (!updated->next())
            return detail::notFound(QStringLiteral("Agent"));
        auto json = db::jsonObject(updated->value(0).toString(), "agent");
        if (!json)
            return json.error();
        agent = *json;
        entry = AuditEntry::byModerator(actor, action, QStringLiteral("agent"), agentId);
        entry.before = QJsonObject{{jsonKey, *old}};
        entry.after = QJsonObject{{jsonKey, agent.value(jsonKey)}};
        return success();
    });
    if (!changed)
        return changed.error();
    if (m_options.agentChanged)
        m_options.agentChanged(agentId);
    qCInfo(lcAdminOps).noquote() << action << agentId << "by" << actor.email;
    return agent;
}

Result<QJsonObject> AdminOpsService::setRateLimitOverride(const AdminCaller &actor, const QString &agentId,
                                                          std::optional<int> limit)
{
    if (limit && (*limit < 1 || *limit > 1000))
        return fieldError(QStringLiteral("limit"), QStringLiteral("Must be a whole number from 1 to 1000, or null"));
    return updateAgent(actor, agentId, QStringLiteral("rate_limit_override"), QStringLiteral("rateLimitOverride"),
                       limit ? QVariant(*limit) : QVariant(QMetaType::fromType<int>()), QStringLiteral("agent.rate_limit"));
}

Result<QJsonObject> AdminOpsService::setClaimStatus(const AdminCaller &actor, const QString &agentId, const QString &claimStatus)
{
    if (claimStatus != u"pending" && claimStatus != u"claimed" && claimStatus != u"verified")
        return fieldError(QStringLiteral("claimStatus"), QStringLiteral("Must be pending, claimed or verified"));
    return updateAgent(actor, agentId, QStringLiteral("claim_status"), QStringLiteral("claimStatus"), claimStatus,
                       QStringLiteral("agent.verification"));
}

Result<QJsonObject> AdminOpsService::setActive(const AdminCaller &actor, const QString &agentId, bool active)
{
    return updateAgent(actor, agentId, QStringLiteral("is_active"), QStringLiteral("isActive"), active,
                       QStringLiteral("agent.active"));
}

Result<JsonPage> AdminOpsService::listJobs(const AdminCaller &actor, const JobQuery &query)
{
    if (Status s = requireAdmin(actor); !s)
        return s.error();
    auto codec = m_cursors.codec();
    if (!codec)
        return codec.error();
    return listJobRows(m_db.connection(), **codec, query);
}

Result<QJsonObject> AdminOpsService::retryJob(const AdminCaller &actor, const QString &jobId)
{
    if (Status s = requireAdmin(actor); !s)
        return s.error();
    if (!ids::isUuid(jobId))
        return detail::notFound(QStringLiteral("Job"));
    QSqlDatabase db = m_db.connection();
    auto redriven = audit::inTransaction(db, [&](AuditEntry &entry) {
        auto row = redriveJobRow(db, jobId);
        if (row) {
            entry = AuditEntry::byModerator(actor, QStringLiteral("job.retry"), QStringLiteral("job"), jobId);
            entry.before = row->before;
            entry.after = QJsonObject{{QStringLiteral("state"), row->job.value(QStringLiteral("state"))},
                                      {QStringLiteral("attempts"), row->job.value(QStringLiteral("attempts"))}};
        }
        return row;
    });
    if (!redriven)
        return redriven.error();
    qCInfo(lcAdminOps).noquote() << "job" << jobId << "redriven by" << actor.email;
    return redriven->job;
}

Result<JsonPage> AdminOpsService::auditLog(const AdminCaller &actor, const AuditQuery &query)
{
    if (Status s = requireAdmin(actor); !s)
        return s.error();
    auto codec = m_cursors.codec();
    if (!codec)
        return codec.error();
    return audit::list(m_db.connection(), **codec, query);
}

} // namespace bw::moderation
