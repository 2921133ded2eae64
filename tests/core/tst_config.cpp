// Settings: defaults, file < environment < flags precedence, validation of every setting and the
// listen-address parser. Pure (temporary files only); runs on the test thread.

#include "server/core/config.h"

#include <QDir>
#include <QFile>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace bw;

namespace {

enum class Source { File, Env, Flag };

QString sourceName(Source s)
{
    switch (s) {
    case Source::File:
        return QStringLiteral("file");
    case Source::Env:
        return QStringLiteral("env");
    case Source::Flag:
        return QStringLiteral("flag");
    }
    return {};
}

QString envNameOf(const QString &key)
{
    for (const SettingInfo &s : settingsCatalogue())
        if (s.key == key)
            return s.env;
    return {};
}

// The value of one Config member as text, so that data tables can name the field they expect.
QString fieldValue(const Config &c, const QString &field)
{
    if (field == u"dataDir")
        return c.dataDir;
    if (field == u"listenHost")
        return c.listenHost;
    if (field == u"listenPort")
        return QString::number(c.listenPort);
    if (field == u"databaseUrl")
        return c.databaseUrl;
    if (field == u"pgBinDir")
        return c.pgBinDir;
    if (field == u"ioThreads")
        return QString::number(c.ioThreads);
    if (field == u"requestThreads")
        return QString::number(c.requestThreads);
    if (field == u"requestQueueLimit")
        return QString::number(c.requestQueueLimit);
    if (field == u"maxBodyBytes")
        return QString::number(c.maxBodyBytes);
    if (field == u"maxHeaderBytes")
        return QString::number(c.maxHeaderBytes);
    if (field == u"headerTimeoutMs")
        return QString::number(c.headerTimeoutMs);
    if (field == u"idleTimeoutMs")
        return QString::number(c.idleTimeoutMs);
    if (field == u"bodyTimeoutMs")
        return QString::number(c.bodyTimeoutMs);
    if (field == u"shutdownTimeoutMs")
        return QString::number(c.shutdownTimeoutMs);
    if (field == u"statementTimeoutMs")
        return QString::number(c.statementTimeoutMs);
    if (field == u"idleInTransactionTimeoutMs")
        return QString::number(c.idleInTransactionTimeoutMs);
    if (field == u"trustedProxies")
        return c.trustedProxies.join(u'|');
    if (field == u"corsOrigins")
        return c.corsOrigins.join(u'|');
    if (field == u"metricsAllow")
        return c.metricsAllow.join(u'|');
    if (field == u"metricsToken")
        return c.metricsToken;
    if (field == u"logLevel")
        return c.logLevel;
    if (field == u"secretsBackend")
        return c.secretsBackend;
    if (field == u"rl.enabled")
        return c.rateLimits.enabled ? QStringLiteral("true") : QStringLiteral("false");
    if (field == u"rl.publicPerIp")
        return QString::number(c.rateLimits.publicPerIp);
    if (field == u"rl.agentPending")
        return QString::number(c.rateLimits.agentPending);
    if (field == u"rl.agentClaimed")
        return QString::number(c.rateLimits.agentClaimed);
    if (field == u"rl.agentVerified")
        return QString::number(c.rateLimits.agentVerified);
    if (field == u"rl.contentCreation")
        return QString::number(c.rateLimits.contentCreation);
    if (field == u"rl.registrationPerIp")
        return QString::number(c.rateLimits.registrationPerIp);
    if (field == u"rl.admin")
        return QString::number(c.rateLimits.admin);
    if (field == u"rl.humanPerMinute")
        return QString::number(c.rateLimits.humanPerMinute);
    if (field == u"rl.evidencePerHour")
        return QString::number(c.rateLimits.evidencePerHour);
    qFatal("fieldValue: unknown field %s", qPrintable(field));
    return {};
}

} // namespace

class tst_Config : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void defaults();
    void defaultPaths();
    void catalogue();
    void precedence_data();
    void precedence();
    void validValues_data();
    void validValues();
    void invalidValues_data();
    void invalidValues();
    void unknownKeyInFile_data();
    void unknownKeyInFile();
    void unknownFlag();
    void missingConfigFile_data();
    void missingConfigFile();
    void defaultFileIsOptional();
    void fileListsAndGeneralSection();
    void parseListen_data();
    void parseListen();

