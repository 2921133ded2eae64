#pragma once
// Administrators' settings changes made from the console, each with its audit row: a key in the
// node's config file (applied at the next start), a secret in the keychain (the audit row never
// holds the value) and the signed heartbeat instructions. Guardrail settings are not here: their
// store (GuardrailSettingsStore::update) applies and audits them itself. Thread-safe and
// stateless: call from any thread except the GUI thread (file, keychain and SQL on the calling
// thread's connection).

#include "admincaller.h"

#include "server/core/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace bw {
class SecretStore;
namespace db {
class Database;
}
namespace domain {
class HeartbeatService;
}
} // namespace bw

namespace bw::moderation {

class SettingsService final {
public:
    // secrets / heartbeat may be null (then their calls fail with 500 Internal); they must outlive this.
    SettingsService(db::Database &db, SecretStore *secrets, domain::HeartbeatService *heartbeat);

    // Writes key = value (trimmed) into the INI file configFile, creating its folder, and audits
    // "settings.update" on target ("setting", key) with {before → after}. 403 unless administrator;
    // 500 when the file cannot be written (nothing audited) or the audit row fails.
    Status saveConfigValue(const AdminCaller &actor, const QString &configFile, const QString &key, const QString &value,
                           const QString &before);

    // Stores a secret under `name` in the keychain and audits "settings.secret" on ("secret", name)
    // with {changed: true}. 403 unless administrator; 500 when the keychain or the audit row fails.
    Status saveSecret(const AdminCaller &actor, const QString &name, const QByteArray &value);

    // Replaces the heartbeat instructions (HeartbeatService::updateInstructions, signed with a new
    // version) and audits "heartbeat.instructions" with the versions before and after. Returns the
    // stored document; 403 unless administrator, 422 invalid instructions, 500 when the audit row
    // fails (the instructions are saved by then).
    Result<QJsonObject> updateHeartbeatInstructions(const AdminCaller &actor, const QJsonObject &instructions,
                                                    int checkinIntervalSeconds, const QString &previousVersion);

private:
    db::Database &m_db;
    SecretStore *m_secrets;
    domain::HeartbeatService *m_heartbeat;
};

} // namespace bw::moderation
