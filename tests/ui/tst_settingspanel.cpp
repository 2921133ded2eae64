// SettingsPanel/SettingsForm against a real PostgreSQL: the settings catalogue rejects bad input
// (nothing is written), good input is written to the settings file with an audit row and a
// "restart needed" note, guardrail thresholds apply live through GuardrailSettingsStore, and
// moderators cannot save.
#include "ui/settings/settingsfields.h"
#include "ui/settings/settingsform.h"
#include "ui/settings/settingspanel.h"

#include "server/core/secretstore.h"
#include "server/guardrails/guardrailstack.h"
#include "tests/ui/consoletestdb.h"

#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>

using bw::ui::SaveResult;
using bw::ui::SettingsForm;

class tst_SettingsPanel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void catalogueValidation_data();
    void catalogueValidation();
    void rejectsBadInputAndWritesNothing();
    void savesGoodInputWithAudit();
    void guardrailThresholdAppliesLive();
    void secretGoesToTheKeychain();
    void moderatorCannotSave();

private:
    bw::ui::ConsoleContext context(const QString &role)
    {
        bw::ui::ConsoleContext c;
        c.config = &m_config;
        c.secrets = m_secrets.get();
        c.guardrails = m_guardrails.get();
        c.admin = bw::test::consoleCaller(role);
        m_db.addTo(c); // after config, secrets, heartbeat: the services read them
        return c;
    }
    SaveResult saveAndWait(SettingsForm *form);

    bw::test::PgFixture m_pg;
    bw::test::ConsoleDb m_db;
    QTemporaryDir m_dir;
    bw::Config m_config;
    std::unique_ptr<bw::SecretStore> m_secrets;
    std::unique_ptr<bw::guardrails::GuardrailStack> m_guardrails;
};

void tst_SettingsPanel::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    QVERIFY(m_dir.isValid());
}

void tst_SettingsPanel::init()
{
    QVERIFY(m_db.open(m_pg));
    m_config = bw::Config{};
    m_config.configFile = m_dir.filePath(QStringLiteral("betterworld-%1.conf").arg(QDateTime::currentMSecsSinceEpoch()));
    m_secrets = std::make_unique<bw::MemorySecretStore>();
    m_guardrails = bw::guardrails::GuardrailStack::create(*m_db.database, m_config.guardrails, m_secrets.get(), nullptr);
}

void tst_SettingsPanel::cleanup()
{
    m_db.worker.reset(); // no closure may still use the stack
    m_guardrails.reset();
    m_secrets.reset();
    m_db.close();
}

SaveResult tst_SettingsPanel::saveAndWait(SettingsForm *form)
{
    QSignalSpy saved(form, &SettingsForm::saved);
    if (!form->save())
        return SaveResult{QStringLiteral("save() refused")};
    if (!saved.wait(20000) && saved.isEmpty())
        return SaveResult{QStringLiteral("timeout")};
    return saved.first().first().value<SaveResult>();
}

void tst_SettingsPanel::catalogueValidation_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("valid");
    // clang-format off
    QTest::newRow("listen ok") << "server/listen" << "0.0.0.0:8080" << true;
    QTest::newRow("listen bad") << "server/listen" << "localhost" << false;
    QTest::newRow("proxies bad") << "server/trusted_proxies" << "10.0.0.1, not-an-ip" << false;
    QTest::newRow("rate ok") << "rate_limit/public" << "100" << true;
    QTest::newRow("rate bad") << "rate_limit/public" << "-3" << false;
    QTest::newRow("s3 bad") << "s3/endpoint" << "ftp://x" << false;
    QTest::newRow("threshold ok") << "guardrails/approve_threshold" << "0.8" << true;
    QTest::newRow("threshold bad") << "guardrails/approve_threshold" << "1.5" << false;
    QTest::newRow("provider bad") << "guardrails/provider" << "skynet" << false;
    // clang-format on
}

void tst_SettingsPanel::catalogueValidation()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(bool, valid);
    const auto fields = bw::ui::settingFields({"server", "rate_limits", "s3", "guardrails"});
    const auto it = std::find_if(fields.cbegin(), fields.cend(), [&](const bw::ui::SettingField &f) { return f.key == key; });
    QVERIFY(it != fields.cend());
    QCOMPARE(bw::ui::validateField(*it, value).isEmpty(), valid);
}

void tst_SettingsPanel::rejectsBadInputAndWritesNothing()
{
    bw::ui::SettingsPanel panel(context(QStringLiteral("admin")));
    SettingsForm *form = panel.formFor(QStringLiteral("server/listen"));
    QVERIFY(form);
    QSignalSpy loaded(form, &SettingsForm::loaded);
    panel.load();
    QVERIFY(loaded.wait(20000));
    QCOMPARE(form->value(QStringLiteral("server/listen")), QStringLiteral("127.0.0.1:4000"));
    form->setValue(QStringLiteral("server/listen"), QStringLiteral("no port here"));
    form->setValue(QStringLiteral("server/public_url"), QStringLiteral("https://ok.example.org"));
    const SaveResult r = saveAndWait(form);
    QVERIFY(!r.error.isEmpty());
    QVERIFY(r.fieldErrors.contains(QStringLiteral("server/listen")));
    QVERIFY(!form->fieldError(QStringLiteral("server/listen")).isEmpty());
    QVERIFY(r.saved.isEmpty()); // the valid one was not written either
    QSettings file(m_config.configFile, QSettings::IniFormat);
    QVERIFY(!file.contains(QStringLiteral("server/listen")));
    QVERIFY(!file.contains(QStringLiteral("server/public_url")));
}

