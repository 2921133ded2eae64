#include "desktop.h"

#include "app/runtime.h"
#include "app/shutdownsignals.h"
#include "ui/mainwindow.h"
#include "ui/translations.h"

#include <QApplication>
#include <QPointer>

namespace bw::app {

void runDesktop(const Config &config, ShutdownSignals &signals)
{
    auto *app = qobject_cast<QApplication *>(qApp);
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
        ui::OverviewContext context;
        context.database = runtime->database();
        context.metrics = &runtime->metrics();
        context.listenAddress = QStringLiteral("%1:%2").arg(runtime->config().listenHost).arg(runtime->port());
        context.embeddedDatabase = runtime->config().embeddedDatabase();
        context.databaseDescription = runtime->databaseDescription();
        context.startedAt = runtime->startedAt();
        window->setServerReady(context);

        // The signed-in console: the same services the API uses, called in-process by the panels.
        ui::ConsoleContext console;
        console.config = &runtime->config();
        console.database = runtime->database();
        console.metrics = &runtime->metrics();
        console.secrets = runtime->secrets();
        console.adminAuth = runtime->adminAuth();
        console.reviews = runtime->reviews();
        console.adminOps = runtime->adminOps();
        console.jobs = runtime->jobs();
        console.guardrails = runtime->guardrails();
        console.verification = runtime->verification();
        console.heartbeat = runtime->heartbeat();
        console.setMaintenance = [guard = QPointer<Runtime>(runtime)](bool on) {
            if (guard)
                guard->setMaintenance(on);
        };
        window->setConsoleContext(console); // → sign-in page, then the panels of the user's role
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
