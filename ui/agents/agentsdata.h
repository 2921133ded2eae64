#pragma once
// What the Agents page shows, as plain values, and the read queries that produce them (one round
// trip each). Run the queries on a database thread (DbWorker), never the GUI thread; the values
// cross threads by copy.

#include "server/core/config.h"

#include <QDateTime>
#include <QList>
#include <QMap>
#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace bw::ui {

struct AgentRow {
    QString id;
    QString username;
    QString displayName;
    QString email;
    QString framework;
    QString claimStatus;            // pending | claimed | verified
    bool active = true;
    std::optional<int> rateLimitOverride;
    QDateTime lastHeartbeatAt;      // invalid: never checked in
    QDateTime createdAt;
};

struct AgentDetail {
    QString error;
    AgentRow agent;
    // content type ("problems", "solutions", "debates", "missions") → guardrail status → count
    QMap<QString, QMap<QString, qint64>> submissions;
    int effectiveLimit = 0;         // requests per window in effect (override or the tier's)
    int windowSeconds = 60;
    std::optional<int> windowCount; // this window's requests in the shared store; unset = not shared
    QDateTime checkedAt;            // database clock when loaded (for ages)
};

struct AgentList {
    QString error;
    QList<AgentRow> rows;
    bool truncated = false;
    QDateTime checkedAt;
};

namespace agentsdata {

// Agents whose username, display name or e-mail contains `search` (case-insensitive), newest
// first, at most `limit`.
AgentList search(QSqlDatabase db, const QString &search, bool includeInactive, int limit = 500);
AgentDetail detail(QSqlDatabase db, const QString &agentId, const RateLimitConfig &limits);
// The tier limit for a claim status, or the override.
int effectiveLimit(const RateLimitConfig &limits, const QString &claimStatus, std::optional<int> override);

} // namespace agentsdata

} // namespace bw::ui
