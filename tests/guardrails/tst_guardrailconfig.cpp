// The guardrail settings in the node configuration (config file / BW_GUARDRAILS_* / flags) and
// their mapping to the settings-table keys.

#include "server/core/config.h"
#include "server/guardrails/guardrailsettings.h"

#include <QTest>

using namespace bw;

class tst_GuardrailConfig final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaults();
    void environment();
    void invalid_data();
    void invalid();
    void tableKeysMatchConfigKeys();
};

namespace {
ConfigSources sources(const QMap<QString, QString> &env = {}, const QMap<QString, QString> &flags = {})
{
    ConfigSources s;
    s.explicitFile.clear();
    s.environment = QProcessEnvironment();
    s.environment.insert("HOME", "/nonexistent-home");
    for (auto it = env.begin(); it != env.end(); ++it)
        s.environment.insert(it.key(), it.value());
    s.flags = flags;
    return s;
}
} // namespace

void tst_GuardrailConfig::defaults()
{
    const auto c = loadConfig(sources());
    QVERIFY(c.ok());
    QCOMPARE(c->guardrails.provider, QStringLiteral("none"));
    QCOMPARE(c->guardrails.budgetCents, 1333);
    QCOMPARE(c->guardrails.cacheTtlSeconds, 3600);
    QCOMPARE(c->guardrails.approveThreshold, 0.70);
    QCOMPARE(c->guardrails.flagThreshold, 0.40);
    QCOMPARE(c->guardrails.verifiedMinAgeDays, 8);
    QCOMPARE(c->guardrails.verifiedMinApproved, 3);
}

void tst_GuardrailConfig::environment()
{
    const auto c = loadConfig(sources({{"BW_GUARDRAILS_PROVIDER", "OpenAI-Compatible"},
                                       {"BW_GUARDRAILS_BASE_URL", "http://gpu-box:8000/v1"},
                                       {"BW_GUARDRAILS_MODEL", "llama-3.1-8b"},
                                       {"BW_GUARDRAILS_BUDGET_CENTS", "500"},
                                       {"BW_GUARDRAILS_APPROVE_THRESHOLD", "0.8"}},
                                      {{"guardrails/cache_ttl_seconds", "60"}}));
    QVERIFY2(c.ok(), c.ok() ? "" : qPrintable(c.error().message));
    QCOMPARE(c->guardrails.provider, QStringLiteral("openai-compatible"));
    QCOMPARE(c->guardrails.baseUrl, QStringLiteral("http://gpu-box:8000/v1"));
    QCOMPARE(c->guardrails.model, QStringLiteral("llama-3.1-8b"));
    QCOMPARE(c->guardrails.budgetCents, 500);
    QCOMPARE(c->guardrails.approveThreshold, 0.8);
    QCOMPARE(c->guardrails.cacheTtlSeconds, 60);
}

void tst_GuardrailConfig::invalid_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    // clang-format off
    QTest::newRow("provider") << "guardrails/provider" << "openai";
    QTest::newRow("url") << "guardrails/base_url" << "gpu-box:8000";
    QTest::newRow("budget negative") << "guardrails/budget_cents" << "-1";
    QTest::newRow("threshold") << "guardrails/approve_threshold" << "1.2";
    QTest::newRow("ttl") << "guardrails/cache_ttl_seconds" << "forever";
    QTest::newRow("timeout") << "guardrails/timeout_ms" << "10";
    // clang-format on
}

void tst_GuardrailConfig::invalid()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    const auto c = loadConfig(sources({}, {{key, value}}));
    QVERIFY(!c.ok());
    QVERIFY2(c.error().message.contains(key), qPrintable(c.error().message));
}

void tst_GuardrailConfig::tableKeysMatchConfigKeys()
{
    // Every policy row in the settings table is also a node configuration key (same name).
    QStringList configKeys;
    for (const SettingInfo &s : settingsCatalogue())
        configKeys << s.key;
    for (const QString &key : guardrails::GuardrailSettingsStore::keys())
        QVERIFY2(configKeys.contains(key), qPrintable(key));
    // And values round-trip between the two.
    GuardrailConfig c;
    c.approveThreshold = 0.65;
    c.provider = "anthropic";
    GuardrailConfig copy;
    for (const QString &key : guardrails::GuardrailSettingsStore::keys())
        QVERIFY(
            guardrails::GuardrailSettingsStore::apply(copy, key, guardrails::GuardrailSettingsStore::valueOf(c, key)).isEmpty());
    QCOMPARE(copy.approveThreshold, 0.65);
    QCOMPARE(copy.provider, QStringLiteral("anthropic"));
}

QTEST_GUILESS_MAIN(tst_GuardrailConfig)
#include "tst_guardrailconfig.moc"
