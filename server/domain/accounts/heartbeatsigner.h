#pragma once
// The heartbeat signing keys (api.md §6). Private keys live in the SecretStore ("heartbeat-signing-key"
// and, during a 30-day rotation overlap, "heartbeat-signing-key-previous"); the public metadata
// (key ids, SPKI keys, notBefore/notAfter) lives in settings row "heartbeat_signing_keys", which
// every node reads and which tells running servers that `betterworld keys rotate-heartbeat` ran.
// The SecretStore is each node's source of truth: several nodes sharing a database must be
// provisioned with the same secret (BW_SECRET_HEARTBEAT_SIGNING_KEY[_PREVIOUS]); a node whose key
// differs from the database's metadata logs a warning and keeps signing with its own key.
// Thread-safe: loadOrCreate/rotate/refresh may block (SecretStore, SQL) — request-pool or worker
// threads only, never the GUI or an HTTP I/O thread; sign/current/publishedKeys never block.

#include "server/domain/accounts/ed25519key.h"

#include "server/core/result.h"

#include <QDateTime>
#include <QList>
#include <QMutex>

#include <memory>
#include <optional>

namespace bw {
class SecretStore;
namespace db {
class Database;
}
} // namespace bw

namespace bw::domain {

struct HeartbeatKeyInfo {
    QString keyId;
    QString publicKey; // SPKI DER, base64
    QDateTime notBefore;
    QDateTime notAfter;         // invalid: no end (the current key)
    QJsonObject toJson() const; // {keyId, algorithm: "Ed25519", publicKey, notBefore, notAfter}
};

class HeartbeatSigner final {
public:
    static constexpr auto kSecretName = "heartbeat-signing-key";
    static constexpr auto kPreviousSecretName = "heartbeat-signing-key-previous";
    static constexpr auto kSettingsKey = "heartbeat_signing_keys";
    static constexpr int kOverlapDays = 30;

    HeartbeatSigner(SecretStore &secrets, db::Database &db);
    ~HeartbeatSigner();

    // Startup: loads the keys, creating the current one on first run, and records their metadata.
    Status loadOrCreate();
    // A new current key; the old one is kept (secret + published) for kOverlapDays. Returns the new key.
    Result<HeartbeatKeyInfo> rotate();
    // Cheap when metadataJson (settings value text) is unchanged; otherwise re-reads the secrets.
    void refreshIfChanged(const QString &metadataJson);

    struct Signature {
        QString keyId;
        QByteArray base64;
    };
    Signature sign(const QByteArray &message) const; // with the current key
    HeartbeatKeyInfo current() const;
    QList<HeartbeatKeyInfo> publishedKeys() const; // current, then the previous one while valid
    bool isLoaded() const;

private:
    struct State;
    Result<std::optional<Ed25519Key>> readKey(const char *name) const;
    // Makes (current, previous) the signing state, with validity taken from metadata (the settings
    // row whose text is metadataText); persist: also write the row when it differs.
    Status adopt(std::optional<Ed25519Key> current, std::optional<Ed25519Key> previous, const QString &metadataText,
                 bool persist);

    SecretStore &m_secrets;
    db::Database &m_db;
    mutable QMutex m_mutex;
    std::shared_ptr<const State> m_state;
    QString m_warnedFor; // metadata text we already warned about (log once per change)
};

} // namespace bw::domain
