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
    int humanPerMinute = 120; // requests per human (access token) per window
    int evidencePerHour = 10; // evidence submissions per human per hour (RateClass::Evidence)
    // Where counts live: memory (this process only) | postgres (shared by every node on the
    // database) | auto = postgres with an external database (nodes may share it), memory with the
    // embedded one (only this process can reach it).
    QString store = QStringLiteral("auto");
};

// The guardrail pipeline's node configuration (guardrails.md). The same keys exist as rows in the
// settings table; a row edited in the app wins over these (see GuardrailSettingsStore).
struct GuardrailConfig {
    QString provider = QStringLiteral("none"); // none | anthropic | openai-compatible
    QString model;                             // empty: the provider's default
    QString baseUrl;                           // empty: the provider's default
    int timeoutMs = 20000;                     // per classifier call (connect + answer)
    int budgetCents = 1333;                    // daily AI spend cap
    double priceInputCentsPerMTok = -1;        // -1: the provider's default price
    double priceOutputCentsPerMTok = -1;
    int cacheTtlSeconds = 3600;
    double approveThreshold = 0.70;
    double flagThreshold = 0.40;
    double compositeRejectBelow = 40;
    double compositeFlagBelow = 60;
    int verifiedMinAgeDays = 8;
    int verifiedMinApproved = 3;
};

// Admin users and the review queue (server/moderation).
struct AdminConfig {
    int sessionHours = 12;   // admin API session lifetime
    int lockoutFailures = 5; // consecutive failed logins that lock an account
    int lockoutMinutes = 15;
    int claimLeaseMinutes = 15; // a moderator's exclusive claim on a flagged item
};

// Outgoing mail (agent e-mail verification). Empty host: no SMTP — codes go to the sink
// (desktop Agents panel + log). The password is the secret "smtp-password", not a setting.
struct SmtpConfig {
    QString host;
    int port = 587;
    QString username;
    QString from = QStringLiteral("BetterWorld <noreply@localhost>");
    bool startTls = true;  // required before AUTH/MAIL when on
    QString caFile;        // extra trusted CA certificates (PEM), e.g. a private CA
    int timeoutMs = 15000; // per SMTP step
};

// Alert delivery and probes (server/ops AlertEngine/AlertNotifier; operations.md "alerts").
struct AlertsConfig {
    QString webhookUrl;     // Slack-compatible incoming webhook; empty: none
    QStringList emailTo;    // recipients through the SMTP settings; empty: none
    QStringList healthUrls; // API nodes' /health probed by the APIDown rule; empty: rule idle
};

// The job queue on this node (server/jobs).
struct JobsConfig {
    bool enabled = true;           // false: this node runs the API only (no workers, no cron)
    int guardrailConcurrency = 10; // guardrail-evaluation workers per node (Little's law, operations.md)
    int leaseSeconds = 60;         // a dead node's jobs are rescued this long after its last renewal
};

// Backups, WAL archiving, off-site copies, deployments (server/ops).
struct OpsConfig {
    QString backupDir;           // empty: <data dir>/backups
    int dailyRetentionDays = 30; // retention per kind; 0 = keep for ever
    int monthlyRetentionDays = 365;
    int preMigrationRetentionDays = 90;
    int preRestoreRetentionDays = 90;
    int manualRetentionDays = 0;
    int minFreeMb = 256;                           // refuse to start a backup with less free space (plus the estimate)
    int compressLevel = 6;                         // pg_dump -Z (0-9)
    int restoreJobs = 2;                           // pg_restore -j
    int rtoMinutes = 15;                           // drills report against this
    QString walArchiving = QStringLiteral("auto"); // auto (embedded + pgbackrest installed) | on | off
    int archiveTimeoutSeconds = 50;                // archive_timeout: bounds the RPO (50 s + push time ≤ 60 s)
    int walRetentionDays = 7;                      // pgBackRest time-based retention of full backups + WAL
    QString pgbackrestBin;                         // empty: pgbackrest on PATH
    QString s3Endpoint;                            // e.g. https://<account>.r2.cloudflarestorage.com; empty: no off-site copy
    QString s3Bucket;
    QString s3Region = QStringLiteral("auto");
    QString s3Prefix = QStringLiteral("betterworld/");
    QString s3AccessKeyId; // the secret key is the secret "s3-secret-access-key"
    int s3PartSizeMb = 16; // multipart above this size
};

struct Config {
    QString configFile; // the file that was read ("" when none)
    QString dataDir;
    QString listenHost = QStringLiteral("127.0.0.1");
    quint16 listenPort = 4000;
    QString databaseUrl; // empty: embedded cluster in dataDir/postgres
    QString pgBinDir;    // empty: pg_config --bindir
    int ioThreads = 2;
    int requestThreads = 8;      // request pool (handlers that touch the database)
    int requestQueueLimit = 256; // queued handlers beyond this → fast 503
    qint64 maxBodyBytes = 1024 * 1024;
    int maxHeaderBytes = 16 * 1024;
    int maxJsonDepth = 32;
    int headerTimeoutMs = 10000;
    int idleTimeoutMs = 15000;
    int bodyTimeoutMs = 30000;
    int shutdownTimeoutMs = 30000;
    int statementTimeoutMs = 5000;
    int idleInTransactionTimeoutMs = 10000;
    QStringList trustedProxies; // IPs whose X-Forwarded-For is honoured
    QStringList corsOrigins;
    QStringList metricsAllow = {QStringLiteral("127.0.0.1"), QStringLiteral("::1")};
    QString metricsToken; // when set, /metrics also accepts this bearer token
    QString logLevel = QStringLiteral("info");
    QString uiLanguage;                              // desktop console language ("" = the system's; e.g. es, en)
    QString secretsBackend = QStringLiteral("auto"); // auto | keychain | file
    OpsConfig ops;
    QString publicUrl; // base URL printed in SKILL.md/HEARTBEAT.md; empty: from the Host header
    SmtpConfig smtp;
    AlertsConfig alerts;
    RateLimitConfig rateLimits;
    AdminConfig admin;
    GuardrailConfig guardrails;
    JobsConfig jobs;

    QString listenAddress() const { return QStringLiteral("%1:%2").arg(listenHost).arg(listenPort); }
    bool embeddedDatabase() const { return databaseUrl.isEmpty(); }
    QString clusterDir() const { return dataDir + QStringLiteral("/postgres"); }
    QString logDir() const { return dataDir + QStringLiteral("/logs"); }
    QString backupDir() const { return ops.backupDir.isEmpty() ? dataDir + QStringLiteral("/backups") : ops.backupDir; }
};

struct ConfigSources {
    QString explicitFile; // --config; else BW_CONFIG; else the XDG default
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    QMap<QString, QString> flags; // setting key → value, from the command line
};

// Every setting once: its key in the file and in flags, its environment variable and a short help.
struct SettingInfo {
    QString key; // e.g. "server/listen"
    QString env; // e.g. "BW_LISTEN"
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
