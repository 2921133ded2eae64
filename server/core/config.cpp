#include "config.h"

#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QSettings>
#include <QUrl>

#include <arpa/inet.h>
#include <functional>
#include <unistd.h>

namespace bw {

namespace {

bool isIpAddress(const QString &text)
{
    const QByteArray a = text.toLatin1();
    unsigned char buf[16];
    return inet_pton(AF_INET, a.constData(), buf) == 1 || inet_pton(AF_INET6, a.constData(), buf) == 1;
}

using Apply = std::function<QString(Config &, const QString &)>; // returns an error text, "" when fine

Apply intSetting(int Config::*member, int min, int max)
{
    return [=](Config &c, const QString &v) -> QString {
        bool ok = false;
        const int n = v.trimmed().toInt(&ok);
        if (!ok || n < min || n > max)
            return QStringLiteral("expected a whole number from %1 to %2").arg(min).arg(max);
        c.*member = n;
        return {};
    };
}

Apply adminSetting(int AdminConfig::*member, int min, int max)
{
    return [=](Config &c, const QString &v) -> QString {
        bool ok = false;
        const int n = v.trimmed().toInt(&ok);
        if (!ok || n < min || n > max)
            return QStringLiteral("expected a whole number from %1 to %2").arg(min).arg(max);
        c.admin.*member = n;
        return {};
    };
}

Apply rateSetting(int RateLimitConfig::*member)
{
    return [=](Config &c, const QString &v) -> QString {
        bool ok = false;
        const int n = v.trimmed().toInt(&ok);
        if (!ok || n < 1 || n > 10'000'000)
            return QStringLiteral("expected a whole number from 1 to 10000000");
        c.rateLimits.*member = n;
        return {};
    };
}

Apply boolSetting(std::function<void(Config &, bool)> set)
{
    return [=](Config &c, const QString &v) -> QString {
        const QString t = v.trimmed().toLower();
        if (t == u"1" || t == u"true" || t == u"yes" || t == u"on") {
            set(c, true);
            return {};
        }
        if (t == u"0" || t == u"false" || t == u"no" || t == u"off") {
            set(c, false);
            return {};
        }
        return QStringLiteral("expected true or false");
    };
}

Apply listSetting(QStringList Config::*member, bool ipAddresses)
{
    return [=](Config &c, const QString &v) -> QString {
        QStringList items;
        for (const QString &part : v.split(u',', Qt::SkipEmptyParts)) {
            const QString item = part.trimmed();
            if (ipAddresses && !isIpAddress(item))
                return QStringLiteral("'%1' is not an IP address").arg(item);
            if (!item.isEmpty())
                items << item;
        }
        c.*member = items;
        return {};
    };
}

Apply stringSetting(QString Config::*member)
{
    return [=](Config &c, const QString &v) -> QString {
        c.*member = v.trimmed();
        return {};
    };
}

Apply guardrailInt(int GuardrailConfig::*member, int min, int max)
{
    return [=](Config &c, const QString &v) -> QString {
        bool ok = false;
        const int n = v.trimmed().toInt(&ok);
        if (!ok || n < min || n > max)
            return QStringLiteral("expected a whole number from %1 to %2").arg(min).arg(max);
        c.guardrails.*member = n;
        return {};
    };
}

Apply guardrailDouble(double GuardrailConfig::*member, double min, double max)
{
    return [=](Config &c, const QString &v) -> QString {
        bool ok = false;
        const double d = v.trimmed().toDouble(&ok);
        if (!ok || !(d >= min && d <= max))
            return QStringLiteral("expected a number from %1 to %2").arg(min).arg(max);
        c.guardrails.*member = d;
        return {};
    };
}

Apply opsInt(int OpsConfig::*member, int min, int max)
{
    return [=](Config &c, const QString &v) -> QString {
        bool ok = false;
        const int n = v.trimmed().toInt(&ok);
        if (!ok || n < min || n > max)
            return QStringLiteral("expected a whole number from %1 to %2").arg(min).arg(max);
        c.ops.*member = n;
        return {};
    };
}

Apply opsString(QString OpsConfig::*member)
{
    return [=](Config &c, const QString &v) -> QString {
        c.ops.*member = v.trimmed();
        return {};
    };
}

struct Setting {
    SettingInfo info;
    Apply apply;
};

const QList<Setting> &settings()
{
    static const QList<Setting> all = {
        {{"general/data_dir", "BW_DATA_DIR", "data directory (embedded database, logs, backups)"},
         [](Config &c, const QString &v) -> QString {
             if (v.trimmed().isEmpty())
                 return QStringLiteral("must not be empty");
             c.dataDir = QDir::cleanPath(QDir(v.trimmed()).absolutePath());
             return {};
         }},
        {{"server/listen", "BW_LISTEN", "HTTP listen address host:port (port 0 = any free port)"},
         [](Config &c, const QString &v) -> QString {
             return parseListen(v.trimmed(), &c.listenHost, &c.listenPort)
                        ? QString()
                        : QStringLiteral("expected host:port, e.g. 127.0.0.1:4000");
         }},
        {{"server/io_threads", "BW_IO_THREADS", "HTTP I/O threads"}, intSetting(&Config::ioThreads, 1, 64)},
        {{"server/request_threads", "BW_REQUEST_THREADS", "request pool threads (each holds one DB connection)"},
         intSetting(&Config::requestThreads, 1, 256)},
        {{"server/request_queue", "BW_REQUEST_QUEUE", "queued requests before answering 503"},
         intSetting(&Config::requestQueueLimit, 1, 100000)},
        {{"server/max_body_bytes", "BW_MAX_BODY_BYTES", "default request body limit"},
         [](Config &c, const QString &v) -> QString {
             bool ok = false;
             const qint64 n = v.trimmed().toLongLong(&ok);
             if (!ok || n < 1024 || n > 1024LL * 1024 * 1024)
                 return QStringLiteral("expected bytes from 1024 to 1073741824");
             c.maxBodyBytes = n;
             return {};
         }},
        {{"server/max_header_bytes", "BW_MAX_HEADER_BYTES", "request header section limit"},
         intSetting(&Config::maxHeaderBytes, 1024, 1024 * 1024)},
        {{"server/header_timeout_ms", "BW_HEADER_TIMEOUT_MS", "time allowed to send the request headers"},
         intSetting(&Config::headerTimeoutMs, 100, 600000)},
        {{"server/idle_timeout_ms", "BW_IDLE_TIMEOUT_MS", "keep-alive idle timeout"},
         intSetting(&Config::idleTimeoutMs, 100, 600000)},
        {{"server/body_timeout_ms", "BW_BODY_TIMEOUT_MS", "time allowed to send the request body"},
         intSetting(&Config::bodyTimeoutMs, 100, 3600000)},
        {{"server/shutdown_timeout_ms", "BW_SHUTDOWN_TIMEOUT_MS", "graceful drain limit"},
         intSetting(&Config::shutdownTimeoutMs, 100, 600000)},
        {{"server/trusted_proxies", "BW_TRUSTED_PROXIES", "comma list of proxy IPs whose X-Forwarded-For is honoured"},
         listSetting(&Config::trustedProxies, true)},
        {{"server/cors_origins", "BW_CORS_ORIGINS", "comma list of allowed CORS origins"},
         listSetting(&Config::corsOrigins, false)},
        {{"server/metrics_allow", "BW_METRICS_ALLOW", "comma list of IPs allowed to read /metrics"},
         listSetting(&Config::metricsAllow, true)},
        {{"server/metrics_token", "BW_METRICS_TOKEN", "bearer token that also unlocks /metrics"},
         stringSetting(&Config::metricsToken)},
        {{"database/url", "BW_DATABASE_URL", "external PostgreSQL URL (empty: embedded cluster)"},
         stringSetting(&Config::databaseUrl)},
        {{"database/pg_bindir", "BW_PG_BINDIR", "PostgreSQL binaries for the embedded cluster"},
         stringSetting(&Config::pgBinDir)},
        {{"database/statement_timeout_ms", "BW_STATEMENT_TIMEOUT_MS", "per-statement timeout"},
         intSetting(&Config::statementTimeoutMs, 100, 3600000)},
        {{"database/idle_in_transaction_timeout_ms", "BW_IDLE_IN_TRANSACTION_TIMEOUT_MS", "idle-in-transaction timeout"},
         intSetting(&Config::idleInTransactionTimeoutMs, 100, 3600000)},
        {{"backups/dir", "BW_BACKUP_DIR", "folder for logical backups (default: <data dir>/backups)"},
         [](Config &c, const QString &v) -> QString {
             c.ops.backupDir = v.trimmed().isEmpty() ? QString() : QDir::cleanPath(QDir(v.trimmed()).absolutePath());
             return {};
         }},
        {{"backups/retention_daily_days", "BW_BACKUP_RETENTION_DAILY", "days to keep daily backups (0 = for ever)"},
         opsInt(&OpsConfig::dailyRetentionDays, 0, 36500)},
        {{"backups/retention_monthly_days", "BW_BACKUP_RETENTION_MONTHLY", "days to keep monthly backups"},
         opsInt(&OpsConfig::monthlyRetentionDays, 0, 36500)},
        {{"backups/retention_pre_migration_days", "BW_BACKUP_RETENTION_PRE_MIGRATION", "days to keep pre-migration snapshots"},
         opsInt(&OpsConfig::preMigrationRetentionDays, 0, 36500)},
        {{"backups/retention_pre_restore_days", "BW_BACKUP_RETENTION_PRE_RESTORE", "days to keep pre-restore safety snapshots"},
         opsInt(&OpsConfig::preRestoreRetentionDays, 0, 36500)},
        {{"backups/retention_manual_days", "BW_BACKUP_RETENTION_MANUAL", "days to keep manual backups (0 = for ever)"},
         opsInt(&OpsConfig::manualRetentionDays, 0, 36500)},
        {{"backups/min_free_mb", "BW_BACKUP_MIN_FREE_MB", "free space to leave on the backup disk"},
         opsInt(&OpsConfig::minFreeMb, 0, 10'000'000)},
        {{"backups/compress", "BW_BACKUP_COMPRESS", "pg_dump compression level 0-9"}, opsInt(&OpsConfig::compressLevel, 0, 9)},
        {{"backups/restore_jobs", "BW_RESTORE_JOBS", "parallel pg_restore jobs"}, opsInt(&OpsConfig::restoreJobs, 1, 16)},
        {{"backups/rto_minutes", "BW_RTO_MINUTES", "recovery time objective that restore drills report against"},
         opsInt(&OpsConfig::rtoMinutes, 1, 10000)},
        {{"backups/wal_archiving", "BW_WAL_ARCHIVING",
          "auto | on | off: pgBackRest WAL archiving of the embedded cluster (PITR)"},
         [](Config &c, const QString &v) -> QString {
             const QString t = v.trimmed().toLower();
             if (t != u"auto" && t != u"on" && t != u"off")
                 return QStringLiteral("expected auto, on or off");
             c.ops.walArchiving = t;
             return {};
         }},
        {{"backups/archive_timeout_s", "BW_ARCHIVE_TIMEOUT_S", "force a WAL segment switch at least this often (the RPO)"},
         opsInt(&OpsConfig::archiveTimeoutSeconds, 1, 3600)},
        {{"backups/wal_retention_days", "BW_WAL_RETENTION_DAYS", "days of point-in-time recovery kept by pgBackRest"},
         opsInt(&OpsConfig::walRetentionDays, 1, 3650)},
        {{"backups/pgbackrest", "BW_PGBACKREST", "pgbackrest executable (default: on PATH)"},
         opsString(&OpsConfig::pgbackrestBin)},
        {{"s3/endpoint", "BW_S3_ENDPOINT", "S3-compatible endpoint for off-site backup copies (empty: none)"},
         [](Config &c, const QString &v) -> QString {
             const QString t = v.trimmed();
             if (!t.isEmpty() && !t.startsWith(u"http://") && !t.startsWith(u"https://"))
                 return QStringLiteral("expected an http:// or https:// URL");
             c.ops.s3Endpoint = t;
             return {};
         }},
        {{"s3/bucket", "BW_S3_BUCKET", "bucket for off-site copies"}, opsString(&OpsConfig::s3Bucket)},
        {{"s3/region", "BW_S3_REGION", "SigV4 region (R2: auto)"}, opsString(&OpsConfig::s3Region)},
        {{"s3/prefix", "BW_S3_PREFIX", "key prefix for off-site copies"}, opsString(&OpsConfig::s3Prefix)},
        {{"s3/access_key_id", "BW_S3_ACCESS_KEY_ID", "access key id (the secret key is the secret s3-secret-access-key)"},
         opsString(&OpsConfig::s3AccessKeyId)},
        {{"s3/part_size_mb", "BW_S3_PART_SIZE_MB", "multipart part size (5-512 MB)"}, opsInt(&OpsConfig::s3PartSizeMb, 5, 512)},
        {{"log/level", "BW_LOG_LEVEL", "debug | info | warning | error"},
         [](Config &c, const QString &v) -> QString {
             static const QStringList levels = {"debug", "info", "warning", "error"};
             const QString t = v.trimmed().toLower();
             if (!levels.contains(t))
                 return QStringLiteral("expected one of debug, info, warning, error");
             c.logLevel = t;
             return {};
         }},
        {{"alerts/webhook_url", "BW_ALERT_WEBHOOK_URL", "Slack-compatible webhook for alert notifications (empty: none)"},
         [](Config &c, const QString &v) -> QString {
             const QString t = v.trimmed();
             const QUrl url(t, QUrl::StrictMode);
             if (!t.isEmpty()
                 && (!url.isValid() || (url.scheme() != u"https" && url.scheme() != u"http") || url.host().isEmpty()))
                 return QStringLiteral("expected an http(s):// URL");
             c.alerts.webhookUrl = t;
             return {};
         }},
        {{"alerts/email_to", "BW_ALERT_EMAIL_TO", "comma-separated alert e-mail recipients (needs smtp/host)"},
         [](Config &c, const QString &v) -> QString {
             QStringList to;
             for (const QString &part : v.split(u',', Qt::SkipEmptyParts)) {
                 const QString address = part.trimmed();
                 if (address.count(u'@') != 1 || address.startsWith(u'@') || address.endsWith(u'@') || address.contains(u' '))
                     return QStringLiteral("expected e-mail addresses separated by commas");
                 to << address;
             }
             c.alerts.emailTo = to;
             return {};
         }},
        {{"alerts/health_urls", "BW_ALERT_HEALTH_URLS", "comma-separated /health URLs of the API nodes (APIDown rule)"},
         [](Config &c, const QString &v) -> QString {
             QStringList urls;
             for (const QString &part : v.split(u',', Qt::SkipEmptyParts)) {
                 const QUrl url(part.trimmed(), QUrl::StrictMode);
                 if (!url.isValid() || url.scheme() != u"http" || url.host().isEmpty())
                     return QStringLiteral("expected http:// URLs separated by commas");
                 urls << url.toString();
             }
             c.alerts.healthUrls = urls;
             return {};
         }},
        {{"ui/language", "BW_LANGUAGE", "desktop console language: empty = the system's, or e.g. es, en"},
         [](Config &c, const QString &v) -> QString {
             const QString t = v.trimmed();
             if (!t.isEmpty() && QLocale(t).language() == QLocale::C)
                 return QStringLiteral("expected a language code such as es or en");
             c.uiLanguage = t;
             return {};
         }},
        {{"secrets/backend", "BW_SECRETS", "auto | keychain | file"},
         [](Config &c, const QString &v) -> QString {
             const QString t = v.trimmed().toLower();
             if (t != u"auto" && t != u"keychain" && t != u"file")
                 return QStringLiteral("expected auto, keychain or file");
             c.secretsBackend = t;
             return {};
         }},
        {{"rate_limit/enabled", "BW_RATE_LIMIT_ENABLED", "enforce rate limits"},
         boolSetting([](Config &c, bool on) { c.rateLimits.enabled = on; })},
        {{"rate_limit/public", "BW_RATE_LIMIT_PUBLIC", "public requests per IP per minute"},
         rateSetting(&RateLimitConfig::publicPerIp)},
        {{"rate_limit/agent_pending", "BW_RATE_LIMIT_AGENT_PENDING", "per minute, unverified agents"},
         rateSetting(&RateLimitConfig::agentPending)},
        {{"rate_limit/agent_claimed", "BW_RATE_LIMIT_AGENT_CLAIMED", "per minute, claimed agents"},
         rateSetting(&RateLimitConfig::agentClaimed)},
        {{"rate_limit/agent_verified", "BW_RATE_LIMIT_AGENT_VERIFIED", "per minute, verified agents"},
         rateSetting(&RateLimitConfig::agentVerified)},
        {{"rate_limit/content_creation", "BW_RATE_LIMIT_CONTENT", "content creations per agent per minute"},
         rateSetting(&RateLimitConfig::contentCreation)},
        {{"rate_limit/registration", "BW_RATE_LIMIT_REGISTRATION", "registrations/logins per IP per minute"},
         rateSetting(&RateLimitConfig::registrationPerIp)},
        {{"rate_limit/admin", "BW_RATE_LIMIT_ADMIN", "admin requests per minute"}, rateSetting(&RateLimitConfig::admin)},
        {{"rate_limit/human", "BW_RATE_LIMIT_HUMAN", "requests per human per minute"},
         rateSetting(&RateLimitConfig::humanPerMinute)},
        {{"rate_limit/evidence", "BW_RATE_LIMIT_EVIDENCE", "evidence submissions per human per hour"},
         rateSetting(&RateLimitConfig::evidencePerHour)},
        {{"server/public_url", "BW_PUBLIC_URL",
          "base URL agents use (https://api.example.org), printed in SKILL.md; empty: the Host header"},
         [](Config &c, const QString &v) -> QString {
             const QString t = v.trimmed();
             if (!t.isEmpty() && !t.startsWith(u"http://") && !t.startsWith(u"https://"))
                 return QStringLiteral("expected an http:// or https:// URL");
             c.publicUrl = t;
             return {};
         }},
        {{"smtp/host", "BW_SMTP_HOST", "SMTP server for verification mail (empty: codes are shown to administrators)"},
         [](Config &c, const QString &v) -> QString {
             c.smtp.host = v.trimmed();
             return {};
         }},
        {{"smtp/port", "BW_SMTP_PORT", "SMTP port (587 = submission with STARTTLS)"},
         [](Config &c, const QString &v) -> QString {
             bool ok = false;
             const int n = v.trimmed().toInt(&ok);
             if (!ok || n < 1 || n > 65535)
                 return QStringLiteral("expected a port from 1 to 65535");
             c.smtp.port = n;
             return {};
         }},
        {{"smtp/username", "BW_SMTP_USERNAME", "SMTP AUTH user (empty: no AUTH); the password is the secret smtp-password"},
         [](Config &c, const QString &v) -> QString {
             c.smtp.username = v.trimmed();
             return {};
         }},
        {{"smtp/from", "BW_SMTP_FROM", "sender, e.g. BetterWorld <noreply@example.org>"},
         [](Config &c, const QString &v) -> QString {
             const QString t = v.trimmed();
             if (!t.contains(u'@') || t.contains(u'\r') || t.contains(u'\n'))
                 return QStringLiteral("expected an e-mail address");
             c.smtp.from = t;
             return {};
         }},
        {{"smtp/starttls", "BW_SMTP_STARTTLS", "require STARTTLS before AUTH and MAIL"},
         boolSetting([](Config &c, bool on) { c.smtp.startTls = on; })},
        {{"smtp/ca_file", "BW_SMTP_CA_FILE", "extra trusted CA certificates (PEM) for the SMTP server"},
         [](Config &c, const QString &v) -> QString {
             c.smtp.caFile = v.trimmed();
             return {};
         }},
        {{"smtp/timeout_ms", "BW_SMTP_TIMEOUT_MS", "SMTP timeout per step"},
         [](Config &c, const QString &v) -> QString {
             bool ok = false;
             const int n = v.trimmed().toInt(&ok);
             if (!ok || n < 100 || n > 600000)
                 return QStringLiteral("expected a whole number from 100 to 600000");
             c.smtp.timeoutMs = n;
             return {};
         }},
        {{"admin/session_hours", "BW_ADMIN_SESSION_HOURS", "admin API session lifetime in hours"},
         adminSetting(&AdminConfig::sessionHours, 1, 720)},
        {{"admin/lockout_failures", "BW_ADMIN_LOCKOUT_FAILURES",
          "failed admin logins from one source (IP, or the console) that pause its sign-ins"},
         adminSetting(&AdminConfig::lockoutFailures, 1, 100)},
        {{"admin/lockout_minutes", "BW_ADMIN_LOCKOUT_MINUTES",
          "how long a paused source (or an account locked by failures from everywhere) waits"},
         adminSetting(&AdminConfig::lockoutMinutes, 1, 1440)},
        {{"moderation/claim_lease_minutes", "BW_CLAIM_LEASE_MINUTES", "a moderator's claim on a flagged item expires after this"},
         adminSetting(&AdminConfig::claimLeaseMinutes, 1, 240)},
        {{"rate_limit/store", "BW_RATE_LIMIT_STORE",
          "auto | memory | postgres (shared by all nodes; auto: postgres with an external database, memory with the embedded one)"},
         [](Config &c, const QString &v) -> QString {
             const QString t = v.trimmed().toLower();
             if (t != u"auto" && t != u"memory" && t != u"postgres")
                 return QStringLiteral("expected auto, memory or postgres");
             c.rateLimits.store = t;
             return {};
         }},
        {{"guardrails/provider", "BW_GUARDRAILS_PROVIDER",
          "classifier: none | anthropic | openai-compatible (key: secret llm-api-key)"},
         [](Config &c, const QString &v) -> QString {
             const QString t = v.trimmed().toLower();
             if (t != u"none" && t != u"anthropic" && t != u"openai-compatible")
                 return QStringLiteral("expected none, anthropic or openai-compatible");
             c.guardrails.provider = t;
             return {};
         }},
        {{"guardrails/model", "BW_GUARDRAILS_MODEL", "classifier model (empty: provider default)"},
         [](Config &c, const QString &v) -> QString {
             c.guardrails.model = v.trimmed();
             return {};
         }},
        {{"guardrails/base_url", "BW_GUARDRAILS_BASE_URL", "classifier base URL (empty: provider default)"},
         [](Config &c, const QString &v) -> QString {
             const QString t = v.trimmed();
             if (!t.isEmpty() && !t.startsWith(u"http://") && !t.startsWith(u"https://"))
                 return QStringLiteral("expected an http:// or https:// URL");
             c.guardrails.baseUrl = t;
             return {};
         }},
        {{"guardrails/timeout_ms", "BW_GUARDRAILS_TIMEOUT_MS", "classifier call timeout"},
         guardrailInt(&GuardrailConfig::timeoutMs, 100, 600000)},
        {{"guardrails/budget_cents", "BW_GUARDRAILS_BUDGET_CENTS", "daily AI budget in cents"},
         guardrailInt(&GuardrailConfig::budgetCents, 0, 100000000)},
        {{"guardrails/price_input_cents_per_mtok", "BW_GUARDRAILS_PRICE_INPUT",
          "cents per million input tokens (-1: provider default)"},
         guardrailDouble(&GuardrailConfig::priceInputCentsPerMTok, -1, 1e7)},
        {{"guardrails/price_output_cents_per_mtok", "BW_GUARDRAILS_PRICE_OUTPUT",
          "cents per million output tokens (-1: provider default)"},
         guardrailDouble(&GuardrailConfig::priceOutputCentsPerMTok, -1, 1e7)},
        {{"guardrails/cache_ttl_seconds", "BW_GUARDRAILS_CACHE_TTL", "classifier cache lifetime"},
         guardrailInt(&GuardrailConfig::cacheTtlSeconds, 0, 30 * 86400)},
        {{"guardrails/approve_threshold", "BW_GUARDRAILS_APPROVE_THRESHOLD", "verified tier: alignment score to approve"},
         guardrailDouble(&GuardrailConfig::approveThreshold, 0, 1)},
        {{"guardrails/flag_threshold", "BW_GUARDRAILS_FLAG_THRESHOLD", "verified tier: alignment score to flag (below: reject)"},
         guardrailDouble(&GuardrailConfig::flagThreshold, 0, 1)},
        {{"guardrails/composite_reject_below", "BW_GUARDRAILS_COMPOSITE_REJECT",
          "solutions: composite score below which approval becomes rejection"},
         guardrailDouble(&GuardrailConfig::compositeRejectBelow, 0, 100)},
        {{"guardrails/composite_flag_below", "BW_GUARDRAILS_COMPOSITE_FLAG",
          "solutions: composite score below which approval becomes a flag"},
         guardrailDouble(&GuardrailConfig::compositeFlagBelow, 0, 100)},
        {{"guardrails/verified_min_age_days", "BW_GUARDRAILS_VERIFIED_AGE_DAYS", "verified tier: minimum account age in days"},
         guardrailInt(&GuardrailConfig::verifiedMinAgeDays, 0, 3650)},
        {{"guardrails/verified_min_approved", "BW_GUARDRAILS_VERIFIED_APPROVED", "verified tier: minimum approved evaluations"},
         guardrailInt(&GuardrailConfig::verifiedMinApproved, 0, 100000)},
        {{"jobs/enabled", "BW_JOBS_ENABLED", "run job workers and the cron scheduler on this node (false: API only)"},
         boolSetting([](Config &c, bool on) { c.jobs.enabled = on; })},
        {{"jobs/guardrail_concurrency", "BW_JOBS_GUARDRAIL_CONCURRENCY", "guardrail-evaluation jobs run at once on this node"},
         [](Config &c, const QString &v) -> QString {
             bool ok = false;
             const int n = v.trimmed().toInt(&ok);
             if (!ok || n < 1 || n > 256)
                 return QStringLiteral("expected a whole number from 1 to 256");
             c.jobs.guardrailConcurrency = n;
             return {};
         }},
        {{"jobs/lease_seconds", "BW_JOBS_LEASE_SECONDS", "job lease: a dead node's jobs are rescued after this"},
         [](Config &c, const QString &v) -> QString {
             bool ok = false;
             const int n = v.trimmed().toInt(&ok);
             if (!ok || n < 5 || n > 86400)
                 return QStringLiteral("expected a whole number from 5 to 86400");
             c.jobs.leaseSeconds = n;
             return {};
         }},
    };
    return all;
}

QString xdgDir(const QProcessEnvironment &env, const char *var, const char *fallbackBelowHome)
{
    const QString set = env.value(QString::fromLatin1(var));
    if (!set.isEmpty())
        return set;
    return env.value(QStringLiteral("HOME"), QDir::homePath()) + u'/' + QString::fromLatin1(fallbackBelowHome);
}

ApiError settingError(const QString &key, const QString &origin, const QString &value, const QString &why)
{
    return ApiError::badRequest(QStringLiteral("invalid setting %1 = '%2' (from %3): %4").arg(key, value, origin, why));
}

} // namespace

const QList<SettingInfo> &settingsCatalogue()
{
    static const QList<SettingInfo> infos = [] {
        QList<SettingInfo> out;
        for (const Setting &s : settings())
            out << s.info;
        return out;
    }();
    return infos;
}

bool parseListen(const QString &text, QString *host, quint16 *port)
{
    const qsizetype colon = text.lastIndexOf(u':');
    if (colon < 0)
        return false;
    QString h = text.left(colon);
    if (h.startsWith(u'[') && h.endsWith(u']'))
        h = h.mid(1, h.size() - 2);
    if (h.isEmpty())
        h = QStringLiteral("0.0.0.0");
    if (h != u"localhost" && !isIpAddress(h))
        return false;
    bool ok = false;
    const uint p = text.mid(colon + 1).toUInt(&ok);
    if (!ok || p > 65535)
        return false;
    *host = h == u"localhost" ? QStringLiteral("127.0.0.1") : h;
    *port = quint16(p);
    return true;
}

QString defaultConfigFile(const QProcessEnvironment &env)
{
    return xdgDir(env, "XDG_CONFIG_HOME", ".config") + QStringLiteral("/betterworld/betterworld.conf");
}

QString defaultDataDir(const QProcessEnvironment &env)
{
    // A system service (root) keeps its state where the postgres system user can reach it.
    if (::geteuid() == 0 && !env.contains(QStringLiteral("XDG_DATA_HOME")))
        return QStringLiteral("/var/lib/betterworld");
    return xdgDir(env, "XDG_DATA_HOME", ".local/share") + QStringLiteral("/betterworld");
}

Result<Config> loadConfig(const ConfigSources &sources)
{
    Config config;
    config.dataDir = defaultDataDir(sources.environment);

    QString file = sources.explicitFile;
    bool mustExist = !file.isEmpty();
    if (file.isEmpty()) {
        file = sources.environment.value(QStringLiteral("BW_CONFIG"));
        mustExist = !file.isEmpty();
    }
    if (file.isEmpty())
        file = defaultConfigFile(sources.environment);

    if (QFileInfo::exists(file)) {
        QSettings ini(file, QSettings::IniFormat);
        if (ini.status() != QSettings::NoError)
            return ApiError::badRequest(QStringLiteral("config file %1 cannot be parsed").arg(file));
        const QStringList keys = ini.allKeys();
        for (const QString &key : keys) {
            const QString lookup = key.contains(u'/') ? key : QStringLiteral("general/") + key;
            const auto it =
                std::find_if(settings().cbegin(), settings().cend(), [&](const Setting &s) { return s.info.key == lookup; });
            if (it == settings().cend())
                return ApiError::badRequest(QStringLiteral("unknown setting '%1' in %2").arg(key, file));
            const QVariant raw = ini.value(key);
            const QString value = raw.typeId() == QMetaType::QStringList ? raw.toStringList().join(u',') : raw.toString();
            if (const QString why = it->apply(config, value); !why.isEmpty())
                return settingError(it->info.key, file, value, why);
        }
        config.configFile = file;
    } else if (mustExist) {
        return ApiError::badRequest(QStringLiteral("config file %1 does not exist").arg(file));
    }

    for (const Setting &s : settings()) {
        if (!sources.environment.contains(s.info.env))
            continue;
        const QString value = sources.environment.value(s.info.env);
        if (const QString why = s.apply(config, value); !why.isEmpty())
            return settingError(s.info.key, s.info.env, value, why);
    }
    for (auto it = sources.flags.cbegin(); it != sources.flags.cend(); ++it) {
        const auto s =
            std::find_if(settings().cbegin(), settings().cend(), [&](const Setting &x) { return x.info.key == it.key(); });
        if (s == settings().cend())
            return ApiError::badRequest(QStringLiteral("unknown setting '%1'").arg(it.key()));
        if (const QString why = s->apply(config, it.value()); !why.isEmpty())
            return settingError(s->info.key, QStringLiteral("command line"), it.value(), why);
    }
    return config;
}

} // namespace bw
