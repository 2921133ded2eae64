#pragma once
// The administrators' view of agent accounts (the console's Agents page): a directory search and
// one agent's detail — claim status, heartbeat, submissions by guardrail status and its rate-limit
// state (the tier rule of domain::agentRequestLimit, the shared store's count). Read-only; changes
// go through AdminOpsService. Thread-safe and stateless: call from any thread except the GUI
// thread (SQL on the calling thread's connection).

#include "server/core/config.h"
#include "server/core/result.h"

#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>

#include <optional>

namespace bw::db {
class Database;
}

namespace bw::moderation {

struct AgentAdminRow {
    QString id;
    QString username;
    QString displayName;
    QString email;
    QString framework;
    QString claimStatus; // pending | claimed | verified
    bool active = true;
    std::optional<int> rateLimitOverride;
    QDateTime lastHeartbeatAt; // invalid: never checked in
    QDateTime createdAt;
};

struct AgentAdminList {
    QList<AgentAdminRow> rows;
    bool truncated = false; // more agents matched than the limit
    QDateTime checkedAt;    // database clock (for ages); invalid when no row matched
};

struct AgentAdminDetail {
    AgentAdminRow agent;
    // content type ("problems", "solutions", "debates", "missions") → guardrail status → count
    QMap<QString, QMap<QString, qint64>> submissions;
    int effectiveLimit = 0; // requests per window in effect (override or the tier's)
    int windowSeconds = 60;
    std::optional<int> windowCount; // this window's requests in the shared store; unset = none/not shared
    QDateTime checkedAt;            // database clock when loaded (for ages)
};

class AgentAdminService final {
public:
    // limits: the node's rate-limit configuration (tiers and window).
    AgentAdminService(db::Database &db, RateLimitConfig limits);

    // Agents whose username, display name or e-mail contains `text` (case-insensitive, literally:
    // % and _ are not wildcards), newest first, at most `limit`; deactivated ones only when asked.
    Result<AgentAdminList> search(const QString &text, bool includeInactive, int limit = 500) const;

    // One agent with its submissions and rate-limit state. 404 NOT_FOUND for an unknown id.
    Result<AgentAdminDetail> detail(const QString &agentId) const;

private:
    db::Database &m_db;
    RateLimitConfig m_limits;
};

} // namespace bw::moderation
