#pragma once
// The Settings page: server, database, guardrails (API key in the keychain), rate limits, SMTP and
// alert notifications (SettingsForm: validated with the settings catalogue, audited, "restart
// needed" where they cannot apply live) and the heartbeat instructions editor (HeartbeatService;
// applies at once, audited). Administrators edit; moderators see the values read-only.
// GUI thread; all loading and saving runs on the DbWorker.

#include "ui/common/consolecontext.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;

namespace bw::ui {

class DbWorker;
class SettingsForm;

class SettingsPanel final : public QWidget {
    Q_OBJECT
public:
    explicit SettingsPanel(const ConsoleContext &context, QWidget *parent = nullptr);

    void load(); // every form and the heartbeat instructions
    QList<SettingsForm *> forms() const { return m_forms; }
    SettingsForm *formFor(const QString &key) const;

    // Heartbeat instructions (JSON object text) and check-in interval.
    void setHeartbeatText(const QString &json, int checkinIntervalSeconds);
    bool saveHeartbeat(); // validates the JSON first; false when not allowed/invalid
    QString heartbeatResult() const;

Q_SIGNALS:
    void heartbeatLoaded();
    void heartbeatSaved(const QString &error);

protected:
    void showEvent(QShowEvent *event) override;

private:
    QWidget *buildHeartbeatTab();
    void loadHeartbeat();

    ConsoleContext m_context;
    QPointer<DbWorker> m_worker;
    QTabWidget *m_tabs;
    QList<SettingsForm *> m_forms;
    QPlainTextEdit *m_heartbeatText = nullptr;
    QSpinBox *m_interval = nullptr;
    QLabel *m_heartbeatVersion = nullptr;
    QLabel *m_heartbeatResult = nullptr;
    QPushButton *m_heartbeatSave = nullptr;
    QString m_heartbeatVersionText;
    bool m_loaded = false;
};

} // namespace bw::ui