private:
    QProcessEnvironment baseEnv() const;
    QString writeIni(const QString &name, const QString &text) const;
    ConfigSources sourcesWith(Source source, const QString &key, const QString &value);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_Config::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

QProcessEnvironment tst_Config::baseEnv() const
{
    // A clean environment: nothing from the developer's shell (BW_*, XDG_*) may leak into a test.
    QProcessEnvironment env;
    env.insert(QStringLiteral("HOME"), m_dir->filePath(QStringLiteral("home")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir->filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir->filePath(QStringLiteral("data")));
    return env;
}

QString tst_Config::writeIni(const QString &name, const QString &text) const
{
    const QString path = m_dir->filePath(name);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    f.write(text.toUtf8());
    return path;
}

// "server/listen" → "[server]\nlisten=value\n" in an explicit --config file, BW_LISTEN or a flag.
ConfigSources tst_Config::sourcesWith(Source source, const QString &key, const QString &value)
{
    ConfigSources sources;
    sources.environment = baseEnv();
    switch (source) {
    case Source::File: {
        const QString group = key.section(u'/', 0, 0);
        const QString name = key.section(u'/', 1);
        sources.explicitFile = writeIni(QStringLiteral("explicit.conf"), QStringLiteral("[%1]\n%2=%3\n").arg(group, name, value));
        break;
    }
    case Source::Env:
        sources.environment.insert(envNameOf(key), value);
        break;
    case Source::Flag:
        sources.flags.insert(key, value);
        break;
    }
    return sources;
}

void tst_Config::defaults()
{
    ConfigSources sources;
    sources.environment = baseEnv();
    const auto r = loadConfig(sources);
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    const Config &c = *r;
    QCOMPARE(c.configFile, QString());
    QCOMPARE(c.dataDir, m_dir->filePath(QStringLiteral("data")) + QStringLiteral("/betterworld"));
    QCOMPARE(c.listenHost, QStringLiteral("127.0.0.1"));
    QCOMPARE(c.listenPort, quint16(4000));
    QCOMPARE(c.listenAddress(), QStringLiteral("127.0.0.1:4000"));
    QVERIFY(c.databaseUrl.isEmpty());
    QVERIFY(c.embeddedDatabase());
    QCOMPARE(c.clusterDir(), c.dataDir + QStringLiteral("/postgres"));
    QCOMPARE(c.logDir(), c.dataDir + QStringLiteral("/logs"));
    QCOMPARE(c.ioThreads, 2);
    QCOMPARE(c.requestThreads, 8);
    QCOMPARE(c.requestQueueLimit, 256);
    QCOMPARE(c.maxBodyBytes, qint64(1024 * 1024));
    QCOMPARE(c.maxHeaderBytes, 16 * 1024);
    QCOMPARE(c.maxJsonDepth, 32);
    QVERIFY(c.trustedProxies.isEmpty());
    QVERIFY(c.corsOrigins.isEmpty());
    QCOMPARE(c.metricsAllow, QStringList({QStringLiteral("127.0.0.1"), QStringLiteral("::1")}));
    QCOMPARE(c.logLevel, QStringLiteral("info"));
    QCOMPARE(c.secretsBackend, QStringLiteral("auto"));
    // api.md §4
    QVERIFY(c.rateLimits.enabled);
    QCOMPARE(c.rateLimits.windowSeconds, 60);
    QCOMPARE(c.rateLimits.publicPerIp, 30);
    QCOMPARE(c.rateLimits.agentPending, 30);
    QCOMPARE(c.rateLimits.agentClaimed, 45);
    QCOMPARE(c.rateLimits.agentVerified, 60);
    QCOMPARE(c.rateLimits.contentCreation, 20);
    QCOMPARE(c.rateLimits.registrationPerIp, 10);
    QCOMPARE(c.rateLimits.admin, 300);
}

void tst_Config::defaultPaths()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("HOME"), QStringLiteral("/home/pilot"));
    QCOMPARE(defaultConfigFile(env), QStringLiteral("/home/pilot/.config/betterworld/betterworld.conf"));
    if (::geteuid() == 0)
        QCOMPARE(defaultDataDir(env), QStringLiteral("/var/lib/betterworld"));
    else
        QCOMPARE(defaultDataDir(env), QStringLiteral("/home/pilot/.local/share/betterworld"));

    env.insert(QStringLiteral("XDG_CONFIG_HOME"), QStringLiteral("/cfg"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), QStringLiteral("/xdgdata"));
    QCOMPARE(defaultConfigFile(env), QStringLiteral("/cfg/betterworld/betterworld.conf"));
    QCOMPARE(defaultDataDir(env), QStringLiteral("/xdgdata/betterworld"));
}

