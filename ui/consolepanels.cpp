#include "ui/consolepanels.h"

#include "ui/agents/agentspanel.h"
#include "ui/alerts/alertspanel.h"
#include "ui/backups/backupspanel.h"
#include "ui/common/consolecontext.h"
#include "ui/dashboards/dashboardspanel.h"
#include "ui/deployments/deploymentspanel.h"
#include "ui/jobs/jobspanel.h"
#include "ui/logs/logspanel.h"
#include "ui/mainwindow.h"
#include "ui/review/reviewpanel.h"
#include "ui/settings/settingspanel.h"

#include <QCoreApplication>
#include <QStyle>

namespace bw::ui {

namespace {
// Panel titles live in one translation context, so the shell's navigation reads consistently.
QString title(const char *text)
{
    return QCoreApplication::translate("bw::ui::ConsolePanels", text);
}
} // namespace

void addConsolePanels(MainWindow &window, const ConsoleContext &context)
{
    QStyle *style = window.style();
    [[maybe_unused]] const bool admin = context.isAdmin();
    // One line per panel; order = navigation order (the Overview is always first). Panels are
    // factories: MainWindow builds each when it is first shown. Titles:
    // title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "…")). Admin-only: `if (admin) …`.
    window.addPanel(
        title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "Review Queue")), [context] { return new ReviewPanel(context); },
        style->standardIcon(QStyle::SP_FileDialogDetailedView));
    // Agents, Jobs and Settings: moderators get read-only views; Backups and Deployments: administrators only.
    window.addPanel(
        title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "Agents")), [context] { return new AgentsPanel(context); },
        style->standardIcon(QStyle::SP_DirHomeIcon));
    window.addPanel(
        title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "Jobs")), [context] { return new JobsPanel(context); },
        style->standardIcon(QStyle::SP_BrowserReload));
    if (admin)
        window.addPanel(
            title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "Backups")), [context] { return new BackupsPanel(context); },
            style->standardIcon(QStyle::SP_DriveHDIcon));
    if (admin)
        window.addPanel(
            title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "Deployments")), [context] { return new DeploymentsPanel(context); },
            style->standardIcon(QStyle::SP_ArrowUp));
    window.addPanel(
        title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "Dashboards")), [context] { return new DashboardsPanel(context); },
        style->standardIcon(QStyle::SP_ComputerIcon));
    // Built at once, not when first shown: it raises the tray notifications.
    window.addPanel(title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "Alerts")), new AlertsPanel(context),
                    style->standardIcon(QStyle::SP_MessageBoxWarning));
    window.addPanel(
        title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "Logs")), [context] { return new LogsPanel(context); },
        style->standardIcon(QStyle::SP_FileIcon));
    window.addPanel(
        title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "Settings")), [context] { return new SettingsPanel(context); },
        style->standardIcon(QStyle::SP_FileDialogInfoView));
}

} // namespace bw::ui
