#pragma once
// A local fake LLM provider for tests and benchmarks: a real HTTP server (Boost.Beast, its own
// I/O thread, 127.0.0.1:0) speaking both Anthropic's Messages API (POST /v1/messages) and
// OpenAI-compatible chat completions (POST /v1/chat/completions). By default it answers with a
// valid classifier verdict; markers in the submitted text steer it ("[[score=0.55]]",
// "[[harm=high]]", "[[domain=x]]", "[[decision=flag]]", "[[impact=80]]", "[[feasibility=70]]",
// "[[cost=60]]", "[[malformed]]"), and scripted replies (FIFO, one per request) inject latency,
// HTTP errors, 429 with Retry-After, malformed envelopes and dropped connections.
// Configure from the test thread; requests are served on the fake's own thread.

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <memory>

namespace bw::test {

class FakeLlm final {
public:
    enum class Format { Anthropic, OpenAi };

    struct Reply {
        int status = 200;
        int latencyMs = -1;          // -1: the global latency
        QString text;                // the model's text; empty: computed from the request
        QByteArray rawBody;          // sent verbatim instead of a provider envelope (malformed answers)
        int retryAfterSeconds = -1;  // adds Retry-After
        bool dropConnection = false; // close without answering
        static Reply error(int status, int retryAfter = -1);
        static Reply modelText(QString text);
        static Reply raw(QByteArray body);
        static Reply drop();
        static Reply slow(int latencyMs);
    };

    struct Stats {
        int requests = 0;
        int anthropic = 0;
        int openAi = 0;
        int maxConcurrent = 0;
        QByteArray lastBody;
        QByteArray lastApiKey; // x-api-key or the Bearer token
        QString lastUserMessage;
        QString lastSystemPrompt;
    };

    FakeLlm();
    ~FakeLlm();
    FakeLlm(const FakeLlm &) = delete;
    FakeLlm &operator=(const FakeLlm &) = delete;

    bool start(); // false when it cannot listen
    void stop();
    quint16 port() const;
    QString baseUrl() const; // http://127.0.0.1:<port>

    void setLatency(int ms); // for every answer without its own latency
    // The verdict answered when the request has no markers (snake_case classifier object).
    void setDefaultVerdict(const QJsonObject &verdict);
    static QJsonObject approvingVerdict();
    void enqueue(const Reply &reply); // the next request gets it (FIFO)
    void clearQueue();
    void setRequireApiKey(const QByteArray &key); // non-empty: other keys → 401

    Stats stats() const;
    void resetStats();

    // The verdict text the fake computes for a user message (markers applied) — for assertions.
    QString verdictFor(const QString &userMessage, bool solution) const;

    struct Private; // shared with the connection handlers

private:
    std::shared_ptr<Private> d;
};

} // namespace bw::test
