#include "classifierprovider.h"

#include "httpsclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace bw::guardrails {

bool ClassifierReply::retryable() const
{
    switch (failure) {
    case Failure::Timeout:
    case Failure::Network:
    case Failure::RateLimited:
    case Failure::ServerError:
    case Failure::BadResponse:
        return true;
    default:
        return false;
    }
}

bool ClassifierReply::breakerFailure() const
{
    switch (failure) {
    case Failure::Timeout:
    case Failure::Network:
    case Failure::RateLimited:
    case Failure::ServerError:
    case Failure::AuthError:
        return true;
    default:
        return false;
    }
}

QString ClassifierReply::failureName(Failure f)
{
    switch (f) {
    case Failure::None:
        return QStringLiteral("none");
    case Failure::Timeout:
        return QStringLiteral("timeout");
    case Failure::Network:
        return QStringLiteral("network");
    case Failure::RateLimited:
        return QStringLiteral("rate_limited");
    case Failure::ServerError:
        return QStringLiteral("server_error");
    case Failure::AuthError:
        return QStringLiteral("auth_error");
    case Failure::ClientError:
        return QStringLiteral("client_error");
    case Failure::BadResponse:
        return QStringLiteral("bad_response");
    }
    return {};
}

namespace {

// Base URL + API path; a base that already ends in /v1 is not given a second one.
QString joinUrl(QString base, const QString &pathAfterV1)
{
    while (base.endsWith(u'/'))
        base.chop(1);
    if (!base.endsWith(QStringLiteral("/v1")))
        base += QStringLiteral("/v1");
    return base + pathAfterV1;
}

// Transport outcome → failure kind; status 200 with a JSON object body → ok (parsed further by the caller).
ClassifierReply fromAnswer(const HttpAnswer &a, QJsonObject *body)
{
    ClassifierReply r;
    r.httpStatus = a.status;
    if (!a.answered()) {
        r.failure = a.timedOut ? ClassifierReply::Failure::Timeout : ClassifierReply::Failure::Network;
        r.message = a.error;
        return r;
    }
    bool ok = false;
    const int retryAfter = a.retryAfter.trimmed().toInt(&ok);
    if (ok && retryAfter >= 0)
        r.retryAfterSeconds = retryAfter;
    if (a.status != 200) {
        using F = ClassifierReply::Failure;
        r.failure = a.status == 429                        ? F::RateLimited
                    : (a.status >= 500 || a.status == 408) ? F::ServerError
                    : (a.status == 401 || a.status == 403) ? F::AuthError
                                                           : F::ClientError;
        r.message = QStringLiteral("HTTP %1: %2").arg(a.status).arg(QString::fromUtf8(a.body.left(300)));
        return r;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(a.body);
    if (!doc.isObject()) {
        r.failure = ClassifierReply::Failure::BadResponse;
        r.message = QStringLiteral("provider answer is not a JSON object");
        return r;
    }
    *body = doc.object();
    return r;
}

class AnthropicProvider final : public ClassifierProvider {
public:
    AnthropicProvider(QString model, QString baseUrl, QByteArray apiKey)
        : m_model(model.isEmpty() ? QStringLiteral("claude-haiku-4-5") : std::move(model)),
          m_endpoint(
              joinUrl(baseUrl.isEmpty() ? QStringLiteral("https://api.anthropic.com") : baseUrl, QStringLiteral("/messages"))),
          m_apiKey(std::move(apiKey))
    {
    }
    QString name() const override { return QStringLiteral("anthropic"); }
    QString model() const override { return m_model; }
    QString endpoint() const override { return m_endpoint; }
    double defaultInputCentsPerMTok() const override { return 100; }  // Haiku 4.5: $1 / MTok in
    double defaultOutputCentsPerMTok() const override { return 500; } // $5 / MTok out

    ClassifierReply classify(const ClassifierCall &call) const override
    {
        const QJsonObject request{
            {QStringLiteral("model"), m_model},
            {QStringLiteral("max_tokens"), call.maxTokens},
            {QStringLiteral("temperature"), 0},
            {QStringLiteral("system"), call.systemPrompt},
            {QStringLiteral("messages"), QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                                                {QStringLiteral("content"), call.userMessage}}}}};
        HttpPost post{m_endpoint,
                      {{"x-api-key", m_apiKey}, {"anthropic-version", "2023-06-01"}},
                      QJsonDocument(request).toJson(QJsonDocument::Compact),
                      call.timeoutMs};
        QJsonObject body;
        ClassifierReply r = fromAnswer(postJson(post), &body);
        if (!r.ok())
            return r;
        for (const QJsonValue &block : body.value(QStringLiteral("content")).toArray()) {
            if (block.toObject().value(QStringLiteral("type")).toString() == u"text")
                r.text += block.toObject().value(QStringLiteral("text")).toString();
        }
        const QJsonObject usage = body.value(QStringLiteral("usage")).toObject();
        r.inputTokens = usage.value(QStringLiteral("input_tokens")).toInt();
        r.outputTokens = usage.value(QStringLiteral("output_tokens")).toInt();
        if (!body.value(QStringLiteral("content")).isArray()) {
            r.failure = ClassifierReply::Failure::BadResponse;
            r.message = QStringLiteral("Messages API answer without a content array");
        }
        return r;
    }

private:
    QString m_model;
    QString m_endpoint;
    QByteArray m_apiKey;
};

