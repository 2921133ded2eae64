#pragma once
// Hands the evaluator the classifier provider the current policy names (provider, model, base
// URL) with its circuit breaker, rebuilding the provider when an administrator changes them, and
// every 5 minutes (30 s while the key is missing) so a key stored or rotated in the app is picked
// up. The API key is read from the SecretStore ("llm-api-key") when a provider is built —
// SecretStore calls may block, which is fine on the job workers that call this. Thread-safe.

#include "circuitbreaker.h"
#include "classifierprovider.h"

#include "server/core/config.h"

#include <QHash>
#include <QMutex>
#include <QString>

#include <chrono>
#include <memory>

namespace bw {
class MetricsRegistry;
class SecretStore;
} // namespace bw

namespace bw::guardrails {

class ClassifierHub final {
public:
    static constexpr auto kApiKeySecret = "llm-api-key";

    ClassifierHub(SecretStore *secrets, MetricsRegistry *metrics, CircuitBreaker::Options breaker = {});
    ~ClassifierHub();

    struct Active {
        std::shared_ptr<const ClassifierProvider> provider; // null: no classifier
        std::shared_ptr<CircuitBreaker> breaker;            // per provider endpoint, kept across rebuilds
        QString unavailableReason;                          // why provider is null
    };
    Active active(const GuardrailConfig &policy);

    // Forget the built provider (e.g. after the API key was changed in the app).
    void reset();

private:
    SecretStore *m_secrets;
    MetricsRegistry *m_metrics;
    CircuitBreaker::Options m_breakerOptions;
    QMutex m_mutex;
    QString m_builtFor; // provider|model|base_url the current entry was built for
    std::chrono::steady_clock::time_point m_builtAt;
    Active m_current;
    QHash<QString, std::shared_ptr<CircuitBreaker>> m_breakers; // by provider name + endpoint
};

} // namespace bw::guardrails
