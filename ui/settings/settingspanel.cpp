#include "ui/settings/settingspanel.h"

#include "server/domain/accounts/heartbeatservice.h"
#include "server/moderation/settingsservice.h"
#include "ui/common/dbworker.h"
#include "ui/settings/settingsform.h"

#include <QFontDatabase>
#include <QFormLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

namespace bw::ui {

namespace {

struct HeartbeatDoc {
    QString error;
    QString version;
    QString instructionsJson;
    int interval = domain::HeartbeatService::kDefaultCheckinIntervalSeconds;
};

QWidget *scrolled(QWidget *inner)
{
    auto *area = new QScrollArea;
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    area->setWidget(inner);
    return area;
}

HeartbeatDoc docFrom(const QJsonObject &o)
{
    HeartbeatDoc d;
    d.version = o.value(QStringLiteral("instructionsVersion")).toString();
    d.instructionsJson =
        QString::fromUtf8(QJsonDocument(o.value(QStringLiteral("instructions")).toObject()).toJson(QJsonDocument::Indented));
    d.interval =
        o.value(QStringLiteral("checkinIntervalSeconds")).toInt(domain::HeartbeatService::kDefaultCheckinIntervalSeconds);
    return d;
}

} // namespace

SettingsPanel::SettingsPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context), m_worker(context.worker), m_tabs(new QTabWidget)
{
    setObjectName(QStringLiteral("settingsPanel"));
    auto *title = new QLabel(tr("Settings"));
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
    titleFont.setBold(true);
    title->setFont(titleFont);

    const QList<QPair<QString, QStringList>> tabs = {
        {tr("Server and database"), {QStringLiteral("server"), QStringLiteral("database")}},
        {tr("Guardrails"), {QStringLiteral("guardrails")}},
        {tr("Rate limits"), {QStringLiteral("rate_limits")}},
        {tr("E-mail and alerts"), {QStringLiteral("smtp"), QStringLiteral("webhook")}},
    };
    for (const auto &[name, sections] : tabs) {
        auto *form = new SettingsForm(context, sections);
        m_forms << form;
        m_tabs->addTab(scrolled(form), name);
    }
    m_tabs->addTab(buildHeartbeatTab(), tr("Heartbeat instructions"));

    auto *note = new QLabel(context.isAdmin() ? tr("Guardrail settings and heartbeat instructions apply at once on every node; "
                                                   "the others are written to the settings file and apply at the next start.")
                                              : tr("Read-only: only administrators can change settings."));
    note->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(note);
    layout->addWidget(m_tabs, 1);
}

QWidget *SettingsPanel::buildHeartbeatTab()
{
    auto *page = new QWidget;
    m_heartbeatText = new QPlainTextEdit;
    m_heartbeatText->setObjectName(QStringLiteral("heartbeatInstructions"));
    m_heartbeatText->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_heartbeatText->setReadOnly(!m_context.isAdmin());
    m_interval = new QSpinBox;
    m_interval->setObjectName(QStringLiteral("heartbeatInterval"));
    m_interval->setRange(60, 7 * 86400);
    m_interval->setSuffix(tr(" s"));
    m_interval->setEnabled(m_context.isAdmin());
    m_heartbeatVersion = new QLabel;
    m_heartbeatResult = new QLabel;
    m_heartbeatResult->setObjectName(QStringLiteral("heartbeatResult"));
    m_heartbeatResult->setWordWrap(true);
    m_heartbeatSave = new QPushButton(tr("Save and &sign"));
    m_heartbeatSave->setObjectName(QStringLiteral("saveHeartbeatButton"));
    m_heartbeatSave->setEnabled(m_context.isAdmin() && m_context.heartbeat);
    auto *form = new QFormLayout;
    form->addRow(tr("Current version:"), m_heartbeatVersion);
    form->addRow(tr("Recommended check-in interval:"), m_interval);
    auto *layout = new QVBoxLayout(page);
    layout->addLayout(form);
    layout->addWidget(m_heartbeatText, 1);
    layout->addWidget(m_heartbeatResult);
    layout->addWidget(m_heartbeatSave, 0, Qt::AlignRight);
    connect(m_heartbeatSave, &QPushButton::clicked, this, &SettingsPanel::saveHeartbeat);
    return page;
}

void SettingsPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!m_loaded)
        load();
}

void SettingsPanel::load()
{
    m_loaded = true;
    for (SettingsForm *f : std::as_const(m_forms))
        f->load();
    loadHeartbeat();
}

SettingsForm *SettingsPanel::formFor(const QString &key) const
{
    for (SettingsForm *f : m_forms)
        if (f->hasField(key))
            return f;
    return nullptr;
}

void SettingsPanel::loadHeartbeat()
{
    if (!m_worker || !m_context.heartbeat)
        return;
    auto *heartbeat = m_context.heartbeat;
    m_worker->submit(
        this,
        [heartbeat]() {
            auto doc = heartbeat->storedInstructions();
            if (!doc)
                return HeartbeatDoc{doc.error().message};
            return docFrom(*doc);
        },
        [this](const HeartbeatDoc &d) {
            if (d.error.isEmpty()) {
                m_heartbeatVersionText = d.version;
                m_heartbeatVersion->setText(d.version);
                m_heartbeatText->setPlainText(d.instructionsJson);
                m_interval->setValue(d.interval);
            } else {
                m_heartbeatResult->setText(tr("Could not load the instructions: %1").arg(d.error));
            }
            Q_EMIT heartbeatLoaded();
        });
}

void SettingsPanel::setHeartbeatText(const QString &json, int checkinIntervalSeconds)
{
    m_heartbeatText->setPlainText(json);
    m_interval->setValue(checkinIntervalSeconds);
}

QString SettingsPanel::heartbeatResult() const
{
    return m_heartbeatResult->text();
}

bool SettingsPanel::saveHeartbeat()
{
    if (!m_context.isAdmin() || !m_context.heartbeat || !m_context.settings || !m_worker)
        return false;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(m_heartbeatText->toPlainText().toUtf8(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        const QString why = parseError.error != QJsonParseError::NoError
                                ? tr("Not valid JSON at character %1: %2").arg(parseError.offset).arg(parseError.errorString())
                                : tr("The instructions must be a JSON object.");
        m_heartbeatResult->setText(why);
        Q_EMIT heartbeatSaved(why);
        return false;
    }
    const QJsonObject instructions = doc.object();
    if (const FieldErrors errors = domain::HeartbeatService::validateInstructions(instructions); !errors.empty()) {
        const QString why = tr("Not saved: %1").arg(errors.toError().message);
        m_heartbeatResult->setText(why + u' '
                                   + QString::fromUtf8(QJsonDocument(errors.toError().details).toJson(QJsonDocument::Compact)));
        Q_EMIT heartbeatSaved(why);
        return false;
    }
    const int interval = m_interval->value();
    const QString before = m_heartbeatVersionText;
    m_heartbeatSave->setEnabled(false);
    m_worker->submit(
        this,
        [settings = m_context.settings, admin = m_context.admin, instructions, interval, before]() {
            auto updated = settings->updateHeartbeatInstructions(admin, instructions, interval, before); // audited
            if (!updated)
                return HeartbeatDoc{updated.error().message};
            return docFrom(*updated);
        },
        [this](const HeartbeatDoc &d) {
            m_heartbeatSave->setEnabled(true);
            if (d.error.isEmpty()) {
                m_heartbeatVersionText = d.version;
                m_heartbeatVersion->setText(d.version);
                m_heartbeatResult->setText(
                    tr("Saved and signed as version %1; agents get it at their next check-in.").arg(d.version));
            } else {
                m_heartbeatResult->setText(tr("Not saved: %1").arg(d.error));
            }
            Q_EMIT heartbeatSaved(d.error);
        });
    return true;
}

} // namespace bw::ui