void tst_Config::catalogue()
{
    const auto &all = settingsCatalogue();
    QVERIFY(all.size() >= 28);
    QSet<QString> keys, envs;
    for (const SettingInfo &s : all) {
        QVERIFY2(s.key.count(u'/') == 1, qPrintable(s.key));
        QVERIFY2(s.env.startsWith(QStringLiteral("BW_")), qPrintable(s.env));
        QVERIFY2(!s.help.isEmpty(), qPrintable(s.key));
        QVERIFY2(!keys.contains(s.key), qPrintable(s.key));
        QVERIFY2(!envs.contains(s.env), qPrintable(s.env));
        keys.insert(s.key);
        envs.insert(s.env);
    }
    for (const char *k : {"general/data_dir", "server/listen", "server/trusted_proxies", "database/url", "log/level",
                          "secrets/backend", "rate_limit/enabled", "rate_limit/public"})
        QVERIFY2(keys.contains(QString::fromLatin1(k)), k);
}

void tst_Config::precedence_data()
{
    QTest::addColumn<QString>("filePort");
    QTest::addColumn<QString>("envPort");
    QTest::addColumn<QString>("flagPort");
    QTest::addColumn<int>("expected");

    // clang-format off
    QTest::newRow("default") << "" << "" << "" << 4000;
    QTest::newRow("file") << "1111" << "" << "" << 1111;
    QTest::newRow("env") << "" << "2222" << "" << 2222;
    QTest::newRow("flag") << "" << "" << "3333" << 3333;
    QTest::newRow("env beats file") << "1111" << "2222" << "" << 2222;
    QTest::newRow("flag beats file") << "1111" << "" << "3333" << 3333;
    QTest::newRow("flag beats env") << "" << "2222" << "3333" << 3333;
    QTest::newRow("flag beats both") << "1111" << "2222" << "3333" << 3333;
    // clang-format on
}

void tst_Config::precedence()
{
    QFETCH(QString, filePort);
    QFETCH(QString, envPort);
    QFETCH(QString, flagPort);
    QFETCH(int, expected);

    ConfigSources sources;
    sources.environment = baseEnv();
    // The default file location (XDG_CONFIG_HOME), not an explicit one.
    QString file;
    if (!filePort.isEmpty()) {
        file = writeIni(QStringLiteral("config/betterworld/betterworld.conf"),
                        QStringLiteral("[server]\nlisten=127.0.0.1:%1\nio_threads=3\nrequest_threads=5\n").arg(filePort));
        QCOMPARE(file, defaultConfigFile(sources.environment));
    }
    if (!envPort.isEmpty()) {
        sources.environment.insert(QStringLiteral("BW_LISTEN"), QStringLiteral("127.0.0.2:%1").arg(envPort));
        sources.environment.insert(QStringLiteral("BW_IO_THREADS"), QStringLiteral("7"));
    }
    if (!flagPort.isEmpty())
        sources.flags.insert(QStringLiteral("server/listen"), QStringLiteral("127.0.0.3:%1").arg(flagPort));

    const auto r = loadConfig(sources);
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    QCOMPARE(int(r->listenPort), expected);
    // The host travels with the port: the whole value comes from the winning source.
    const QString host = !flagPort.isEmpty() ? "127.0.0.3" : !envPort.isEmpty() ? "127.0.0.2" : "127.0.0.1";
    QCOMPARE(r->listenHost, host);
    QCOMPARE(r->configFile, file);
    // Settings not overridden keep the lower source's value.
    QCOMPARE(r->requestThreads, filePort.isEmpty() ? 8 : 5);
    QCOMPARE(r->ioThreads, !envPort.isEmpty() ? 7 : !filePort.isEmpty() ? 3 : 2);
}

