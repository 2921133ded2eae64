// Command-line parsing (bw::app::parseCommandLine): commands, usage errors, help text and the
// mapping of option flags to setting keys (checked end to end through loadConfig). Pure.

#include "app/cli.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace bw;
using namespace bw::app;

Q_DECLARE_METATYPE(bw::app::CommandKind)

namespace {
QStringList argv(const QStringList &args)
{
    return QStringList{QStringLiteral("betterworld")} + args;
}
} // namespace

class tst_Cli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void commands_data();
    void commands();
    void usageErrors_data();
    void usageErrors();
    void help_data();
    void help();
    void flagsMapToSettings_data();
    void flagsMapToSettings();
    void flagsLoadIntoConfig();
    void setFlag_data();
    void setFlag();
    void badSet_data();
    void badSet();
    void unknownSetKeyFailsAtLoad();
};

void tst_Cli::commands_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<CommandKind>("kind");

    QTest::newRow("no args → desktop") << QStringList{} << CommandKind::Desktop;
    QTest::newRow("options only → desktop") << QStringList{"--listen", "127.0.0.1:1"} << CommandKind::Desktop;
    QTest::newRow("serve") << QStringList{"serve"} << CommandKind::Serve;
    QTest::newRow("serve with options") << QStringList{"serve", "--data-dir", "/tmp/x"} << CommandKind::Serve;
    QTest::newRow("options before serve") << QStringList{"--data-dir", "/tmp/x", "serve"} << CommandKind::Serve;
    QTest::newRow("migrate status") << QStringList{"migrate", "status"} << CommandKind::MigrateStatus;
    QTest::newRow("migrate up") << QStringList{"migrate", "up"} << CommandKind::MigrateUp;
    QTest::newRow("ledger verify") << QStringList{"ledger", "verify"} << CommandKind::LedgerVerify;
    QTest::newRow("ledger verify --json") << QStringList{"ledger", "verify", "--json"} << CommandKind::LedgerVerify;
    QTest::newRow("migrate up with options")
        << QStringList{"migrate", "up", "--database-url", "postgresql://x/y"} << CommandKind::MigrateUp;
    QTest::newRow("--version") << QStringList{"--version"} << CommandKind::Version;
    QTest::newRow("--help") << QStringList{"--help"} << CommandKind::Help;
    QTest::newRow("-h") << QStringList{"-h"} << CommandKind::Help;
    QTest::newRow("serve --help") << QStringList{"serve", "--help"} << CommandKind::Help;
}

void tst_Cli::commands()
{
    QFETCH(QStringList, args);
    QFETCH(CommandKind, kind);
    const auto r = parseCommandLine(argv(args));
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    QCOMPARE(r->kind, kind);
    QCOMPARE(r->helpText.isEmpty(), kind != CommandKind::Help);
}

void tst_Cli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");

    QTest::newRow("migrate alone") << QStringList{"migrate"} << "migrate status|up";
    QTest::newRow("migrate bogus") << QStringList{"migrate", "bogus"} << "migrate status|up";
    QTest::newRow("migrate up extra") << QStringList{"migrate", "up", "now"} << "migrate status|up";
    QTest::newRow("ledger alone") << QStringList{"ledger"} << "ledger verify";
    QTest::newRow("ledger bogus") << QStringList{"ledger", "balance"} << "ledger verify";
    QTest::newRow("unknown command") << QStringList{"frobnicate"} << "unknown command 'frobnicate'";
    QTest::newRow("serve extra") << QStringList{"serve", "now"} << "unknown command 'serve now'";
    QTest::newRow("SERVE upper case") << QStringList{"SERVE"} << "unknown command 'SERVE'";
    QTest::newRow("unknown option") << QStringList{"serve", "--bogus"} << "bogus";
    QTest::newRow("missing option value") << QStringList{"serve", "--listen"} << "listen";
}

void tst_Cli::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const auto r = parseCommandLine(argv(args));
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::BadRequest);
    QVERIFY2(r.error().message.contains(message), qPrintable(r.error().message));
}

void tst_Cli::help_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("--help") << QStringList{"--help"};
    QTest::newRow("migrate --help") << QStringList{"migrate", "--help"};
}

void tst_Cli::help()
{
    QFETCH(QStringList, args);
    const auto r = parseCommandLine(argv(args));
    QVERIFY(r.ok());
    QCOMPARE(r->kind, CommandKind::Help);
    const QString text = r->helpText;
    for (const char *needle : {"serve", "migrate status", "migrate up", "--data-dir", "--listen", "--database-url", "--config",
                               "--set", "--log-level", BW_VERSION})
        QVERIFY2(text.contains(QLatin1String(needle)), needle);
    // Every setting is documented with its key and environment variable.
    for (const SettingInfo &s : settingsCatalogue()) {
        QVERIFY2(text.contains(s.key), qPrintable(s.key));
        QVERIFY2(text.contains(s.env), qPrintable(s.env));
    }
}

void tst_Cli::flagsMapToSettings_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");

    // clang-format off
    QTest::newRow("--data-dir") << QStringList{"serve", "--data-dir", "/srv/bw"} << "general/data_dir" << "/srv/bw";
    QTest::newRow("--data-dir=") << QStringList{"serve", "--data-dir=/srv/bw2"} << "general/data_dir" << "/srv/bw2";
    QTest::newRow("--listen") << QStringList{"serve", "--listen", "0.0.0.0:8080"} << "server/listen" << "0.0.0.0:8080";
    QTest::newRow("-listen single dash") << QStringList{"serve", "-listen", "[::1]:4000"} << "server/listen" << "[::1]:4000";
    QTest::newRow("--database-url") << QStringList{"migrate", "up", "--database-url", "postgresql://bw@db/bw"} << "database/url"
                                    << "postgresql://bw@db/bw";
    QTest::newRow("--log-level") << QStringList{"serve", "--log-level", "debug"} << "log/level" << "debug";
    // clang-format on
}

