#pragma once
// The guardrail policy in effect: thresholds, TTL, budget, provider and the Layer A pattern set.
// Rows in the settings table (keys "guardrails/…", shared by all nodes, edited in the app with an
// audit entry) win once edited; rows still marked updated_by = 'migration' yield to this node's
// configuration. "guardrails/patterns" (absent by default) overrides the built-in pattern file.
// Thread-safe: a snapshot is cached and reloaded on the calling thread's connection when stale.

#include "patternset.h"

#include "server/core/config.h"
#include "server/core/result.h"

#include <QJsonValue>
#include <QMutex>
#include <QString>

#include <chrono>
#include <memory>

namespace bw::db {
class Database;
}

namespace bw::guardrails {

struct PolicySnapshot {
    GuardrailConfig policy;
    std::shared_ptr<const PatternSet> patterns;
    QString patternsSource; // "built-in" | "settings"
};

class GuardrailSettingsStore final {
public:
    GuardrailSettingsStore(db::Database &db, GuardrailConfig nodeConfig,
                           std::chrono::milliseconds refresh = std::chrono::seconds(10));

    // The current snapshot (reloaded when older than `refresh`). If a reload fails the previous
    // snapshot is kept; only the very first load can fail.
    Result<std::shared_ptr<const PolicySnapshot>> current();
    void invalidate(); // the next current() reloads

    // At start: rows nobody edited yet take this node's configured values, so the app shows what
    // is in effect.
    Status syncNodeConfig();

    // Validates and stores one setting (a key of keys() or "guardrails/patterns") with an audit_log
    // entry {before, after}, in one transaction. actorType: moderator | system.
    Status update(const QString &key, const QJsonValue &value, const QString &actorType, const QString &actorId);

    static const QStringList &keys();
    static constexpr auto kPatternsKey = "guardrails/patterns";
    // Applies one stored value to a config; "" when fine, else why not.
    static QString apply(GuardrailConfig &config, const QString &key, const QJsonValue &value);
    static QJsonValue valueOf(const GuardrailConfig &config, const QString &key);

private:
    Result<std::shared_ptr<const PolicySnapshot>> load();

    db::Database &m_db;
    GuardrailConfig m_node;
    std::chrono::milliseconds m_refresh;
    QMutex m_mutex;
    std::shared_ptr<const PolicySnapshot> m_snapshot;
    std::chrono::steady_clock::time_point m_loadedAt;
    QString m_patternsJson; // the override last compiled, to skip recompiling an unchanged one
};

} // namespace bw::guardrails