void tst_Config::validValues_data()
{
    QTest::addColumn<int>("source");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expected");

    struct Row {
        const char *name, *key, *value, *field, *expected;
    };
    const Row rows[] = {
        {"listen v4", "server/listen", "0.0.0.0:8080", "listenPort", "8080"},
        {"listen v6", "server/listen", "[::1]:8081", "listenHost", "::1"},
        {"listen any port", "server/listen", "127.0.0.1:0", "listenPort", "0"},
        {"listen localhost", "server/listen", "localhost:4001", "listenHost", "127.0.0.1"},
        {"data dir cleaned", "general/data_dir", "/srv/bw/../betterworld/", "dataDir", "/srv/betterworld"},
        {"io threads max", "server/io_threads", "64", "ioThreads", "64"},
        {"io threads trimmed", "server/io_threads", " 3 ", "ioThreads", "3"},
        {"request threads", "server/request_threads", "256", "requestThreads", "256"},
        {"request queue", "server/request_queue", "1", "requestQueueLimit", "1"},
        {"body min", "server/max_body_bytes", "1024", "maxBodyBytes", "1024"},
        {"body max", "server/max_body_bytes", "1073741824", "maxBodyBytes", "1073741824"},
        {"header bytes", "server/max_header_bytes", "1048576", "maxHeaderBytes", "1048576"},
        {"header timeout", "server/header_timeout_ms", "100", "headerTimeoutMs", "100"},
        {"idle timeout", "server/idle_timeout_ms", "600000", "idleTimeoutMs", "600000"},
        {"body timeout", "server/body_timeout_ms", "3600000", "bodyTimeoutMs", "3600000"},
        {"shutdown timeout", "server/shutdown_timeout_ms", "2500", "shutdownTimeoutMs", "2500"},
        {"trusted proxies", "server/trusted_proxies", "10.0.0.1,fd00::1", "trustedProxies", "10.0.0.1|fd00::1"},
        {"cors origins", "server/cors_origins", "https://a.example,https://b.example", "corsOrigins",
         "https://a.example|https://b.example"},
        {"metrics allow", "server/metrics_allow", "192.168.1.7", "metricsAllow", "192.168.1.7"},
        {"metrics token", "server/metrics_token", "s3cret", "metricsToken", "s3cret"},
        {"database url", "database/url", "postgresql://bw@db.example/bw", "databaseUrl", "postgresql://bw@db.example/bw"},
        {"pg bindir", "database/pg_bindir", "/usr/lib/postgresql/15/bin", "pgBinDir", "/usr/lib/postgresql/15/bin"},
        {"statement timeout", "database/statement_timeout_ms", "100", "statementTimeoutMs", "100"},
        {"idle in tx timeout", "database/idle_in_transaction_timeout_ms", "3600000", "idleInTransactionTimeoutMs", "3600000"},
        {"log level case", "log/level", "DEBUG", "logLevel", "debug"},
        {"log level error", "log/level", "error", "logLevel", "error"},
        {"secrets file", "secrets/backend", "File", "secretsBackend", "file"},
        {"secrets keychain", "secrets/backend", "keychain", "secretsBackend", "keychain"},
        {"rate off", "rate_limit/enabled", "off", "rl.enabled", "false"},
        {"rate false", "rate_limit/enabled", "false", "rl.enabled", "false"},
        {"rate 0", "rate_limit/enabled", "0", "rl.enabled", "false"},
        {"rate yes", "rate_limit/enabled", "YES", "rl.enabled", "true"},
        {"rate public", "rate_limit/public", "1", "rl.publicPerIp", "1"},
        {"rate pending", "rate_limit/agent_pending", "31", "rl.agentPending", "31"},
        {"rate claimed", "rate_limit/agent_claimed", "46", "rl.agentClaimed", "46"},
        {"rate verified", "rate_limit/agent_verified", "10000000", "rl.agentVerified", "10000000"},
        {"rate content", "rate_limit/content_creation", "21", "rl.contentCreation", "21"},
        {"rate registration", "rate_limit/registration", "11", "rl.registrationPerIp", "11"},
        {"rate admin", "rate_limit/admin", "301", "rl.admin", "301"},
        {"rate human", "rate_limit/human", "121", "rl.humanPerMinute", "121"},
        {"rate evidence", "rate_limit/evidence", "11", "rl.evidencePerHour", "11"},
    };
    for (const Row &row : rows)
        for (Source s : {Source::File, Source::Env, Source::Flag})
            QTest::addRow("%s/%s", row.name, qPrintable(sourceName(s)))
                << int(s) << QString::fromLatin1(row.key) << QString::fromLatin1(row.value) << QString::fromLatin1(row.field)
                << QString::fromLatin1(row.expected);
}

