#pragma once
// What each command does once the Qt application object exists. Each returns the process exit code
// through QCoreApplication::exit when its work is done.

#include "server/core/config.h"

namespace bw::app {

class ShutdownSignals;

// Headless: API server + workers until SIGINT/SIGTERM.
void runServe(const Config &config, ShutdownSignals &signals);
// `migrate status` / `migrate up`: start the database only, do the work, print, stop.
void runMigrate(const Config &config, bool apply);

} // namespace bw::app
