#include "ui/settings/settingsform.h"

#include "ui/common/dbworker.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace bw::ui {

namespace {

QString sectionTitle(const QString &section)
{
    if (section == u"server")
        return SettingsForm::tr("Server");
    if (section == u"database")
        return SettingsForm::tr("Database");
    if (section == u"guardrails")
        return SettingsForm::tr("Guardrails");
    if (section == u"rate_limits")
        return SettingsForm::tr("Rate limits");
    if (section == u"smtp")
        return SettingsForm::tr("E-mail (SMTP)");
    if (section == u"webhook")
        return SettingsForm::tr("Alert notifications");
    if (section == u"backups")
        return SettingsForm::tr("Backups");
    if (section == u"s3")
        return SettingsForm::tr("Off-site copies (S3-compatible)");
    return section;
}

} // namespace

SettingsForm::SettingsForm(const ConsoleContext &context, const QStringList &sections, QWidget *parent)
    : QWidget(parent), m_context(context), m_worker(context.worker), m_fields(settingFields(sections)),
      m_save(new QPushButton(tr("&Save"))), m_result(new QLabel)
{
    auto *layout = new QVBoxLayout(this);
    for (const QString &section : sections) {
        QGroupBox *box = nullptr;
        QFormLayout *form = nullptr;
        for (const SettingField &f : std::as_const(m_fields)) {
            if (QLatin1String(f.section) != section)
                continue;
            if (!box) {
                box = new QGroupBox(sectionTitle(section));
                form = new QFormLayout(box);
                layout->addWidget(box);
            }
            QWidget *editor = nullptr;
            switch (f.kind) {
            case FieldKind::Bool:
                editor = new QCheckBox;
                break;
            case FieldKind::Choice: {
                auto *combo = new QComboBox;
                combo->addItems(f.choices);
                editor = combo;
                break;
            }
            case FieldKind::Secret: {
                auto *line = new QLineEdit;
                line->setEchoMode(QLineEdit::Password);
                editor = line;
                break;
            }
            case FieldKind::Text:
            case FieldKind::Number:
                editor = new QLineEdit;
                break;
            }
            editor->setObjectName(QStringLiteral("setting:") + f.key);
            editor->setEnabled(context.isAdmin());
            auto *error = new QLabel;
            error->setObjectName(QStringLiteral("settingError:") + f.key);
            error->setStyleSheet(QStringLiteral("color: #c0392b"));
            error->setWordWrap(true);
            error->hide();
            auto *cell = new QWidget;
            auto *cellLayout = new QVBoxLayout(cell);
            cellLayout->setContentsMargins(0, 0, 0, 0);
            cellLayout->addWidget(editor);
            cellLayout->addWidget(error);
            QString label = QCoreApplication::translate("bw::ui::SettingsForm", f.label);
            if (f.store == FieldStore::Guardrail)
                editor->setToolTip(tr("Applied at once on every node"));
            else
                editor->setToolTip(tr("Applied at the next start"));
            form->addRow(label + u':', cell);
            m_editors.insert(f.key, editor);
            m_errors.insert(f.key, error);
        }
    }
    m_save->setObjectName(QStringLiteral("saveSettingsButton"));
    m_save->setEnabled(context.isAdmin());
    if (!context.isAdmin())
        m_save->setToolTip(tr("Only administrators can change settings"));
    m_result->setObjectName(QStringLiteral("settingsResult"));
    m_result->setWordWrap(true);
    layout->addWidget(m_result);
    layout->addWidget(m_save, 0, Qt::AlignRight);
    layout->addStretch(1);
    connect(m_save, &QPushButton::clicked, this, &SettingsForm::save);
}

void SettingsForm::setEditorValue(const SettingField &f, const QString &value)
{
    QWidget *w = m_editors.value(f.key);
    if (auto *check = qobject_cast<QCheckBox *>(w))
        check->setChecked(value == u"true" || value == u"1" || value == u"on" || value == u"yes");
    else if (auto *combo = qobject_cast<QComboBox *>(w))
        combo->setCurrentIndex(std::max(0, combo->findText(value)));
    else if (auto *line = qobject_cast<QLineEdit *>(w))
        line->setText(value);
}