void tst_Config::validValues()
{
    QFETCH(int, source);
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, field);
    QFETCH(QString, expected);

    const auto r = loadConfig(sourcesWith(Source(source), key, value));
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    QCOMPARE(fieldValue(*r, field), expected);
    if (key == u"database/url")
        QVERIFY(!r->embeddedDatabase());
}

void tst_Config::invalidValues_data()
{
    QTest::addColumn<int>("source");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("why");

    struct Row {
        const char *name, *key, *value, *why;
    };
    const Row rows[] = {
        {"listen garbage", "server/listen", "nonsense", "host:port"},
        {"listen no port", "server/listen", "127.0.0.1", "host:port"},
        {"listen empty port", "server/listen", "127.0.0.1:", "host:port"},
        {"listen port too big", "server/listen", "127.0.0.1:70000", "host:port"},
        {"listen hostname", "server/listen", "example.com:80", "host:port"},
        {"listen bad ip", "server/listen", "300.1.1.1:80", "host:port"},
        {"data dir empty", "general/data_dir", "", "must not be empty"},
        {"io threads 0", "server/io_threads", "0", "from 1 to 64"},
        {"io threads 65", "server/io_threads", "65", "from 1 to 64"},
        {"io threads text", "server/io_threads", "two", "from 1 to 64"},
        {"io threads fraction", "server/io_threads", "2.5", "from 1 to 64"},
        {"request threads 0", "server/request_threads", "0", "from 1 to 256"},
        {"request threads 257", "server/request_threads", "257", "from 1 to 256"},
        {"request queue 0", "server/request_queue", "0", "from 1 to 100000"},
        {"request queue big", "server/request_queue", "100001", "from 1 to 100000"},
        {"body too small", "server/max_body_bytes", "1023", "1024 to 1073741824"},
        {"body too big", "server/max_body_bytes", "1073741825", "1024 to 1073741824"},
        {"body text", "server/max_body_bytes", "1MB", "1024 to 1073741824"},
        {"header bytes small", "server/max_header_bytes", "1023", "from 1024"},
        {"header timeout small", "server/header_timeout_ms", "99", "from 100"},
        {"idle timeout big", "server/idle_timeout_ms", "600001", "to 600000"},
        {"body timeout big", "server/body_timeout_ms", "3600001", "to 3600000"},
        {"shutdown timeout small", "server/shutdown_timeout_ms", "-1", "from 100"},
        {"statement timeout small", "database/statement_timeout_ms", "99", "from 100"},
        {"idle tx timeout big", "database/idle_in_transaction_timeout_ms", "3600001", "to 3600000"},
        {"proxy not ip", "server/trusted_proxies", "10.0.0.1,proxy.local", "'proxy.local' is not an IP address"},
        {"proxy cidr", "server/trusted_proxies", "10.0.0.0/8", "'10.0.0.0/8' is not an IP address"},
        {"proxy bad octet", "server/trusted_proxies", "10.0.0.256", "'10.0.0.256' is not an IP address"},
        {"proxy bad v6", "server/trusted_proxies", "fd00:::1", "'fd00:::1' is not an IP address"},
        {"metrics allow name", "server/metrics_allow", "localhost", "'localhost' is not an IP address"},
        {"log level", "log/level", "verbose", "debug, info, warning, error"},
        {"secrets backend", "secrets/backend", "vault", "auto, keychain or file"},
        {"rate enabled", "rate_limit/enabled", "maybe", "true or false"},
        {"rate public 0", "rate_limit/public", "0", "from 1 to 10000000"},
        {"rate verified big", "rate_limit/agent_verified", "10000001", "from 1 to 10000000"},
        {"rate admin negative", "rate_limit/admin", "-5", "from 1 to 10000000"},
        {"rate content text", "rate_limit/content_creation", "lots", "from 1 to 10000000"},
    };
    for (const Row &row : rows)
        for (Source s : {Source::File, Source::Env, Source::Flag})
            QTest::addRow("%s/%s", row.name, qPrintable(sourceName(s)))
                << int(s) << QString::fromLatin1(row.key) << QString::fromLatin1(row.value) << QString::fromLatin1(row.why);
}

