#include "desktop.h"

#include "app/desktopcontexts.h"
#include "app/runtime.h"
#include "app/shutdownsignals.h"
#include "server/core/threadrole.h"
#include "ui/mainwindow.h"
#include "ui/translations.h"

#include <QApplication>

namespace bw::app {

void runDesktop(const Config &config, ShutdownSignals &signals)
{
    auto *app = qobject_cast<QApplication *>(qApp);
    // This is the GUI thread from here on: SQL on it is a bug (checked builds abort, docs/threads.md).
    setCurrentThreadRole(ThreadRole::Gui);
    // The language follows the system unless ui/language (BW_LANGUAGE) names one.
    ui::installTranslations(*app, config.uiLanguage.isEmpty() ? QLocale::system() : QLocale(config.uiLanguage));
    QApplication::setQuitOnLastWindowClosed(false); // we quit after the server has drained

    auto *runtime = new Runtime(config, {}, nullptr, app);
    auto *window = new ui::MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose, false);
    window->show();

    QObject::connect(runtime, &Runtime::progress, window, &ui::MainWindow::setServerStarting);
    QObject::connect(runtime, &Runtime::failed, window, &ui::MainWindow::setServerFailed);
    QObject::connect(runtime, &Runtime::ready, window, [runtime, window] {
        window->setServerReady(overviewContext(*runtime));
        // The signed-in console: the same services the API uses, called in-process by the panels.
        window->setConsoleContext(consoleContext(*runtime)); // → sign-in page, then the panels of the user's role
    });
    const auto quit = [runtime, window] {
        window->setServerStopping(QObject::tr("Shutting down…")); // panels leave the database before it goes
        runtime->stop();
    };
    QObject::connect(window, &ui::MainWindow::quitRequested, runtime, quit);
    QObject::connect(&signals, &ShutdownSignals::shutdownRequested, runtime, quit);
    QObject::connect(runtime, &Runtime::stopped, app, [window] {
        delete window; // panels release their worker threads before the database goes away
        QCoreApplication::exit(0);
    });
    runtime->start();
}

} // namespace bw::app