void SettingsForm::load()
{
    if (!m_worker || m_busy)
        return;
    m_busy = true;
    const ConsoleContext context = m_context;
    const QList<SettingField> fields = m_fields;
    m_worker->submit(
        this, [context, fields]() { return loadSettings(context, fields); },
        [this](const SettingsSnapshot &s) {
            m_busy = false;
            m_loaded = s.values;
            for (const SettingField &f : std::as_const(m_fields)) {
                setEditorValue(f, s.values.value(f.key));
                if (f.kind == FieldKind::Secret)
                    qobject_cast<QLineEdit *>(m_editors.value(f.key))
                        ->setPlaceholderText(s.secretSet.value(f.key) ? tr("stored — type to replace") : tr("not set"));
            }
            m_result->setText(s.error.isEmpty() ? tr("Settings file: %1").arg(s.configFile)
                                                : tr("Could not load: %1").arg(s.error));
            Q_EMIT loaded();
        });
}

void SettingsForm::setValue(const QString &key, const QString &value)
{
    for (const SettingField &f : std::as_const(m_fields))
        if (f.key == key)
            setEditorValue(f, value);
}

QString SettingsForm::value(const QString &key) const
{
    QWidget *w = m_editors.value(key);
    if (auto *check = qobject_cast<QCheckBox *>(w))
        return check->isChecked() ? QStringLiteral("true") : QStringLiteral("false");
    if (auto *combo = qobject_cast<QComboBox *>(w))
        return combo->currentText();
    if (auto *line = qobject_cast<QLineEdit *>(w))
        return line->text();
    return {};
}

QString SettingsForm::fieldError(const QString &key) const
{
    QLabel *l = m_errors.value(key);
    return l && !l->isHidden() ? l->text() : QString();
}

QString SettingsForm::resultText() const
{
    return m_result->text();
}

QMap<QString, QString> SettingsForm::changes() const
{
    QMap<QString, QString> out;
    for (const SettingField &f : std::as_const(m_fields)) {
        const QString v = value(f.key);
        if (f.kind == FieldKind::Secret ? !v.isEmpty() : v != m_loaded.value(f.key))
            out.insert(f.key, v);
    }
    return out;
}

bool SettingsForm::save()
{
    if (!m_context.isAdmin() || !m_worker || m_busy)
        return false;
    const QMap<QString, QString> edits = changes();
    for (QLabel *l : std::as_const(m_errors))
        l->hide();
    if (edits.isEmpty()) {
        m_result->setText(tr("Nothing changed."));
        return false;
    }
    m_busy = true;
    m_save->setEnabled(false);
    m_result->setText(tr("Saving…"));
    const ConsoleContext context = m_context;
    const QList<SettingField> fields = m_fields;
    const QMap<QString, QString> before = m_loaded;
    m_worker->submit(
        this, [context, fields, edits, before]() { return saveSettings(context, fields, edits, before); },
        [this, edits](const SaveResult &r) {
            m_busy = false;
            m_save->setEnabled(true);
            for (auto it = r.fieldErrors.cbegin(); it != r.fieldErrors.cend(); ++it) {
                if (QLabel *l = m_errors.value(it.key())) {
                    l->setText(it.value());
                    l->show();
                }
            }
            for (const QString &key : r.saved) {
                m_loaded.insert(key, edits.value(key));
                if (auto *line = qobject_cast<QLineEdit *>(m_editors.value(key));
                    line && line->echoMode() == QLineEdit::Password) {
                    line->clear();
                    line->setPlaceholderText(tr("stored — type to replace"));
                    m_loaded.insert(key, QString());
                }
            }
            if (!r.error.isEmpty())
                m_result->setText(r.fieldErrors.isEmpty() ? tr("Not saved: %1").arg(r.error)
                                                          : tr("Nothing was saved: fix the settings marked below."));
            else if (r.restartNeeded.isEmpty())
                m_result->setText(tr("Saved and applied."));
            else
                m_result->setText(tr("Saved. Restart needed for: %1").arg(r.restartNeeded.join(QStringLiteral(", "))));
            Q_EMIT saved(r);
        });
    return true;
}

} // namespace bw::ui
