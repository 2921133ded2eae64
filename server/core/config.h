#pragma once
// Runtime settings: defaults < config file (XDG config dir) < environment (BW_*) < command-line flags.
// Loaded once at start in the main thread, then passed around by value (read-only).

#include "server/core/result.h"

#include <QMap>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace bw {

struct RateLimitConfig {
    bool enabled = true;
    int windowSeconds = 60;
    int publicPerIp = 30;
    int agentPending = 30;
    int agentClaimed = 45;
    int agentVerified = 60;
    int contentCreation = 20;
    int registrationPerIp = 10;
    int admin = 300;
};

// Admin users and the review queue (server/moderation).
struct AdminConfig {
    int sessionHours = 12;        // admin API session lifetime
    int lockoutFailures = 5;      // consecutive failed logins that lock an account
    int lockoutMinutes = 15;
    int claimLeaseMinutes = 15;   // a moderator's exclusive claim on a flagged item
};

struct Config {
    QString configFile;                  // the file that was read ("" when none)
    QString dataDir;
    QString listenHost = QStringLiteral("127.0.0.1");
    quint16 listenPort = 4000;
    QString databaseUrl;                 // empty: embedded cluster in dataDir/postgres
    QString pgBinDir;                    // empty: pg_config --bindir
    int ioThreads = 2;
    int requestThreads = 8;              // request pool (handlers that touch the database)
    int requestQueueLimit = 256;         // queued handlers beyond this → fast 503
    qint64 maxBodyBytes = 1024 * 1024;
    int maxHeaderBytes = 16 * 1024;
    int maxJsonDepth = 32;
    int headerTimeoutMs = 10000;
    int idleTimeoutMs = 15000;
    int bodyTimeoutMs = 30000;
    int shutdownTimeoutMs = 30000;
    int statementTimeoutMs = 5000;
    int idleInTransactionTimeoutMs = 10000;
    QStringList trustedProxies;          // IPs whose X-Forwarded-For is honoured
    QStringList corsOrigins;
    QStringList metricsAllow = {QStringLiteral("127.0.0.1"), QStringLiteral("::1")};
    QString metricsToken;                // when set, /metrics also accepts this bearer token
    QString logLevel = QStringLiteral("info");
    QString secretsBackend = QStringLiteral("auto"); // auto | keychain | file
    RateLimitConfig rateLimits;
    AdminConfig admin;

    QString listenAddress() const { return QStringLiteral("%1:%2").arg(listenHost).arg(listenPort); }
    bool embeddedDatabase() const { return databaseUrl.isEmpty(); }
    QString clusterDir() const { return dataDir + QStringLiteral("/postgres"); }
    QString logDir() const { return dataDir + QStringLiteral("/logs"); }
};

struct ConfigSources {
    QString explicitFile;                     // --config; else BW_CONFIG; else the XDG default
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    QMap<QString, QString> flags;             // setting key → value, from the command line
};

// Every setting once: its key in the file and in flags, its environment variable and a short help.
struct SettingInfo {
    QString key;   // e.g. "server/listen"
    QString env;   // e.g. "BW_LISTEN"
    QString help;
};
const QList<SettingInfo> &settingsCatalogue();

QString defaultConfigFile(const QProcessEnvironment &env);
QString defaultDataDir(const QProcessEnvironment &env);

// Invalid values → ApiError (BadRequest) whose message names the setting and where it came from.
Result<Config> loadConfig(const ConfigSources &sources);

// Parses "host:port", "[v6]:port" or ":port".
bool parseListen(const QString &text, QString *host, quint16 *port);

} // namespace bw
