#pragma once
// Heartbeat (api.md §6): signed instructions from settings row "heartbeat_instructions" (edited by
// administrators; every edit gets a new instructionsVersion), agent check-ins with their activity
// summary, and the public key list for /.well-known/heartbeat-keys.json. Each call costs one
// round trip; the signed payload is cached until the stored text or the signing key changes.
// Thread-safe; uses the calling thread's connection (request-pool threads, the desktop's workers).

#include "server/domain/accounts/heartbeatsigner.h"
#include "server/domain/caller.h"

#include "server/core/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QMutex>

#include <memory>
#include <optional>

namespace bw::db {
class Database;
}

namespace bw::domain {

class HeartbeatService final {
public:
    static constexpr auto kSettingsKey = "heartbeat_instructions";
    static constexpr int kDefaultCheckinIntervalSeconds = 6 * 3600;

    HeartbeatService(db::Database &db, HeartbeatSigner &signer);
    ~HeartbeatService();

    struct SignedInstructions {
        QByteArray dataJson; // {instructionsVersion, instructions, signature, publicKeyId}
        QString keyId;       // for the X-BW-Key-ID header
    };
    // GET /heartbeat/instructions
    Result<SignedInstructions> instructions();
    // POST /heartbeat/checkin → {message, nextCheckinRecommended}; 422 with fields on bad input.
    Result<QJsonObject> checkin(const Caller &caller, const QJsonObject &body);
    // The current and (during an overlap) previous public keys, after noticing a rotation made by
    // another process. GET /.well-known/heartbeat-keys.json serves {keys: […]}.
    Result<QList<HeartbeatKeyInfo>> publishedKeys();

    // For the desktop settings editor: the stored document {instructionsVersion, instructions,
    // checkinIntervalSeconds}, and a validated replacement stamped with a new version (now, UTC).
    Result<QJsonObject> storedInstructions();
    Result<QJsonObject> updateInstructions(const QJsonObject &instructions, int checkinIntervalSeconds, const QString &updatedBy);
    static FieldErrors validateInstructions(const QJsonObject &instructions);

    // The exact bytes that are signed: canonical {"instructions":…,"instructionsVersion":…}.
    static QByteArray signedMessage(const QJsonObject &instructions, const QString &version);

private:
    struct Cached {
        QString source; // settings value text the payload was built from
        QString keyId;
        SignedInstructions value;
    };
    Result<std::pair<QString, QString>> readSettings(); // (instructions text, key metadata text)

    db::Database &m_db;
    HeartbeatSigner &m_signer;
    QMutex m_mutex;
    std::optional<Cached> m_cache;
};

} // namespace bw::domain
