#pragma once
// The settings the console edits, as data: where each lives (the config file — applied at the
// next start; the shared settings table for guardrails — applied live by GuardrailSettingsStore;
// the keychain for secrets), how it is validated (the Config settings catalogue, the guardrail
// store's own rules) and the load/save steps. loadSettings/saveSettings block (they call services
// that touch files, SQL and the keychain): call them on a worker thread, never the GUI thread.
// Every saved change is audited (SettingsService, GuardrailSettingsStore).

#include "server/core/config.h"
#include "server/moderation/admincaller.h"

#include <QMap>
#include <QStringList>

namespace bw::ui {

struct ConsoleContext;

enum class FieldKind { Text, Number, Bool, Choice, Secret };
enum class FieldStore { ConfigFile, Guardrail, Keychain };

struct SettingField {
    const char *section; // "server", "database", "guardrails", "rate_limits", "smtp", "webhook", "backups", "s3"
    QString key;         // catalogue key, or the secret's name for Keychain fields
    const char *label;   // English; translated with QCoreApplication::translate("bw::ui::SettingsForm", …)
    FieldKind kind = FieldKind::Text;
    FieldStore store = FieldStore::ConfigFile;
    QStringList choices;
};

// Fields whose key this build knows (catalogue keys; unknown ones, e.g. a setting another module
// has not added yet, are left out).
QList<SettingField> settingFields(const QStringList &sections);

QString effectiveValue(const Config &config, const QString &key);       // the value in effect now, as text
QString validateField(const SettingField &field, const QString &value); // "" when fine, else why not

struct SettingsSnapshot {
    QString error;
    QString configFile;
    QMap<QString, QString> values; // key → text (secrets: "")
    QMap<QString, bool> secretSet; // secret name → stored
};

struct SaveResult {
    QString error; // the first failure; earlier changes stay saved
    QMap<QString, QString> fieldErrors;
    QStringList saved;         // keys
    QStringList restartNeeded; // keys saved to the config file
};

QString configFilePath(const Config &config);
SettingsSnapshot loadSettings(const ConsoleContext &context, const QList<SettingField> &fields);
// changes: key → new text (secrets: the new secret). Validates all first; saves nothing if any fails.
SaveResult saveSettings(const ConsoleContext &context, const QList<SettingField> &fields, const QMap<QString, QString> &changes,
                        const QMap<QString, QString> &before);

} // namespace bw::ui
