#include "cli.h"

#include <QCommandLineParser>

namespace bw::app {

namespace {

QString settingsHelp()
{
    QString text = QStringLiteral("\nSettings (config file key / environment variable):\n");
    for (const SettingInfo &s : settingsCatalogue())
        text += QStringLiteral("  %1 / %2\n      %3\n").arg(s.key, -34).arg(s.env, s.help);
    return text;
}

QString usage(const QString &command, const QString &parserHelp)
{
    static const QString intro = QStringLiteral(
        "BetterWorld %1 — agent API server and admin console.\n\n"
        "Usage:\n"
        "  betterworld [options]                 desktop console (headless 'serve' when no display)\n"
        "  betterworld serve [options]           API server and workers, no GUI\n"
        "  betterworld migrate status [options]  list migrations and whether they are applied\n"
        "  betterworld migrate lint [--dir D] [--all] [--json]\n"
        "                                        check pending migrations for unsafe steps on the live database\n"
        "  betterworld backup list|create [--kind K]|verify [ID]|drill [ID]|prune [--json]\n"
        "                                        logical backups (pg_dump) and their catalogue\n"
        "  betterworld backup restore ID|--file F|--time T [--confirm DB] [--keep-previous] [--no-snapshot]\n"
        "                                        restore (typed confirmation, safety snapshot, swap)\n"
        "  betterworld backup offsite ID|list [--json]\n"
        "                                        copy a backup to the S3-compatible store | list the store's backups\n"
        "  betterworld backup restore --offsite KEY [--confirm DB] | backup drill --offsite [KEY]\n"
        "                                        download from the store, check its SHA-256, restore | drill it\n"
        "  betterworld backup archive status|backup [full|diff]\n"
        "                                        WAL archive of the embedded cluster (pgBackRest)\n"
        "  betterworld deploy ENV [--confirm ENV] | deploy env list|set ENV --database-url U [--node URL]… | deploy history|rollback ID\n"
        "                                        snapshot, migrate, wait for every node's /ready, record\n"
        "  betterworld migrate up [options]      apply pending migrations\n"
        "  betterworld keys rotate-heartbeat [options]\n"
        "                                        new heartbeat signing key; the old one stays valid 30 days\n"
        "  betterworld admin create-user --email E --role admin|moderator [--display-name N] [options]\n"
        "                                        create an admin user (password from stdin or a prompt)\n"
        "  betterworld admin reset-password --email E [options]\n"
        "                                        set a new password, unlock, end the user's sessions\n"
        "  betterworld ledger verify [--json] [options]\n"
        "                                        check the ImpactToken ledger's invariants; exit 1 on violations\n\n");
    Q_UNUSED(command);
    return intro.arg(QStringLiteral(BW_VERSION)) + parserHelp.section(u'\n', 2) + settingsHelp();
}

} // namespace

Result<Command> parseCommandLine(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    const QCommandLineOption version(QStringLiteral("version"), QStringLiteral("Show the version."));
    const QCommandLineOption config(QStringLiteral("config"), QStringLiteral("Read settings from FILE."), QStringLiteral("FILE"));
    const QCommandLineOption dataDir(QStringLiteral("data-dir"), QStringLiteral("Data directory (database, logs, backups)."),
                                     QStringLiteral("DIR"));
    const QCommandLineOption listen(QStringLiteral("listen"), QStringLiteral("HTTP listen address, e.g. 127.0.0.1:4000."),
                                    QStringLiteral("HOST:PORT"));
    const QCommandLineOption databaseUrl(QStringLiteral("database-url"),
                                         QStringLiteral("External PostgreSQL URL (default: embedded)."), QStringLiteral("URL"));
    const QCommandLineOption logLevel(QStringLiteral("log-level"), QStringLiteral("debug, info, warning or error."),
                                      QStringLiteral("LEVEL"));
    const QCommandLineOption set(QStringLiteral("set"),
                                 QStringLiteral("Any setting, e.g. --set rate_limit/enabled=false (repeatable)."),
                                 QStringLiteral("KEY=VALUE"));
    const QCommandLineOption email(QStringLiteral("email"), QStringLiteral("admin: the user's email."), QStringLiteral("E"));
    const QCommandLineOption role(QStringLiteral("role"), QStringLiteral("admin create-user: admin or moderator."),
                                  QStringLiteral("ROLE"));
    const QCommandLineOption displayName(QStringLiteral("display-name"), QStringLiteral("admin create-user: shown name."),
                                         QStringLiteral("N"));
    parser.addOptions({help, version, config, dataDir, listen, databaseUrl, logLevel, set, email, role, displayName});
    // Options of the ops commands (backup, migrate lint, deploy); collected into Command::opsOptions.
    const QList<QCommandLineOption> opsValueOptions = {
        {QStringLiteral("kind"), QStringLiteral("backup create: daily, monthly, pre_migration, manual."), QStringLiteral("KIND")},
        {QStringLiteral("file"), QStringLiteral("backup restore: a pg_dump custom-format file."), QStringLiteral("FILE")},
        {QStringLiteral("time"), QStringLiteral("backup restore: point in time (ISO 8601, UTC)."), QStringLiteral("TIME")},
        {QStringLiteral("confirm"), QStringLiteral("backup restore / deploy: the database or environment name."),
         QStringLiteral("NAME")},
        {QStringLiteral("dir"), QStringLiteral("migrate lint: lint the migrations in DIR."), QStringLiteral("DIR")},
        {QStringLiteral("node"), QStringLiteral("deploy env set: an API node URL (repeatable)."), QStringLiteral("URL")},
        {QStringLiteral("env-database-url"), QStringLiteral("deploy env set: the environment's database URL."),
         QStringLiteral("URL")},
        {QStringLiteral("ready-timeout"), QStringLiteral("deploy env set: seconds to wait for /ready."), QStringLiteral("S")}};
    const QList<QCommandLineOption> opsFlagOptions = {
        {QStringLiteral("json"), QStringLiteral("ops commands: print JSON.")},
        {QStringLiteral("all"), QStringLiteral("backup list: include expired; migrate lint: every file.")},
        {QStringLiteral("keep-previous"), QStringLiteral("backup restore: keep the replaced database.")},
        {QStringLiteral("no-snapshot"), QStringLiteral("backup restore: skip the safety snapshot.")},
        {QStringLiteral("offsite"), QStringLiteral("backup restore KEY / drill [KEY]: from the off-site (S3) copy.")},
        {QStringLiteral("force"), QStringLiteral("migrate up / deploy: apply despite blocking lint findings.")},
        {QStringLiteral("require-typed"), QStringLiteral("deploy env set: deployments must type the environment name.")}};
    parser.addOptions(opsValueOptions);
    parser.addOptions(opsFlagOptions);
    parser.addPositionalArgument(QStringLiteral("command"),
                                 QStringLiteral("serve | migrate status|up | admin create-user|reset-password | ledger verify"),
                                 QStringLiteral("[command]"));

    if (!parser.parse(arguments))
        return ApiError::badRequest(parser.errorText() + QStringLiteral("\nTry 'betterworld --help'."));

    Command cmd;
    const QStringList positional = parser.positionalArguments();
    if (parser.isSet(help)) {
        cmd.kind = CommandKind::Help;
        cmd.helpText = usage(positional.value(0), parser.helpText());
        return cmd;
    }
    if (parser.isSet(version)) {
        cmd.kind = CommandKind::Version;
        return cmd;
    }
    const QString verb = positional.value(0);
    if (positional.isEmpty()) {
        cmd.kind = CommandKind::Desktop;
    } else if (verb == u"serve" && positional.size() == 1) {
        cmd.kind = CommandKind::Serve;
    } else if (verb == u"migrate" && positional.size() == 2 && positional[1] == u"status") {
        cmd.kind = CommandKind::MigrateStatus;
    } else if (verb == u"migrate" && positional.size() == 2 && positional[1] == u"up") {
        cmd.kind = CommandKind::MigrateUp;
    } else if (verb == u"migrate" && positional.size() == 2 && positional[1] == u"lint") {
        cmd.kind = CommandKind::MigrateLint;
    } else if ((verb == u"backup" || verb == u"deploy") && positional.size() >= 2) {
        cmd.kind = verb == u"backup" ? CommandKind::Backup : CommandKind::Deploy;
        cmd.opsArgs = positional.mid(1);
    } else if (verb == u"migrate") {
        return ApiError::badRequest(QStringLiteral("usage: betterworld migrate status|up [options]"));
    } else if (verb == u"keys" && positional.size() == 2 && positional[1] == u"rotate-heartbeat") {
        cmd.kind = CommandKind::KeysRotateHeartbeat;
    } else if (verb == u"keys") {
        return ApiError::badRequest(QStringLiteral("usage: betterworld keys rotate-heartbeat [options]"));
    } else if (verb == u"admin" && positional.size() == 2 && positional[1] == u"create-user") {
        cmd.kind = CommandKind::AdminCreateUser;
        cmd.adminEmail = parser.value(email).trimmed();
        cmd.adminRole = parser.value(role).trimmed();
        cmd.adminDisplayName = parser.value(displayName).trimmed();
        if (cmd.adminEmail.isEmpty() || (cmd.adminRole != u"admin" && cmd.adminRole != u"moderator"))
            return ApiError::badRequest(
                QStringLiteral("usage: betterworld admin create-user --email E --role admin|moderator [--display-name N]"));
    } else if (verb == u"admin" && positional.size() == 2 && positional[1] == u"reset-password") {
        cmd.kind = CommandKind::AdminResetPassword;
        cmd.adminEmail = parser.value(email).trimmed();
        if (cmd.adminEmail.isEmpty())
            return ApiError::badRequest(QStringLiteral("usage: betterworld admin reset-password --email E"));
    } else if (verb == u"ledger" && positional.size() == 2 && positional[1] == u"verify") {
        cmd.kind = CommandKind::LedgerVerify;
    } else if (verb == u"ledger") {
        return ApiError::badRequest(QStringLiteral("usage: betterworld ledger verify [--json] [options]"));
    } else if (verb == u"admin") {
        return ApiError::badRequest(QStringLiteral("usage: betterworld admin create-user|reset-password --email E [options]"));
    } else {
        return ApiError::badRequest(QStringLiteral("unknown command '%1'. Try 'betterworld --help'.").arg(positional.join(u' ')));
    }

    cmd.sources.explicitFile = parser.value(config);
    for (const QCommandLineOption &o : opsValueOptions) {
        if (parser.isSet(o))
            cmd.opsOptions.insert(o.names().first(),
                                  o.names().first() == u"node" ? parser.values(o).join(u',') : parser.value(o));
    }
    for (const QCommandLineOption &o : opsFlagOptions) {
        if (parser.isSet(o))
            cmd.opsOptions.insert(o.names().first(), QStringLiteral("1"));
    }
    const auto flag = [&](const QCommandLineOption &option, const char *key) {
        if (parser.isSet(option))
            cmd.sources.flags.insert(QString::fromLatin1(key), parser.value(option));
    };
    flag(dataDir, "general/data_dir");
    flag(listen, "server/listen");
    flag(databaseUrl, "database/url");
    flag(logLevel, "log/level");
    for (const QString &pair : parser.values(set)) {
        const qsizetype eq = pair.indexOf(u'=');
        if (eq <= 0)
            return ApiError::badRequest(QStringLiteral("--set expects KEY=VALUE, got '%1'").arg(pair));
        cmd.sources.flags.insert(pair.left(eq).trimmed(), pair.mid(eq + 1));
    }
    return cmd;
}

} // namespace bw::app
