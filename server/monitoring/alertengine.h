#pragma once
// In-process alert rules (the seed's Alertmanager rules, operations.md): each rule compares one
// input (from metric_samples, live SQL or a health probe) with a threshold; a true condition opens
// a pending episode, which fires once it has held for the rule's `for` duration and resolves when
// the condition clears. State and history live in alert_events, so whichever node evaluates (the
// metrics-rollup cron job runs on the leader) continues the same episodes. Transitions go to the
// AlertNotifier (webhook / e-mail) after the state is committed.
// Thread-safe; evaluate/apply/current/history/acknowledge run SQL on the calling thread.

#include "server/core/result.h"

#include <QDateTime>
#include <QList>
#include <QSqlDatabase>
#include <QString>
#include <QStringList>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

namespace bw::monitoring {

class AlertNotifier;

struct AlertRule {
    QString name;         // APIDown, HighErrorRate, …
    QString severity;     // P1 | P2 | P3
    QString input;        // key in AlertInputs
    double threshold = 0; // condition: input > threshold
    std::chrono::seconds forDuration{0};
    QString summary; // "5xx error rate exceeds 10%"
};

// Input name → current value. A missing input means "no data": the condition is false.
using AlertInputs = std::map<QString, double>;

namespace alertinput {
inline constexpr auto kApiDown = "api_down"; // 1 when a health probe failed
inline constexpr auto kErrorRatio5m = "http_error_ratio_5m";
inline constexpr auto kLatencyP95 = "http_latency_p95";
inline constexpr auto kGuardrailQueueDepth = "guardrail_queue_depth";
inline constexpr auto kDbConnectionsRatio = "db_connections_ratio";
inline constexpr auto kDiskUsedRatio = "disk_used_ratio";
inline constexpr auto kGuardrailP95 = "guardrail_latency_p95";
inline constexpr auto kBackupAgeHours = "backup_age_hours";
inline constexpr auto kRestoreDrillFailed = "restore_drill_failed";
inline constexpr auto kDatabaseRestarted = "embedded_db_restarted";         // 1 for 10 min after a crash restart (in-process)
inline constexpr auto kWalArchiveFailing = "wal_archive_failing";           // the archiver failed after its last success
inline constexpr auto kPitrUnavailableMinutes = "pitr_unavailable_minutes"; // no recoverable window for this long
inline constexpr auto kLedgerViolations = "ledger_violations";              // violations found by the newest `ledger verify` run
} // namespace alertinput

struct AlertEvent {
    qint64 id = 0;
    QString rule;
    QString severity;
    QString state; // pending | firing | resolved
    QString summary;
    double value = 0;
    double threshold = 0;
    QDateTime pendingSince, firedAt, resolvedAt, lastEvaluatedAt;
    QString acknowledgedBy;
    QDateTime acknowledgedAt;
    QString notifications; // JSON array text
    bool acknowledged() const { return acknowledgedAt.isValid(); }
};

struct AlertTransition {
    enum Kind { Pending, Firing, Resolved };
    Kind kind = Pending;
    AlertEvent event; // after the transition
};

class AlertEngine final {
public:
    struct Options {
        QStringList healthUrls; // http://host:port/health probed for APIDown; empty: rule idle
        int probeTimeoutMs = 3000;
        // Inputs only this process knows (e.g. that it restarted its embedded database); any thread.
        std::function<AlertInputs()> processInputs;
    };

    explicit AlertEngine(Options options, AlertNotifier *notifier = nullptr);

    // The seed's rules: APIDown (2m), HighErrorRate >10% (3m), HighLatency p95 >500ms (10m),
    // QueueBacklog >500 (15m), DBConnectionsHigh >80% (5m), DiskUsageHigh >80% (30m),
    // GuardrailSlow p95 >5s (30m), BackupStale >26h, RestoreDrillFailed; and ours (DatabaseRestarted, WAL
    // archive, PITR window, LedgerInvariantBroken: the newest ledger verification found violations).
    static std::vector<AlertRule> defaultRules();
    void setRules(std::vector<AlertRule> rules);
    std::vector<AlertRule> rules() const;

    // gatherInputs + apply at `now` (default: the current time).
    Result<std::vector<AlertTransition>> evaluate(QSqlDatabase db, QDateTime now = {});
    // The inputs from the last 5 minutes of metric_samples, live SQL and the health probes.
    Result<AlertInputs> gatherInputs(QSqlDatabase db) const;
    // Advances every rule's episode with these inputs in one transaction (serialised across
    // nodes by an advisory lock), then hands the transitions to the notifier.
    Result<std::vector<AlertTransition>> apply(QSqlDatabase db, const AlertInputs &inputs, QDateTime now = {});

    // Open episodes plus those resolved in the last `resolvedHours`.
    static Result<QList<AlertEvent>> current(QSqlDatabase db, int resolvedHours = 24);
    // Every episode, newest first (keyset on id).
    static Result<QList<AlertEvent>> history(QSqlDatabase db, int limit = 200, qint64 beforeId = 0);
    // Marks an episode acknowledged (NotFound when unknown; acknowledging twice keeps the first).
    static Status acknowledge(QSqlDatabase db, qint64 id, const QString &by);

    // GET url with a deadline: true when it answered 2xx. Plain http:// only (local nodes).
    static bool probe(const QString &url, int timeoutMs);

private:
    const Options m_options;
    AlertNotifier *m_notifier;
    mutable std::mutex m_mutex;
    std::vector<AlertRule> m_rules;
};

} // namespace bw::monitoring