void tst_Config::invalidValues()
{
    QFETCH(int, source);
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, why);

    const ConfigSources sources = sourcesWith(Source(source), key, value);
    const auto r = loadConfig(sources);
    QVERIFY2(!r.ok(), qPrintable(QStringLiteral("accepted %1 = '%2'").arg(key, value)));
    QCOMPARE(r.error().kind, ErrorKind::BadRequest);
    const QString msg = r.error().message;
    // The message names the setting, the value and where it came from, and why it is wrong.
    QVERIFY2(msg.contains(key), qPrintable(msg));
    QVERIFY2(msg.contains(QStringLiteral("'%1'").arg(value)), qPrintable(msg));
    QVERIFY2(msg.contains(why), qPrintable(msg));
    const QString origin = Source(source) == Source::File  ? sources.explicitFile
                           : Source(source) == Source::Env ? envNameOf(key)
                                                           : QStringLiteral("command line");
    QVERIFY2(msg.contains(QStringLiteral("(from %1)").arg(origin)), qPrintable(msg));
}

void tst_Config::unknownKeyInFile_data()
{
    QTest::addColumn<QString>("ini");
    QTest::addColumn<QString>("key");

    // clang-format off
    QTest::newRow("unknown in group") << "[server]\nlisten=127.0.0.1:4000\nlistne=1\n" << "server/listne";
    QTest::newRow("unknown group") << "[serverr]\nlisten=127.0.0.1:4000\n" << "serverr/listen";
    QTest::newRow("top level") << "colour=blue\n" << "colour";
    QTest::newRow("flag spelling in file") << "[server]\nio-threads=2\n" << "server/io-threads";
    // clang-format on
}

void tst_Config::unknownKeyInFile()
{
    QFETCH(QString, ini);
    QFETCH(QString, key);

    ConfigSources sources;
    sources.environment = baseEnv();
    sources.explicitFile = writeIni(QStringLiteral("bad.conf"), ini);
    const auto r = loadConfig(sources);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::BadRequest);
    QVERIFY2(r.error().message.contains(QStringLiteral("'%1'").arg(key)), qPrintable(r.error().message));
    QVERIFY2(r.error().message.contains(sources.explicitFile), qPrintable(r.error().message));

    // The same file at the default location is checked just as strictly.
    ConfigSources byDefault;
    byDefault.environment = baseEnv();
    const QString path = writeIni(QStringLiteral("config/betterworld/betterworld.conf"), ini);
    const auto r2 = loadConfig(byDefault);
    QVERIFY(!r2.ok());
    QVERIFY2(r2.error().message.contains(path), qPrintable(r2.error().message));
}

void tst_Config::unknownFlag()
{
    ConfigSources sources;
    sources.environment = baseEnv();
    sources.flags.insert(QStringLiteral("server/bogus"), QStringLiteral("1"));
    const auto r = loadConfig(sources);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::BadRequest);
    QVERIFY2(r.error().message.contains(QStringLiteral("server/bogus")), qPrintable(r.error().message));

    // Unknown BW_* environment variables are not an error (the environment is shared with other tools).
    ConfigSources env;
    env.environment = baseEnv();
    env.environment.insert(QStringLiteral("BW_NOT_A_SETTING"), QStringLiteral("x"));
    QVERIFY(loadConfig(env).ok());
}

void tst_Config::missingConfigFile_data()
{
    QTest::addColumn<bool>("viaEnvironment");
    QTest::newRow("--config") << false;
    QTest::newRow("BW_CONFIG") << true;
}

void tst_Config::missingConfigFile()
{
    QFETCH(bool, viaEnvironment);
    ConfigSources sources;
    sources.environment = baseEnv();
    const QString missing = m_dir->filePath(QStringLiteral("nope/missing.conf"));
    if (viaEnvironment)
        sources.environment.insert(QStringLiteral("BW_CONFIG"), missing);
    else
        sources.explicitFile = missing;
    const auto r = loadConfig(sources);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::BadRequest);
    QVERIFY2(r.error().message.contains(missing), qPrintable(r.error().message));
    QVERIFY2(r.error().message.contains(QStringLiteral("does not exist")), qPrintable(r.error().message));

    // An existing file named either way is read, and wins over the default location.
    writeIni(QStringLiteral("config/betterworld/betterworld.conf"), QStringLiteral("[server]\nio_threads=9\n"));
    const QString present = writeIni(QStringLiteral("nope/missing.conf"), QStringLiteral("[server]\nio_threads=4\n"));
    const auto ok = loadConfig(sources);
    QVERIFY2(ok.ok(), ok.ok() ? "" : qPrintable(ok.error().message));
    QCOMPARE(ok->configFile, present);
    QCOMPARE(ok->ioThreads, 4);
}

