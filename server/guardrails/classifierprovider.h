#pragma once
// Layer B providers behind one interface: Anthropic's Messages API and OpenAI-compatible chat
// completions (llama.cpp server, vLLM, Ollama, hosted APIs). "none" has no provider object.
// classify() blocks the calling job worker for at most the call's timeout; providers hold only
// immutable configuration, so one instance serves all worker threads.

#include <QByteArray>
#include <QString>

#include <memory>

namespace bw::guardrails {

struct ClassifierCall {
    QString systemPrompt;
    QString userMessage;
    int maxTokens = 1024;
    int timeoutMs = 20000;
};

struct ClassifierReply {
    enum class Failure { None, Timeout, Network, RateLimited, ServerError, AuthError, ClientError, BadResponse };

    Failure failure = Failure::None;
    QString text; // the model's answer (Failure::None)
    int inputTokens = 0;
    int outputTokens = 0;
    int httpStatus = 0;
    QString message;            // what went wrong, for logs and the evaluation's reason
    int retryAfterSeconds = -1; // from a 429/503 Retry-After header

    bool ok() const { return failure == Failure::None; }
    // Worth another attempt later (timeouts, network errors, 429, 5xx, unparseable envelopes).
    bool retryable() const;
    // Counts against the provider's circuit breaker (it is down, overloaded or refusing us).
    bool breakerFailure() const;
    static QString failureName(Failure f);
};

class ClassifierProvider {
public:
    virtual ~ClassifierProvider() = default;
    virtual QString name() const = 0; // "anthropic" | "openai-compatible"
    virtual QString model() const = 0;
    virtual QString endpoint() const = 0; // the URL calls go to
    virtual double defaultInputCentsPerMTok() const = 0;
    virtual double defaultOutputCentsPerMTok() const = 0;
    virtual ClassifierReply classify(const ClassifierCall &call) const = 0;
};

// provider: "anthropic" | "openai-compatible" (anything else → null: no classifier). Empty model /
// baseUrl take the provider's defaults. apiKey may be empty for self-hosted servers.
std::unique_ptr<ClassifierProvider> makeProvider(const QString &provider, const QString &model, const QString &baseUrl,
                                                 const QByteArray &apiKey);

} // namespace bw::guardrails