class OpenAiCompatibleProvider final : public ClassifierProvider {
public:
    OpenAiCompatibleProvider(QString model, QString baseUrl, QByteArray apiKey)
        : m_model(model.isEmpty() ? QStringLiteral("default") : std::move(model)),
          m_endpoint(joinUrl(baseUrl.isEmpty() ? QStringLiteral("http://127.0.0.1:8080") : baseUrl,
                             QStringLiteral("/chat/completions"))),
          m_apiKey(std::move(apiKey))
    {
    }
    QString name() const override { return QStringLiteral("openai-compatible"); }
    QString model() const override { return m_model; }
    QString endpoint() const override { return m_endpoint; }
    double defaultInputCentsPerMTok() const override { return 0; } // self-hosted: no per-call price
    double defaultOutputCentsPerMTok() const override { return 0; }

    ClassifierReply classify(const ClassifierCall &call) const override
    {
        const QJsonObject request{
            {QStringLiteral("model"), m_model},
            {QStringLiteral("max_tokens"), call.maxTokens},
            {QStringLiteral("temperature"), 0},
            {QStringLiteral("response_format"), QJsonObject{{QStringLiteral("type"), QStringLiteral("json_object")}}},
            {QStringLiteral("messages"),
             QJsonArray{
                 QJsonObject{{QStringLiteral("role"), QStringLiteral("system")}, {QStringLiteral("content"), call.systemPrompt}},
                 QJsonObject{{QStringLiteral("role"), QStringLiteral("user")}, {QStringLiteral("content"), call.userMessage}}}}};
        HttpPost post{m_endpoint, {}, QJsonDocument(request).toJson(QJsonDocument::Compact), call.timeoutMs};
        if (!m_apiKey.isEmpty())
            post.headers.append({"authorization", "Bearer " + m_apiKey});
        QJsonObject body;
        ClassifierReply r = fromAnswer(postJson(post), &body);
        if (!r.ok())
            return r;
        const QJsonArray choices = body.value(QStringLiteral("choices")).toArray();
        const QJsonValue content =
            choices.isEmpty()
                ? QJsonValue()
                : choices.first().toObject().value(QStringLiteral("message")).toObject().value(QStringLiteral("content"));
        const QJsonObject usage = body.value(QStringLiteral("usage")).toObject();
        r.inputTokens = usage.value(QStringLiteral("prompt_tokens")).toInt();
        r.outputTokens = usage.value(QStringLiteral("completion_tokens")).toInt();
        if (!content.isString()) {
            r.failure = ClassifierReply::Failure::BadResponse;
            r.message = QStringLiteral("chat completion without choices[0].message.content");
            return r;
        }
        r.text = content.toString();
        return r;
    }

private:
    QString m_model;
    QString m_endpoint;
    QByteArray m_apiKey;
};

} // namespace

std::unique_ptr<ClassifierProvider> makeProvider(const QString &provider, const QString &model, const QString &baseUrl,
                                                 const QByteArray &apiKey)
{
    if (provider == u"anthropic")
        return std::make_unique<AnthropicProvider>(model, baseUrl, apiKey);
    if (provider == u"openai-compatible")
        return std::make_unique<OpenAiCompatibleProvider>(model, baseUrl, apiKey);
    return nullptr;
}

} // namespace bw::guardrails
