#include "classifierhub.h"

#include "server/core/metrics.h"
#include "server/core/secretstore.h"

#include <QLoggingCategory>

namespace bw::guardrails {

namespace {
Q_LOGGING_CATEGORY(lcHub, "bw.guardrails.provider")
}

ClassifierHub::ClassifierHub(SecretStore *secrets, MetricsRegistry *metrics, CircuitBreaker::Options breaker)
    : m_secrets(secrets), m_metrics(metrics), m_breakerOptions(breaker)
{
}

ClassifierHub::~ClassifierHub() = default;

void ClassifierHub::reset()
{
    QMutexLocker lock(&m_mutex);
    m_builtFor.clear();
    m_current = {};
}

ClassifierHub::Active ClassifierHub::active(const GuardrailConfig &policy)
{
    const QString wanted = policy.provider + u'|' + policy.model + u'|' + policy.baseUrl;
    QMutexLocker lock(&m_mutex);
    const auto now = std::chrono::steady_clock::now();
    const bool missingKey = !m_current.provider && policy.provider != u"none";
    const auto maxAge = missingKey ? std::chrono::seconds(30) : std::chrono::seconds(300);
    if (wanted == m_builtFor && now - m_builtAt < maxAge)
        return m_current;
    const bool rebuild = wanted == m_builtFor; // same settings, refreshed: log only changes

    Active next;
    if (policy.provider == u"none" || policy.provider.isEmpty()) {
        next.unavailableReason = QStringLiteral("no classifier configured (provider none): human review required");
    } else {
        QByteArray key;
        if (m_secrets) {
            auto read = m_secrets->read(QString::fromLatin1(kApiKeySecret));
            if (!read)
                qCWarning(lcHub).noquote() << "cannot read the secret" << kApiKeySecret << ":" << read.error().message;
            else if (*read)
                key = **read;
        }
        if (key.isEmpty() && policy.provider == u"anthropic") {
            next.unavailableReason =
                QStringLiteral("classifier unavailable: no API key stored as secret '%1'").arg(QLatin1String(kApiKeySecret));
        } else {
            next.provider =
                std::shared_ptr<const ClassifierProvider>(makeProvider(policy.provider, policy.model, policy.baseUrl, key));
            if (!next.provider)
                next.unavailableReason = QStringLiteral("unknown classifier provider '%1'").arg(policy.provider);
        }
    }
    if (next.provider) {
        const QString breakerKey = next.provider->name() + u'|' + next.provider->endpoint();
        auto &breaker = m_breakers[breakerKey];
        if (!breaker) {
            breaker = std::make_shared<CircuitBreaker>(m_breakerOptions);
            if (m_metrics) {
                Gauge *open = &m_metrics->gauge(QStringLiteral("guardrail_classifier_circuit_open"),
                                                QStringLiteral("1 while the classifier circuit breaker is open (0.5 half-open)"),
                                                {{QStringLiteral("provider"), next.provider->name()}});
                const QString name = next.provider->name();
                breaker->setOnChange([open, name](CircuitBreaker::State s) {
                    open->set(s == CircuitBreaker::State::Open ? 1.0 : s == CircuitBreaker::State::HalfOpen ? 0.5 : 0.0);
                    qCWarning(lcHub).noquote() << "classifier" << name << "circuit" << CircuitBreaker::stateName(s);
                });
            }
        }
        next.breaker = breaker;
        if (!rebuild || !m_current.provider)
            qCInfo(lcHub).noquote() << "classifier:" << next.provider->name() << "model" << next.provider->model() << "at"
                                    << next.provider->endpoint();
    } else if (!rebuild || m_current.unavailableReason != next.unavailableReason) {
        qCWarning(lcHub).noquote() << next.unavailableReason;
    }
    m_builtFor = wanted;
    m_builtAt = now;
    m_current = next;
    return m_current;
}

} // namespace bw::guardrails
