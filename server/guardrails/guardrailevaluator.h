#pragma once
// Runs one guardrail evaluation end to end (guardrails.md steps 2–8): trust tier, Layer A, cache,
// budget, Layer B with its circuit breaker, the decision table and the one-transaction write-back.
// Called by the "guardrail-evaluation" job handler and directly by tests. Thread-safe: any number
// of worker threads call evaluate() at once, each on its own database connection; blocking (the
// classifier call) is expected there — never call it on an I/O or GUI thread.

#include "aibudget.h"
#include "decision.h"

#include "server/core/result.h"

#include <QString>

#include <atomic>
#include <chrono>

namespace bw {
class Counter;
class MetricsRegistry;
namespace db {
class Database;
}
} // namespace bw

namespace bw::guardrails {

class ClassifierHub;
class GuardrailSettingsStore;
struct PolicySnapshot;

struct EvaluationOutcome {
    QString evaluationId;
    QString finalDecision; // approved | flagged | rejected
    QString reason;
    QString trustTier;
    bool cacheHit = false;
    bool alreadyDecided = false; // another run got there first; nothing was written
    bool contentUpdated = false;
    bool flaggedQueued = false;
};

class GuardrailEvaluator final {
public:
    GuardrailEvaluator(db::Database &db, GuardrailSettingsStore &settings, ClassifierHub &classifiers,
                       MetricsRegistry *metrics = nullptr);
    ~GuardrailEvaluator();

    struct Options {
        // false: a retryable classifier failure (timeout, 429, 5xx, invalid output) returns an
        // error with details {"retry": true, "retryAfterSeconds"?} for the queue to retry later;
        // true: it ends the evaluation as `flagged` with the failure as the reason.
        bool finalAttempt = true;
    };
    Result<EvaluationOutcome> evaluate(const QString &evaluationId) { return evaluate(evaluationId, Options{}); }
    Result<EvaluationOutcome> evaluate(const QString &evaluationId, Options options);

    // The last resort: ends a still-pending evaluation as `flagged` (review queue) with `reason`.
    Result<EvaluationOutcome> flagAsFailed(const QString &evaluationId, const QString &reason);

    // Flags pending evaluations older than `olderThan` that have no live job any more (their job
    // was lost or discarded without a write-back); returns how many. Safe on several nodes.
    Result<int> rescueStranded(std::chrono::seconds olderThan = std::chrono::minutes(10), int limit = 100);

private:
    struct Loaded;
    struct LayerBOutcome;
    Result<Loaded> load(const QString &evaluationId, const GuardrailConfig &policy);
    Result<LayerBOutcome> layerB(const Loaded &item, const PolicySnapshot &snapshot, Options options);
    void record(const EvaluationOutcome &outcome, double seconds);
    void maybePruneCache();

    db::Database &m_db;
    GuardrailSettingsStore &m_settings;
    ClassifierHub &m_classifiers;
    MetricsRegistry *m_metrics;
    AiBudget m_budget;
    std::atomic<qint64> m_lastPruneMs{0};
};

} // namespace bw::guardrails
