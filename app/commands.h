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
// `migrate up` lints the pending migrations and takes a pre-migration snapshot first (app/opscommands);
// force: apply despite blocking lint findings.
void runMigrate(const Config &config, bool apply, bool force = false);
// `keys rotate-heartbeat`: a new heartbeat signing key in the secret store; the previous one stays
// published and valid for 30 days. Running servers notice through the settings table.
void runRotateHeartbeatKey(const Config &config);
// `admin create-user` / `admin reset-password`: reads the password (stdin, or a no-echo prompt on
// a terminal), starts the database (applying migrations), does the change, prints, stops.
void runAdminUser(const Config &config, const Command &command);

} // namespace bw::app