void tst_SettingsPanel::savesGoodInputWithAudit()
{
    bw::ui::SettingsPanel panel(context(QStringLiteral("admin")));
    SettingsForm *form = panel.formFor(QStringLiteral("rate_limit/public"));
    QSignalSpy loaded(form, &SettingsForm::loaded);
    panel.load();
    QVERIFY(loaded.wait(20000));
    form->setValue(QStringLiteral("rate_limit/public"), QStringLiteral("75"));
    const SaveResult r = saveAndWait(form);
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    QCOMPARE(r.saved, QStringList{QStringLiteral("rate_limit/public")});
    QCOMPARE(r.restartNeeded, QStringList{QStringLiteral("rate_limit/public")});
    QVERIFY(form->resultText().contains(QStringLiteral("rate_limit/public")));
    QSettings file(m_config.configFile, QSettings::IniFormat);
    QCOMPARE(file.value(QStringLiteral("rate_limit/public")).toString(), QStringLiteral("75"));
    QCOMPARE(
        bw::test::scalar(*m_db.database, QStringLiteral("SELECT before #>> '{}' || '->' || (after #>> '{}') FROM audit_log"
                                                        " WHERE action = 'settings.update' AND target_id = 'rate_limit/public'")),
        QStringLiteral("30->75"));
    // The written file loads with the real loader.
    bw::ConfigSources sources;
    sources.explicitFile = m_config.configFile;
    sources.environment = QProcessEnvironment();
    auto loadedConfig = bw::loadConfig(sources);
    QVERIFY(loadedConfig.ok());
    QCOMPARE(loadedConfig->rateLimits.publicPerIp, 75);
}

void tst_SettingsPanel::guardrailThresholdAppliesLive()
{
    bw::ui::SettingsPanel panel(context(QStringLiteral("admin")));
    SettingsForm *form = panel.formFor(QStringLiteral("guardrails/approve_threshold"));
    QVERIFY(form);
    QSignalSpy loaded(form, &SettingsForm::loaded);
    form->load();
    QVERIFY(loaded.wait(20000));
    QCOMPARE(form->value(QStringLiteral("guardrails/approve_threshold")).toDouble(), 0.7);
    form->setValue(QStringLiteral("guardrails/approve_threshold"), QStringLiteral("0.85"));
    const SaveResult r = saveAndWait(form);
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    QVERIFY(r.restartNeeded.isEmpty());
    QCOMPARE(form->resultText(), SettingsForm::tr("Saved and applied."));
    QCOMPARE(bw::test::scalar(*m_db.database,
                              QStringLiteral("SELECT value::text FROM settings WHERE key = 'guardrails/approve_threshold'")),
             QStringLiteral("0.85"));
    QVERIFY(bw::test::scalar(*m_db.database,
                             QStringLiteral("SELECT count(*) FROM audit_log WHERE target_id = 'guardrails/approve_threshold'"))
                .toInt()
            >= 1);
}

void tst_SettingsPanel::secretGoesToTheKeychain()
{
    bw::ui::SettingsPanel panel(context(QStringLiteral("admin")));
    SettingsForm *form = panel.formFor(QStringLiteral("llm-api-key"));
    QSignalSpy loaded(form, &SettingsForm::loaded);
    form->load();
    QVERIFY(loaded.wait(20000));
    form->setValue(QStringLiteral("llm-api-key"), QStringLiteral("sk-test-123"));
    const SaveResult r = saveAndWait(form);
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    auto stored = m_secrets->read(QStringLiteral("llm-api-key"));
    QVERIFY(stored.ok() && stored->has_value());
    QCOMPARE(**stored, QByteArray("sk-test-123"));
    QCOMPARE(form->value(QStringLiteral("llm-api-key")), QString()); // not left on screen
    QCOMPARE(bw::test::scalar(*m_db.database, QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'settings.secret'"
                                                             " AND after::text NOT LIKE '%sk-test%'")),
             QStringLiteral("1"));
}

void tst_SettingsPanel::moderatorCannotSave()
{
    bw::ui::SettingsPanel panel(context(QStringLiteral("moderator")));
    SettingsForm *form = panel.formFor(QStringLiteral("server/listen"));
    form->setValue(QStringLiteral("server/listen"), QStringLiteral("0.0.0.0:1"));
    QVERIFY(!form->save());
    QVERIFY(!panel.saveHeartbeat());
}

QTEST_MAIN(tst_SettingsPanel)
#include "tst_settingspanel.moc"
