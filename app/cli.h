#pragma once
// Command-line parsing: `betterworld [serve | migrate status|up | admin create-user|reset-password | ledger verify] [options]`. Pure function of the
// argument list (no QCoreApplication needed), so it is unit-tested directly.

#include "server/core/config.h"

#include <QString>

namespace bw::app {

enum class CommandKind {
    Desktop,
    Serve,
    MigrateStatus,
    MigrateUp,
    Help,
    Version,
    Backup,
    MigrateLint,
    Deploy,
    AdminCreateUser,
    AdminResetPassword,
    KeysRotateHeartbeat,
    LedgerVerify
};

struct Command {
    CommandKind kind = CommandKind::Desktop;
    ConfigSources sources; // --config and setting flags
    QString helpText;      // for Help
    // backup … | migrate lint | deploy … (app/opscommands): words after the verb, and ops options
    // (name → value; "1" for flags).
    QStringList opsArgs;
    QMap<QString, QString> opsOptions;
    // admin create-user | reset-password (the password is read from stdin or a no-echo prompt)
    QString adminEmail;
    QString adminRole; // admin | moderator
    QString adminDisplayName;
};

// Usage errors come back as ApiError (BadRequest) whose message is printed; exit code 2.
Result<Command> parseCommandLine(const QStringList &arguments);

} // namespace bw::app
