#pragma once
// A form over some sections of settingFields(): one editor per setting, an error line under each,
// Save (administrators only) that validates everything with the catalogue before writing anything,
// and a result line saying what applies now and what needs a restart. GUI thread; loading and
// saving run on the DbWorker (files, keychain, SQL).

#include "ui/common/consolecontext.h"
#include "ui/settings/settingsfields.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

class QLabel;
class QPushButton;

namespace bw::ui {

class DbWorker;

class SettingsForm final : public QWidget {
    Q_OBJECT
public:
    SettingsForm(const ConsoleContext &context, const QStringList &sections, QWidget *parent = nullptr);

    void load();
    bool save();                                             // false when not allowed or nothing changed
    void setValue(const QString &key, const QString &value); // as if typed
    QString value(const QString &key) const;
    QString fieldError(const QString &key) const;
    QString resultText() const;
    bool hasField(const QString &key) const { return m_editors.contains(key); }

Q_SIGNALS:
    void loaded();
    void saved(const bw::ui::SaveResult &result);

private:
    QMap<QString, QString> changes() const;
    void setEditorValue(const SettingField &field, const QString &value);

    ConsoleContext m_context;
    QPointer<DbWorker> m_worker;
    QList<SettingField> m_fields;
    QHash<QString, QWidget *> m_editors;
    QHash<QString, QLabel *> m_errors;
    QMap<QString, QString> m_loaded; // last loaded values (the "before" of an edit)
    QPushButton *m_save;
    QLabel *m_result;
    bool m_busy = false;
};

} // namespace bw::ui
