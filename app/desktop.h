#pragma once
// The desktop console: the main window plus the same runtime `serve` uses, in one process.

#include "server/core/config.h"

namespace bw::app {

class ShutdownSignals;

void runDesktop(const Config &config, ShutdownSignals &signals);

} // namespace bw::app
