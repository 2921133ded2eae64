#pragma once
// `betterworld ledger verify [--json]`: checks every ImpactToken ledger invariant (humans.md §6),
// prints the violations (text, or JSON with --json), records the run in ledger_verifications (so a
// clean run resolves the LedgerInvariantBroken alert) and exits 0 when clean, 1 otherwise (or when
// the check could not run). Works alongside a running server (attaches to its embedded database).

#include "server/core/config.h"

namespace bw::app {

struct Command;

void runLedgerCommand(const Config &config, const Command &command);

} // namespace bw::app
