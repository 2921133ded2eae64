#pragma once
// What each command does once the Qt application object exists. Each returns the process exit code
// through QCoreApplication::exit when its work is done.

#include "server/core/config.h"

namespace bw::app {

class ShutdownSignals;
struct Command;

// Headless: API server + workers until SIGINT/SIGTERM.
void runServe(const Config &config, ShutdownSignals &signals);
// `migrate status` / `migrate up`: start the database only, do the work, print, stop.
void runMigrate(const Config &config, bool apply);
// `admin create-user` / `admin reset-password`: reads the password (stdin, or a no-echo prompt on
// a terminal), starts the database (applying migrations), does the change, prints, stops.
void runAdminUser(const Config &config, const Command &command);

} // namespace bw::app
