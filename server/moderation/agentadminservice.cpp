#include "agentadminservice.h"

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/domain/agentratelimit.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>

namespace bw::moderation {

namespace {

const QString kColumns =
    QStringLiteral("a.id::text, a.username, coalesce(a.display_name, ''), coalesce(a.email, ''), a.framework, a.claim_status,"
                   " a.is_active, a.rate_limit_override, a.last_heartbeat_at, a.created_at, now()");

AgentAdminRow readRow(const QSqlQuery &q)
{
    AgentAdminRow r;
    r.id = q.value(0).toString();
    r.username = q.value(1).toString();
    r.displayName = q.value(2).toString();
    r.email = q.value(3).toString();
    r.framework = q.value(4).toString();
    r.claimStatus = q.value(5).toString();
    r.active = q.value(6).toBool();
    if (!q.value(7).isNull())
        r.rateLimitOverride = q.value(7).toInt();
    r.lastHeartbeatAt = q.value(8).toDateTime();
    r.createdAt = q.value(9).toDateTime();
    return r;
}

QString escapeLike(QString s)
{
    s.replace(u'\\', QStringLiteral("\\\\"));
    s.replace(u'%', QStringLiteral("\\%"));
    s.replace(u'_', QStringLiteral("\\_"));
    return s;
}

} // namespace

AgentAdminService::AgentAdminService(db::Database &db, RateLimitConfig limits) : m_db(db), m_limits(std::move(limits)) {}

Result<AgentAdminList> AgentAdminService::search(const QString &text, bool includeInactive, int limit) const
{
    AgentAdminList out;
    const QString pattern = QStringLiteral("%") + escapeLike(text.trimmed()) + QStringLiteral("%");
    auto q = db::exec(
        m_db.connection(),
        QStringLiteral("SELECT %1 FROM agents a"
                       " WHERE (a.username ILIKE ? OR coalesce(a.display_name, '') ILIKE ? OR coalesce(a.email, '') ILIKE ?)"
                       " AND (? OR a.is_active) ORDER BY a.created_at DESC, a.id LIMIT ?")
            .arg(kColumns),
        {pattern, pattern, pattern, includeInactive, limit + 1});
    if (!q)
        return q.error();
    while (q->next()) {
        if (out.rows.size() == limit) {
            out.truncated = true;
            break;
        }
        out.rows.append(readRow(*q));
        out.checkedAt = q->value(10).toDateTime();
    }
    return out;
}

Result<AgentAdminDetail> AgentAdminService::detail(const QString &agentId) const
{
    const QString notFound = QStringLiteral("agent %1 not found").arg(agentId);
    if (!ids::isUuid(agentId))
        return ApiError::notFound(notFound);
    AgentAdminDetail d;
    d.windowSeconds = m_limits.windowSeconds;
    // The agent, its submissions by guardrail status and its shared-store rate-limit bucket in one
    // statement; the counter row only counts when it is for the current window.
    auto q = db::exec(
        m_db.connection(),
        QStringLiteral(
            "SELECT %1,"
            " (SELECT coalesce(json_object_agg(t, s), '{}')::text FROM ("
            "   SELECT t, json_object_agg(g, n) AS s FROM ("
            "     SELECT 'problems' AS t, guardrail_status AS g, count(*) AS n FROM problems WHERE reported_by_agent_id = a.id GROUP BY 2"
            "     UNION ALL SELECT 'solutions', guardrail_status, count(*) FROM solutions WHERE proposed_by_agent_id = a.id GROUP BY 2"
            "     UNION ALL SELECT 'debates', guardrail_status, count(*) FROM debates WHERE agent_id = a.id GROUP BY 2"
            "     UNION ALL SELECT 'missions', guardrail_status, count(*) FROM missions WHERE created_by_agent_id = a.id GROUP BY 2"
            "   ) c GROUP BY t) x),"
            " (SELECT r.count FROM rate_limit_counters r WHERE r.key = ?"
            "   AND r.window_start + r.window_seconds > extract(epoch FROM now())::bigint)"
            " FROM agents a WHERE a.id = ?::uuid")
            .arg(kColumns),
        {domain::agentRateLimitKey(agentId.toLower()), agentId});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::notFound(notFound);
    d.agent = readRow(*q);
    d.checkedAt = q->value(10).toDateTime();
    const QJsonObject types = db::jsonObjectOrEmpty(q->value(11).toString());
    for (auto t = types.begin(); t != types.end(); ++t) {
        const QJsonObject statuses = t.value().toObject();
        for (auto s = statuses.begin(); s != statuses.end(); ++s)
            d.submissions[t.key()][s.key()] = s.value().toInteger();
    }
    d.effectiveLimit = domain::agentRequestLimit(m_limits, d.agent.claimStatus, d.agent.rateLimitOverride);
    // The shared store is in use when rate_limit/store resolves to postgres; a missing row then
    // means no request this window. With the in-memory limiter the table stays empty.
    if (!q->value(12).isNull())
        d.windowCount = q->value(12).toInt();
    return d;
}

} // namespace bw::moderation
