#pragma once
// Administrator-only controls (api.md §9): per-agent rate-limit override, claim status and
// activation; the job queue (list, dead-letter redrive); and reading the audit log. Every change
// is audited in the same transaction and, for agents, reported through Options::agentChanged so
// the agent auth cache (AgentService::forgetAgent) never serves stale state. Thread-safe and
// stateless: call from any thread except the GUI thread (SQL on the calling thread's connection).

#include "admincaller.h"
#include "auditlog.h"

#include "server/core/result.h"
#include "server/db/cursorsource.h"

#include <QJsonObject>
#include <QMap>
#include <QString>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace bw {
class CursorCodec;
namespace db {
class Database;
}
} // namespace bw

namespace bw::moderation {

struct JobQuery {
    QString queue; // "" = any
    QString state; // available | running | retryable | completed | discarded | cancelled | "" = any
    QString cursor;
    int limit = 20;

    static Result<JobQuery> fromQuery(const QMap<QString, QString> &query);
};

class AdminOpsService final {
public:
    struct Options {
        // Called after a committed change to an agent (any thread). Wire to AgentService::forgetAgent.
        std::function<void(const QString &agentId)> agentChanged;
    };

    explicit AdminOpsService(db::Database &db);
    AdminOpsService(db::Database &db, Options options);
    ~AdminOpsService();

    // Each returns the agent's admin view (private profile incl. email and rateLimitOverride).
    // 403 unless the actor is an administrator; 404 unknown agent; 422 invalid value.
    Result<QJsonObject> setRateLimitOverride(const AdminCaller &actor, const QString &agentId, std::optional<int> limit);
    Result<QJsonObject> setClaimStatus(const AdminCaller &actor, const QString &agentId, const QString &claimStatus);
    Result<QJsonObject> setActive(const AdminCaller &actor, const QString &agentId, bool active);

    // Body parsers shared by the HTTP layer: {limit: 1–1000 | null}, {claimStatus}, {isActive}.
    static Result<std::optional<int>> parseRateLimitBody(const QJsonObject &body);
    static Result<QString> parseClaimStatusBody(const QJsonObject &body);
    static Result<bool> parseActiveBody(const QJsonObject &body);

    // Jobs, newest first. 403 unless administrator.
    Result<JsonPage> listJobs(const AdminCaller &actor, const JobQuery &query);
    // Dead-letter redrive: a discarded job becomes available now with its attempts reset (same
    // rule as JobSystem::redrive). 404 unknown; 409 CONFLICT in another state or when a live job
    // with the same unique key exists. Returns the job.
    Result<QJsonObject> retryJob(const AdminCaller &actor, const QString &jobId);

    // The audit log, newest first. 403 unless administrator.
    Result<JsonPage> auditLog(const AdminCaller &actor, const AuditQuery &query);

private:
    Result<QJsonObject> updateAgent(const AdminCaller &actor, const QString &agentId, const QString &column,
                                    const QString &jsonKey, const QVariant &value, const QString &action);

    db::Database &m_db;
    Options m_options;
    db::CursorSource m_cursors{m_db}; // settings 'cursor_signing_key', loaded once
};

} // namespace bw::moderation
