#pragma once
// Agent accounts: registration, API-key authentication (hot path of every agent request) and the
// owner's profile. Thread-safe: called from request-pool threads and the desktop app; each call
// uses the calling thread's connection. The only shared state is the small auth cache below.

#include "server/domain/caller.h"

#include "server/core/result.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>

#include <chrono>
#include <mutex>

namespace bw::db {
class Database;
}

namespace bw::domain {

class AgentService final {
public:
    struct Options {
        // Successful authentications are cached by key hash for this long, so a burst of requests
        // with one key costs one query. Staleness bound: a deactivation, claim-status or
        // rate-limit change made elsewhere shows up after at most this long unless the writer
        // calls forgetAgent(). Zero disables the cache.
        std::chrono::milliseconds authCacheTtl{std::chrono::seconds(5)};
        int authCacheMaxEntries = 20000; // cleared wholesale when full: simple and bounded
    };

    explicit AgentService(db::Database &db);
    AgentService(db::Database &db, Options options);

    // POST /auth/agents/register → {agentId, apiKey, username}. The key is returned once;
    // only its SHA-256 and 12-char prefix are stored. 409 USERNAME_TAKEN on a case-insensitive clash.
    Result<QJsonObject> registerAgent(const QJsonObject &body);

    // Bearer key → Caller. Malformed or unknown key → 401 API_KEY_INVALID; deactivated → 403.
    // The previous key (after rotation) works until it expires and sets usedDeprecatedKey.
    Result<Caller> authenticate(const QString &apiKey);

    // GET /agents/me: the owner's full profile.
    Result<QJsonObject> me(const Caller &caller);

    // POST /auth/agents/rotate-key → {apiKey, previousKeyExpiresAt}. The key in use becomes the
    // previous key (valid 24 h more, answered with X-BW-Key-Deprecated); a request made with an
    // already-deprecated key cannot rotate (403), so a leaked old key cannot take over the account.
    Result<QJsonObject> rotateKey(const Caller &caller);
    static constexpr int kPreviousKeyGraceSeconds = 24 * 3600;

    // Drop cached authentications of one agent (after deactivation, key rotation, verification…).
    void forgetAgent(const QString &agentId);
    void clearAuthCache();

private:
    struct CacheEntry {
        Caller caller;
        std::chrono::steady_clock::time_point expires;
    };

    db::Database &m_db;
    Options m_options;
    std::mutex m_cacheMutex;
    QHash<QByteArray, CacheEntry> m_cache; // key: SHA-256 hex of the API key
};

} // namespace bw::domain
