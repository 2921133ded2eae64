#include "desktop.h"

#include "app/runtime.h"
#include "app/shutdownsignals.h"
#include "ui/mainwindow.h"
#include "ui/translations.h"

#include <QApplication>

namespace bw::app {

void runDesktop(const Config &config, ShutdownSignals &signals)
{
    auto *app = qobject_cast<QApplication *>(qApp);
    ui::installTranslations(*app);
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
