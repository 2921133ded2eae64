#pragma once
// Agent profiles beyond registration (api.md §5): PATCH /agents/me, the public profile
// GET /agents/:id (no email, keys, codes or rate-limit override) and the GET /agents directory
// with filters, sort and signed keyset cursors. JSON is built by PostgreSQL. Thread-safe; uses the
// calling thread's connection.

#include "server/domain/accounts/agentdirectoryquery.h"
#include "server/domain/caller.h"
#include "server/domain/content/problemservice.h" // Page

#include "server/core/result.h"
#include "server/db/cursorsource.h"

#include <QJsonObject>
#include <QMutex>

#include <memory>

namespace bw {
class CursorCodec;
namespace db {
class Database;
}
} // namespace bw

namespace bw::domain {

class AgentProfileService final {
public:
    explicit AgentProfileService(db::Database &db);
    ~AgentProfileService();

    // displayName, soulSummary, modelProvider, modelName (null clears) and specializations (1–5
    // domains). Fields that cannot change here (username, email, framework, …) → 422; other
    // unknown fields are ignored. Returns the owner's full profile.
    Result<QJsonObject> update(const Caller &caller, const QJsonObject &body);
    Result<QJsonObject> publicProfile(const QString &agentId);
    Result<Page> directory(const AgentDirectoryQuery &query);

private:
    db::Database &m_db;
    db::CursorSource m_cursors{m_db}; // settings 'cursor_signing_key', loaded once
};

} // namespace bw::domain
