// betterworld: one program for the desktop console, the headless server and the admin CLI.
#include "app/cli.h"
#include "app/commands.h"
#include "app/ledgercommands.h"
#include "app/opscommands.h"
#include "app/shutdownsignals.h"
#include "server/core/logging.h"

#include <QCoreApplication>

#include <cstdio>
#include <memory>
#include <unistd.h>

#ifdef BW_HAS_GUI
#include "app/desktop.h"
#include <QApplication>
#endif

namespace {
bool hasDisplay()
{
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}
} // namespace

int main(int argc, char *argv[])
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    auto command = bw::app::parseCommandLine(arguments);
    if (!command) {
        std::fprintf(stderr, "betterworld: %s\n", qPrintable(command.error().message));
        return 2;
    }
    if (command->kind == bw::app::CommandKind::Help) {
        std::fputs(qPrintable(command->helpText), stdout);
        return 0;
    }
    if (command->kind == bw::app::CommandKind::Version) {
        std::printf("betterworld %s\n", BW_VERSION);
        return 0;
    }
    auto config = bw::loadConfig(command->sources);
    if (!config) {
        std::fprintf(stderr, "betterworld: %s\n", qPrintable(config.error().message));
        return 2;
    }

    bool desktop = command->kind == bw::app::CommandKind::Desktop;
#ifndef BW_HAS_GUI
    desktop = false;
#endif
    if (desktop && !hasDisplay()) {
        std::fprintf(stderr, "betterworld: no display (DISPLAY/WAYLAND_DISPLAY unset); running headless 'serve'\n");
        desktop = false;
        command->kind = bw::app::CommandKind::Serve;
    }

    std::unique_ptr<QCoreApplication> app;
#ifdef BW_HAS_GUI
    if (desktop)
        app = std::make_unique<QApplication>(argc, argv);
#endif
    if (!app)
        app = std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("betterworld"));
    QCoreApplication::setOrganizationName(QStringLiteral("BetterWorld"));
    QCoreApplication::setApplicationVersion(QStringLiteral(BW_VERSION));

    const bool cli = bw::app::isOpsCommand(command->kind) || command->kind == bw::app::CommandKind::MigrateStatus
                     || command->kind == bw::app::CommandKind::MigrateUp || command->kind == bw::app::CommandKind::AdminCreateUser
                     || command->kind == bw::app::CommandKind::AdminResetPassword
                     || command->kind == bw::app::CommandKind::KeysRotateHeartbeat
                     || command->kind == bw::app::CommandKind::LedgerVerify;
    bw::log::init({.level = cli && !command->sources.flags.contains(QStringLiteral("log/level")) ? QStringLiteral("warning")
                                                                                                 : config->logLevel,
                   .directory = config->logDir(),
                   .toStderr = !desktop || ::isatty(STDERR_FILENO)});

    bw::app::ShutdownSignals signals;
    switch (command->kind) {
    case bw::app::CommandKind::Serve:
        bw::app::runServe(*config, signals);
        break;
    case bw::app::CommandKind::MigrateStatus:
    case bw::app::CommandKind::MigrateUp:
        bw::app::runMigrate(*config, command->kind == bw::app::CommandKind::MigrateUp,
                            command->opsOptions.contains(QStringLiteral("force")));
        break;
    case bw::app::CommandKind::Backup:
    case bw::app::CommandKind::MigrateLint:
    case bw::app::CommandKind::Deploy:
        bw::app::runOpsCommand(*config, *command, signals);
        break;
    case bw::app::CommandKind::AdminCreateUser:
    case bw::app::CommandKind::AdminResetPassword:
        bw::app::runAdminUser(*config, *command);
        break;
    case bw::app::CommandKind::KeysRotateHeartbeat:
        bw::app::runRotateHeartbeatKey(*config);
        break;
    case bw::app::CommandKind::LedgerVerify:
        bw::app::runLedgerCommand(*config, *command);
        break;
    default:
#ifdef BW_HAS_GUI
        bw::app::runDesktop(*config, signals);
#endif
        break;
    }
    const int code = app->exec();
    bw::log::shutdown();
    return code;
}