void tst_Cli::flagsMapToSettings()
{
    QFETCH(QStringList, args);
    QFETCH(QString, key);
    QFETCH(QString, value);
    const auto r = parseCommandLine(argv(args));
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    QCOMPARE(r->sources.flags.value(key), value);
    QCOMPARE(r->sources.flags.size(), 1);
    // Every key the CLI produces is a real setting.
    bool known = false;
    for (const SettingInfo &s : settingsCatalogue())
        known = known || s.key == key;
    QVERIFY2(known, qPrintable(key));
    QVERIFY(r->sources.explicitFile.isEmpty());
}

void tst_Cli::flagsLoadIntoConfig()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString conf = dir.filePath(QStringLiteral("bw.conf"));
    {
        QFile f(conf);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[server]\nio_threads=3\nlisten=127.0.0.1:1111\n");
    }
    const auto r = parseCommandLine(argv({"serve", "--config", conf, "--data-dir", dir.filePath("data"), "--listen",
                                          "127.0.0.1:5555", "--database-url", "postgresql://u@h/db", "--log-level", "warning",
                                          "--set", "rate_limit/enabled=false", "--set", "server/request_threads=12"}));
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    QCOMPARE(r->sources.explicitFile, conf);

    ConfigSources sources = r->sources;
    sources.environment = QProcessEnvironment(); // nothing from the developer's shell
    sources.environment.insert(QStringLiteral("HOME"), dir.path());
    const auto config = loadConfig(sources);
    QVERIFY2(config.ok(), config.ok() ? "" : qPrintable(config.error().message));
    QCOMPARE(config->configFile, conf);
    QCOMPARE(config->ioThreads, 3);              // from the file
    QCOMPARE(config->listenPort, quint16(5555)); // flag beats file
    QCOMPARE(config->dataDir, dir.filePath("data"));
    QCOMPARE(config->databaseUrl, QStringLiteral("postgresql://u@h/db"));
    QCOMPARE(config->logLevel, QStringLiteral("warning"));
    QVERIFY(!config->rateLimits.enabled);
    QCOMPARE(config->requestThreads, 12);
}

void tst_Cli::setFlag_data()
{
    QTest::addColumn<QStringList>("sets");
    QTest::addColumn<QStringList>("expected"); // key=value pairs, sorted

    QTest::newRow("one") << QStringList{"rate_limit/enabled=false"} << QStringList{"rate_limit/enabled=false"};
    QTest::newRow("two") << QStringList{"server/io_threads=3", "log/level=debug"}
                         << QStringList{"log/level=debug", "server/io_threads=3"};
    QTest::newRow("value with =") << QStringList{"server/metrics_token=a=b=c"} << QStringList{"server/metrics_token=a=b=c"};
    QTest::newRow("empty value") << QStringList{"server/cors_origins="} << QStringList{"server/cors_origins="};
    QTest::newRow("key trimmed") << QStringList{" server/io_threads =4"} << QStringList{"server/io_threads=4"};
    QTest::newRow("last wins") << QStringList{"server/io_threads=3", "server/io_threads=5"} << QStringList{"server/io_threads=5"};
}

void tst_Cli::setFlag()
{
    QFETCH(QStringList, sets);
    QFETCH(QStringList, expected);
    QStringList args{"serve"};
    for (const QString &s : sets)
        args << QStringLiteral("--set") << s;
    const auto r = parseCommandLine(argv(args));
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    QStringList got;
    for (auto it = r->sources.flags.cbegin(); it != r->sources.flags.cend(); ++it)
        got << it.key() + u'=' + it.value();
    got.sort();
    QCOMPARE(got, expected);
}

void tst_Cli::badSet_data()
{
    QTest::addColumn<QString>("set");
    QTest::newRow("no equals") << "rate_limit/enabled";
    QTest::newRow("empty key") << "=false";
    QTest::newRow("empty") << "";
}

void tst_Cli::badSet()
{
    QFETCH(QString, set);
    const auto r = parseCommandLine(argv({"serve", "--set", set}));
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::BadRequest);
    QVERIFY2(r.error().message.contains(QStringLiteral("KEY=VALUE")), qPrintable(r.error().message));
    QVERIFY2(r.error().message.contains(QStringLiteral("'%1'").arg(set)), qPrintable(r.error().message));
}

void tst_Cli::unknownSetKeyFailsAtLoad()
{
    // The parser accepts any KEY=VALUE; loadConfig names the unknown key.
    const auto r = parseCommandLine(argv({"serve", "--set", "server/lisen=1.2.3.4:5"}));
    QVERIFY(r.ok());
    ConfigSources sources = r->sources;
    sources.environment = QProcessEnvironment();
    sources.environment.insert(QStringLiteral("HOME"), QStringLiteral("/nonexistent-home"));
    const auto config = loadConfig(sources);
    QVERIFY(!config.ok());
    QVERIFY2(config.error().message.contains(QStringLiteral("server/lisen")), qPrintable(config.error().message));
}

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
