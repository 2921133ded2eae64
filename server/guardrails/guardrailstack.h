#pragma once
// The guardrail services one node needs, built together and destroyed in dependency order:
// policy settings, the classifier hub, the evaluator (job handler side) and the agent-facing
// service (HTTP side). Owned by the Runtime; must outlive the job system whose handlers use it.

#include "server/core/config.h"

#include <memory>

namespace bw {
class MetricsRegistry;
class SecretStore;
namespace db {
class Database;
}
} // namespace bw

namespace bw::guardrails {

class ClassifierHub;
class GuardrailEvaluator;
class GuardrailService;
class GuardrailSettingsStore;

struct GuardrailStack {
    std::unique_ptr<GuardrailSettingsStore> settings;
    std::unique_ptr<ClassifierHub> classifiers;
    std::unique_ptr<GuardrailEvaluator> evaluator;
    std::unique_ptr<GuardrailService> service;

    // secrets holds "llm-api-key"; metrics may be null. No SQL here (any thread).
    static std::unique_ptr<GuardrailStack> create(db::Database &db, const GuardrailConfig &config, SecretStore *secrets,
                                                  MetricsRegistry *metrics);
    ~GuardrailStack();
};

} // namespace bw::guardrails