void tst_Config::defaultFileIsOptional()
{
    ConfigSources sources;
    sources.environment = baseEnv();
    QVERIFY(!QFile::exists(defaultConfigFile(sources.environment)));
    const auto r = loadConfig(sources);
    QVERIFY(r.ok());
    QCOMPARE(r->configFile, QString());
}

void tst_Config::fileListsAndGeneralSection()
{
    ConfigSources sources;
    sources.environment = baseEnv();
    const QString dataDir = m_dir->filePath(QStringLiteral("mydata"));
    sources.explicitFile = writeIni(QStringLiteral("full.conf"), QStringLiteral("data_dir=%1\n"
                                                                                "[server]\n"
                                                                                "trusted_proxies=10.0.0.1, 10.0.0.2 ,::1\n"
                                                                                "cors_origins=https://one.example\n"
                                                                                "[rate_limit]\n"
                                                                                "enabled=false\n")
                                                                     .arg(dataDir));
    const auto r = loadConfig(sources);
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    QCOMPARE(r->dataDir, dataDir);
    QCOMPARE(r->trustedProxies, QStringList({"10.0.0.1", "10.0.0.2", "::1"}));
    QCOMPARE(r->corsOrigins, QStringList({"https://one.example"}));
    QVERIFY(!r->rateLimits.enabled);
    QCOMPARE(r->configFile, sources.explicitFile);
}

void tst_Config::parseListen_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");

    QTest::newRow("v4") << "127.0.0.1:4000" << true << "127.0.0.1" << 4000;
    QTest::newRow("v4 any") << "0.0.0.0:80" << true << "0.0.0.0" << 80;
    QTest::newRow("v4 port 0") << "10.1.2.3:0" << true << "10.1.2.3" << 0;
    QTest::newRow("v4 max port") << "127.0.0.1:65535" << true << "127.0.0.1" << 65535;
    QTest::newRow("v6 loopback") << "[::1]:4000" << true << "::1" << 4000;
    QTest::newRow("v6 any") << "[::]:8080" << true << "::" << 8080;
    QTest::newRow("v6 full") << "[2001:db8::42]:443" << true << "2001:db8::42" << 443;
    QTest::newRow(":port") << ":9000" << true << "0.0.0.0" << 9000;
    QTest::newRow("localhost") << "localhost:5000" << true << "127.0.0.1" << 5000;

    QTest::newRow("port too big") << "127.0.0.1:65536" << false << "" << 0;
    QTest::newRow("negative port") << "127.0.0.1:-1" << false << "" << 0;
    QTest::newRow("no port") << "127.0.0.1" << false << "" << 0;
    QTest::newRow("empty port") << "127.0.0.1:" << false << "" << 0;
    QTest::newRow("port text") << "127.0.0.1:http" << false << "" << 0;
    QTest::newRow("hostname") << "example.com:80" << false << "" << 0;
    QTest::newRow("bad v4") << "256.0.0.1:80" << false << "" << 0;
    QTest::newRow("v6 without brackets port") << "::1" << false << "" << 0;
    QTest::newRow("v6 no port") << "[::1]" << false << "" << 0;
    QTest::newRow("empty") << "" << false << "" << 0;
    QTest::newRow("only colon") << ":" << false << "" << 0;
}

void tst_Config::parseListen()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(QString, host);
    QFETCH(int, port);

    QString h = QStringLiteral("untouched");
    quint16 p = 1234;
    QCOMPARE(bw::parseListen(text, &h, &p), ok);
    if (ok) {
        QCOMPARE(h, host);
        QCOMPARE(int(p), port);
    } else {
        // A rejected address leaves the previous value alone.
        QCOMPARE(h, QStringLiteral("untouched"));
        QCOMPARE(p, quint16(1234));
    }
}

QTEST_GUILESS_MAIN(tst_Config)
#include "tst_config.moc"
