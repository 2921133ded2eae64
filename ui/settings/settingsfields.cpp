#include "ui/settings/settingsfields.h"

#include "server/core/secretstore.h"
#include "server/guardrails/guardrailsettings.h"
#include "server/guardrails/guardrailstack.h"
#include "server/moderation/settingsservice.h"
#include "ui/common/consolecontext.h"

#include <QJsonValue>
#include <QSettings>
#include <QTemporaryFile>

namespace bw::ui {

namespace {

using K = FieldKind;
using S = FieldStore;

const QList<SettingField> &allFields()
{
    static const QList<SettingField> all = {
        {"server", QStringLiteral("server/listen"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Listen address (host:port)")},
        {"server", QStringLiteral("server/trusted_proxies"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Trusted proxies (comma list of IPs)")},
        {"server", QStringLiteral("server/public_url"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Public URL")},
        {"database", QStringLiteral("database/url"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "External database URL (empty: embedded cluster)")},
        {"database", QStringLiteral("database/pg_bindir"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "PostgreSQL binaries (embedded cluster)")},
        {"guardrails",
         QStringLiteral("guardrails/provider"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Classifier provider"),
         K::Choice,
         S::Guardrail,
         {QStringLiteral("none"), QStringLiteral("anthropic"), QStringLiteral("openai-compatible")}},
        {"guardrails", QStringLiteral("guardrails/model"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Model (empty: the provider's default)"), K::Text, S::Guardrail},
        {"guardrails", QStringLiteral("guardrails/base_url"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Base URL (empty: the provider's default)"), K::Text, S::Guardrail},
        {"guardrails", QStringLiteral("llm-api-key"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "API key (kept in the keychain)"),
         K::Secret, S::Keychain},
        {"guardrails", QStringLiteral("guardrails/approve_threshold"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Approve at or above (0–1)"), K::Number, S::Guardrail},
        {"guardrails", QStringLiteral("guardrails/flag_threshold"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Flag at or above (0–1)"), K::Number, S::Guardrail},
        {"guardrails", QStringLiteral("guardrails/budget_cents"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Daily AI budget (cents)"), K::Number, S::Guardrail},
        {"guardrails", QStringLiteral("guardrails/timeout_ms"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Classifier timeout (ms)"), K::Number, S::Guardrail},
        {"rate_limits", QStringLiteral("rate_limit/enabled"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Enforce rate limits"),
         K::Bool},
        {"rate_limits", QStringLiteral("rate_limit/public"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Public requests per IP per minute"), K::Number},
        {"rate_limits", QStringLiteral("rate_limit/agent_pending"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Unverified agents per minute"), K::Number},
        {"rate_limits", QStringLiteral("rate_limit/agent_claimed"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Claimed agents per minute"), K::Number},
        {"rate_limits", QStringLiteral("rate_limit/agent_verified"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Verified agents per minute"), K::Number},
        {"rate_limits", QStringLiteral("rate_limit/content_creation"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Content creations per agent per minute"), K::Number},
        {"rate_limits", QStringLiteral("rate_limit/registration"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Registrations per IP per minute"), K::Number},
        {"smtp", QStringLiteral("smtp/host"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "SMTP host (empty: codes are held for administrators)")},
        {"smtp", QStringLiteral("smtp/port"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "SMTP port"), K::Number},
        {"smtp", QStringLiteral("smtp/username"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "SMTP user")},
        {"smtp", QStringLiteral("smtp-password"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "SMTP password (kept in the keychain)"), K::Secret, S::Keychain},
        {"smtp", QStringLiteral("smtp/from"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "From address")},
        {"smtp", QStringLiteral("smtp/starttls"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Require STARTTLS"), K::Bool},
        {"webhook", QStringLiteral("alerts/webhook_url"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Alert webhook URL (Slack-compatible)")},
        {"webhook", QStringLiteral("alerts/email_to"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Alert e-mail recipients")},
        {"backups", QStringLiteral("backups/dir"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Backup folder (empty: <data dir>/backups)")},
        {"backups", QStringLiteral("backups/retention_daily_days"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Keep daily backups (days, 0 = for ever)"), K::Number},
        {"backups", QStringLiteral("backups/retention_monthly_days"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Keep monthly backups (days)"), K::Number},
        {"backups", QStringLiteral("backups/retention_pre_migration_days"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Keep pre-migration snapshots (days)"), K::Number},
        {"backups", QStringLiteral("backups/retention_manual_days"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Keep manual backups (days, 0 = for ever)"), K::Number},
        {"backups",
         QStringLiteral("backups/wal_archiving"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "WAL archiving (point-in-time recovery)"),
         K::Choice,
         S::ConfigFile,
         {QStringLiteral("auto"), QStringLiteral("on"), QStringLiteral("off")}},
        {"backups", QStringLiteral("backups/rto_minutes"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Recovery time objective (minutes)"), K::Number},
        {"s3", QStringLiteral("s3/endpoint"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "S3 endpoint (empty: no off-site copy)")},
        {"s3", QStringLiteral("s3/bucket"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Bucket")},
        {"s3", QStringLiteral("s3/region"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Region")},
        {"s3", QStringLiteral("s3/prefix"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Key prefix")},
        {"s3", QStringLiteral("s3/access_key_id"), QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Access key id")},
        {"s3", QStringLiteral("s3-secret-access-key"),
         QT_TRANSLATE_NOOP("bw::ui::SettingsForm", "Secret access key (kept in the keychain)"), K::Secret, S::Keychain},
    };
    return all;
}

bool inCatalogue(const QString &key)
{
    for (const SettingInfo &s : settingsCatalogue())
        if (s.key == key)
            return true;
    return false;
}

QString boolText(bool b)
{
    return b ? QStringLiteral("true") : QStringLiteral("false");
}

QJsonValue guardrailJson(const SettingField &f, const QString &value, bool *ok)
{
    *ok = true;
    if (f.kind != FieldKind::Number)
        return value.trimmed();
    const double d = value.trimmed().toDouble(ok);
    return *ok ? QJsonValue(d) : QJsonValue();
}

QString jsonText(const QJsonValue &v)
{
    if (v.isDouble())
        return QString::number(v.toDouble());
    if (v.isBool())
        return boolText(v.toBool());
    return v.toString();
}

} // namespace

QList<SettingField> settingFields(const QStringList &sections)
{
    QList<SettingField> out;
    for (const SettingField &f : allFields())
        if (sections.contains(QLatin1String(f.section)) && (f.store == FieldStore::Keychain || inCatalogue(f.key)))
            out << f;
    return out;
}

QString effectiveValue(const Config &c, const QString &key)
{
    const RateLimitConfig &r = c.rateLimits;
    static const QMap<QString, std::function<QString(const Config &)>> map = {
        {QStringLiteral("server/listen"), [](const Config &c) { return c.listenAddress(); }},
        {QStringLiteral("server/trusted_proxies"), [](const Config &c) { return c.trustedProxies.join(QStringLiteral(", ")); }},
        {QStringLiteral("server/public_url"), [](const Config &c) { return c.publicUrl; }},
        {QStringLiteral("database/url"), [](const Config &c) { return c.databaseUrl; }},
        {QStringLiteral("database/pg_bindir"), [](const Config &c) { return c.pgBinDir; }},
        {QStringLiteral("smtp/host"), [](const Config &c) { return c.smtp.host; }},
        {QStringLiteral("smtp/port"), [](const Config &c) { return QString::number(c.smtp.port); }},
        {QStringLiteral("smtp/username"), [](const Config &c) { return c.smtp.username; }},
        {QStringLiteral("smtp/from"), [](const Config &c) { return c.smtp.from; }},
        {QStringLiteral("smtp/starttls"), [](const Config &c) { return boolText(c.smtp.startTls); }},
        {QStringLiteral("backups/dir"), [](const Config &c) { return c.ops.backupDir; }},
        {QStringLiteral("backups/retention_daily_days"),
         [](const Config &c) { return QString::number(c.ops.dailyRetentionDays); }},
        {QStringLiteral("backups/retention_monthly_days"),
         [](const Config &c) { return QString::number(c.ops.monthlyRetentionDays); }},
        {QStringLiteral("backups/retention_pre_migration_days"),
         [](const Config &c) { return QString::number(c.ops.preMigrationRetentionDays); }},
        {QStringLiteral("backups/retention_manual_days"),
         [](const Config &c) { return QString::number(c.ops.manualRetentionDays); }},
        {QStringLiteral("backups/wal_archiving"), [](const Config &c) { return c.ops.walArchiving; }},
        {QStringLiteral("backups/rto_minutes"), [](const Config &c) { return QString::number(c.ops.rtoMinutes); }},
        {QStringLiteral("s3/endpoint"), [](const Config &c) { return c.ops.s3Endpoint; }},
        {QStringLiteral("s3/bucket"), [](const Config &c) { return c.ops.s3Bucket; }},
        {QStringLiteral("s3/region"), [](const Config &c) { return c.ops.s3Region; }},
        {QStringLiteral("s3/prefix"), [](const Config &c) { return c.ops.s3Prefix; }},
        {QStringLiteral("s3/access_key_id"), [](const Config &c) { return c.ops.s3AccessKeyId; }},
    };
    if (key == u"rate_limit/enabled")
        return boolText(r.enabled);
    if (key == u"rate_limit/public")
        return QString::number(r.publicPerIp);
    if (key == u"rate_limit/agent_pending")
        return QString::number(r.agentPending);
    if (key == u"rate_limit/agent_claimed")
        return QString::number(r.agentClaimed);
    if (key == u"rate_limit/agent_verified")
        return QString::number(r.agentVerified);
    if (key == u"rate_limit/content_creation")
        return QString::number(r.contentCreation);
    if (key == u"rate_limit/registration")
        return QString::number(r.registrationPerIp);
    if (key.startsWith(u"guardrails/"))
        return jsonText(guardrails::GuardrailSettingsStore::valueOf(c.guardrails, key));
    const auto it = map.constFind(key);
    return it == map.cend() ? QString() : (*it)(c);
}

QString validateField(const SettingField &field, const QString &value)
{
    switch (field.store) {
    case FieldStore::Keychain:
        return {};
    case FieldStore::Guardrail: {
        bool ok = false;
        const QJsonValue v = guardrailJson(field, value, &ok);
        if (!ok)
            return QStringLiteral("expected a number");
        GuardrailConfig scratch;
        return guardrails::GuardrailSettingsStore::apply(scratch, field.key, v);
    }
    case FieldStore::ConfigFile: {
        // The catalogue's own parser: load a configuration made of just this flag.
        QTemporaryFile empty;
        if (!empty.open())
            return QStringLiteral("cannot validate: no temporary file");
        ConfigSources sources;
        sources.explicitFile = empty.fileName();
        sources.environment = QProcessEnvironment();
        sources.flags.insert(field.key, value);
        auto r = loadConfig(sources);
        return r ? QString() : r.error().message;
    }
    }
    return {};
}

QString configFilePath(const Config &config)
{
    return config.configFile.isEmpty() ? defaultConfigFile(QProcessEnvironment::systemEnvironment()) : config.configFile;
}

SettingsSnapshot loadSettings(const ConsoleContext &context, const QList<SettingField> &fields)
{
    SettingsSnapshot s;
    if (!context.config) {
        s.error = QStringLiteral("no configuration");
        return s;
    }
    s.configFile = configFilePath(*context.config);
    QSettings file(s.configFile, QSettings::IniFormat);
    GuardrailConfig policy = context.config->guardrails;
    if (context.guardrails && context.guardrails->settings) {
        auto snap = context.guardrails->settings->current(); // SQL on this (worker) thread
        if (snap)
            policy = (*snap)->policy;
        else
            s.error = snap.error().message;
    }
    for (const SettingField &f : fields) {
        switch (f.store) {
        case FieldStore::Keychain: {
            auto stored = context.secrets ? context.secrets->read(f.key) : Result<std::optional<QByteArray>>(std::nullopt);
            s.secretSet.insert(f.key, stored && stored->has_value() && !(*stored)->isEmpty());
            s.values.insert(f.key, QString());
            break;
        }
        case FieldStore::Guardrail:
            s.values.insert(f.key, jsonText(guardrails::GuardrailSettingsStore::valueOf(policy, f.key)));
            break;
        case FieldStore::ConfigFile: {
            // What the file says (it wins at the next start); else what is in effect now.
            const QVariant raw = file.value(f.key);
            s.values.insert(f.key, raw.isValid()
                                       ? (raw.typeId() == QMetaType::QStringList ? raw.toStringList().join(QStringLiteral(", "))
                                                                                 : raw.toString())
                                       : effectiveValue(*context.config, f.key));
            break;
        }
        }
    }
    return s;
}

SaveResult saveSettings(const ConsoleContext &context, const QList<SettingField> &fields, const QMap<QString, QString> &changes,
                        const QMap<QString, QString> &before)
{
    SaveResult r;
    if (!context.isAdmin()) {
        r.error = QStringLiteral("Administrator role required");
        return r;
    }
    QList<SettingField> changed;
    for (const SettingField &f : fields) {
        if (!changes.contains(f.key))
            continue;
        if (const QString why = validateField(f, changes.value(f.key)); !why.isEmpty())
            r.fieldErrors.insert(f.key, why);
        changed << f;
    }
    if (!r.fieldErrors.isEmpty()) {
        r.error = QStringLiteral("%1 setting(s) are not valid").arg(r.fieldErrors.size());
        return r;
    }
    if (!context.settings || !context.config) {
        r.error = QStringLiteral("no database");
        return r;
    }
    const QString path = configFilePath(*context.config);
    for (const SettingField &f : changed) {
        const QString value = changes.value(f.key);
        Status s = success();
        switch (f.store) {
        case FieldStore::Guardrail: {
            if (!context.guardrails || !context.guardrails->settings) {
                s = ApiError::internal(QStringLiteral("the guardrail settings store is not running"));
                break;
            }
            bool ok = false;
            s = context.guardrails->settings->update(f.key, guardrailJson(f, value, &ok), QStringLiteral("moderator"),
                                                     context.admin.moderatorId); // audits itself, applies live
            break;
        }
        case FieldStore::Keychain:
            s = context.settings->saveSecret(context.admin, f.key, value.toUtf8()); // audited, never the value
            r.restartNeeded << f.key;
            break;
        case FieldStore::ConfigFile:
            s = context.settings->saveConfigValue(context.admin, path, f.key, value, before.value(f.key)); // audited
            r.restartNeeded << f.key;
            break;
        }
        if (!s) {
            r.error = QStringLiteral("%1: %2").arg(f.key, s.error().message);
            return r;
        }
        r.saved << f.key;
    }
    return r;
}

} // namespace bw::ui
