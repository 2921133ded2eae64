#include "ui/consolepanels.h"

#include "ui/common/consolecontext.h"
#include "ui/mainwindow.h"

#include <QCoreApplication>
#include <QStyle>

namespace bw::ui {

namespace {
// Panel titles live in one translation context, so the shell's navigation reads consistently.
[[maybe_unused]] QString title(const char *text)
{
    return QCoreApplication::translate("bw::ui::ConsolePanels", text);
}
} // namespace

void addConsolePanels(MainWindow &window, const ConsoleContext &context)
{
    [[maybe_unused]] QStyle *style = window.style();
    [[maybe_unused]] const bool admin = context.isAdmin();
    // One line per panel; order = navigation order (the Overview is always first). Titles:
    // title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "…")). Admin-only: `if (admin) …`.
    // Example: window.addPanel(title(QT_TRANSLATE_NOOP("bw::ui::ConsolePanels", "Review queue")),
    //                          new ReviewPanel(context), style->standardIcon(QStyle::SP_FileDialogDetailedView));
}

} // namespace bw::ui
