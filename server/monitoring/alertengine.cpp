#include "server/monitoring/alertengine.h"

#include "server/db/sql.h"
#include "server/monitoring/alertnotifier.h"
#include "server/monitoring/nodemetrics.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QSqlQuery>
#include <QUrl>

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcAlerts, "bw.ops.alerts")

namespace bw::monitoring {

using namespace std::chrono_literals;

namespace {

constexpr auto kEventColumns = "id, rule, severity, state, summary, coalesce(value, 0), coalesce(threshold, 0),"
                               " pending_since, fired_at, resolved_at, last_evaluated_at, coalesce(acknowledged_by, ''),"
                               " acknowledged_at, notifications::text";

AlertEvent readEvent(const QSqlQuery &q)
{
    AlertEvent e;
    e.id = q.value(0).toLongLong();
    e.rule = q.value(1).toString();
    e.severity = q.value(2).toString();
    e.state = q.value(3).toString();
    e.summary = q.value(4).toString();
    e.value = q.value(5).toDouble();
    e.threshold = q.value(6).toDouble();
    e.pendingSince = q.value(7).toDateTime().toUTC();
    e.firedAt = q.value(8).isNull() ? QDateTime() : q.value(8).toDateTime().toUTC();
    e.resolvedAt = q.value(9).isNull() ? QDateTime() : q.value(9).toDateTime().toUTC();
    e.lastEvaluatedAt = q.value(10).toDateTime().toUTC();
    e.acknowledgedBy = q.value(11).toString();
    e.acknowledgedAt = q.value(12).isNull() ? QDateTime() : q.value(12).toDateTime().toUTC();
    e.notifications = q.value(13).toString();
    return e;
}

QString iso(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}

Result<AlertEvent> eventById(QSqlDatabase db, qint64 id)
{
    auto q = db::exec(db, QStringLiteral("SELECT %1 FROM alert_events WHERE id = ?").arg(QLatin1StringView(kEventColumns)), {id});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::notFound(QStringLiteral("no alert %1").arg(id));
    return readEvent(*q);
}

// Inputs from the samples (node series combined over nodes per minute) and from live SQL.
constexpr auto kInputsSql = R"SQL(
WITH recent AS (
    SELECT name, at, CASE WHEN name IN ('http_latency_p95', 'guardrail_latency_p95', 'disk_used_ratio')
                          THEN max(value) ELSE sum(value) END AS v
      FROM metric_samples
     WHERE name IN ('http_5xx_rate', 'http_request_rate', 'http_latency_p95', 'guardrail_latency_p95', 'disk_used_ratio')
       AND at >= now() - interval '6 minutes'
     GROUP BY name, at)
SELECT name, value FROM (
    SELECT 'http_error_ratio_5m' AS name,
           (SELECT sum(v) FILTER (WHERE name = 'http_5xx_rate') / nullif(sum(v) FILTER (WHERE name = 'http_request_rate'), 0)
              FROM recent WHERE at >= now() - interval '5 minutes') AS value
    UNION ALL SELECT 'http_latency_p95', (SELECT v FROM recent WHERE name = 'http_latency_p95' ORDER BY at DESC LIMIT 1)
    UNION ALL SELECT 'guardrail_latency_p95', (SELECT v FROM recent WHERE name = 'guardrail_latency_p95' ORDER BY at DESC LIMIT 1)
    UNION ALL SELECT 'disk_used_ratio', (SELECT v FROM recent WHERE name = 'disk_used_ratio' ORDER BY at DESC LIMIT 1)
    UNION ALL SELECT 'guardrail_queue_depth',
           (SELECT count(*) FROM jobs WHERE queue = 'guardrail-evaluation' AND state IN ('available', 'retryable'))::float8
    UNION ALL SELECT 'db_connections_ratio',
           (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::float8
           / current_setting('max_connections')::float8
    UNION ALL SELECT 'backup_age_hours',
           extract(epoch FROM now() - coalesce((SELECT max(finished_at) FROM backups WHERE status = 'completed'),
                                               (SELECT min(applied_at) FROM schema_migrations)))::float8 / 3600
    UNION ALL SELECT 'restore_drill_failed',
           (SELECT CASE WHEN drill_status = 'failed' THEN 1 ELSE 0 END FROM backups
             WHERE drilled_at IS NOT NULL ORDER BY drilled_at DESC LIMIT 1)::float8
    UNION ALL SELECT 'wal_archive_failing',
           (SELECT CASE WHEN current_setting('archive_mode') <> 'off' AND last_failed_time IS NOT NULL
                         AND last_failed_time > coalesce(last_archived_time, '-infinity') THEN 1 ELSE 0 END
              FROM pg_stat_archiver)::float8
    -- pitr_window_seconds is sampled only where the WAL archive is wanted (ArchiveKeeper publishes it).
    UNION ALL SELECT 'pitr_unavailable_minutes',
           (SELECT extract(epoch FROM now() - coalesce(max(at) FILTER (WHERE value > 0), min(at))) / 60
              FROM metric_samples WHERE name = 'pitr_window_seconds' AND at > now() - interval '1 day'
            HAVING max(at) > now() - interval '30 minutes')::float8
    -- The weekly ledger-verify job (and `betterworld ledger verify`) record their outcome here.
    UNION ALL SELECT 'ledger_violations',
           (SELECT violation_count FROM ledger_verifications ORDER BY ran_at DESC, id DESC LIMIT 1)::float8
) i WHERE value IS NOT NULL
)SQL";

} // namespace

AlertEngine::AlertEngine(Options options, AlertNotifier *notifier)
    : m_options(std::move(options)), m_notifier(notifier), m_rules(defaultRules())
{
}

std::vector<AlertRule> AlertEngine::defaultRules()
{
    using namespace alertinput;
    auto rule = [](const char *name, const char *severity, const char *input, double threshold, std::chrono::seconds forDuration,
                   const char *summary) {
        return AlertRule{
            QString::fromLatin1(name), QString::fromLatin1(severity), QString::fromLatin1(input), threshold, forDuration,
            QString::fromUtf8(summary)};
    };
    return {
        rule("APIDown", "P1", kApiDown, 0.5, 2min, "BetterWorld API is down"),
        rule("HighErrorRate", "P1", kErrorRatio5m, 0.10, 3min, "5xx error rate exceeds 10%"),
        rule("HighLatency", "P2", kLatencyP95, 0.5, 10min, "API p95 latency exceeds 500ms"),
        rule("QueueBacklog", "P2", kGuardrailQueueDepth, 500, 15min, "Guardrail evaluation queue depth > 500"),
        rule("DBConnectionsHigh", "P2", kDbConnectionsRatio, 0.8, 5min, "Database connections > 80% capacity"),
        rule("DiskUsageHigh", "P2", kDiskUsedRatio, 0.8, 30min, "Database disk usage > 80%"),
        rule("GuardrailSlow", "P3", kGuardrailP95, 5.0, 30min, "Guardrail p95 evaluation time exceeds 5s"),
        rule("BackupStale", "P2", kBackupAgeHours, 26.0, 0s, "Newest successful backup is older than 26 h"),
        rule("RestoreDrillFailed", "P2", kRestoreDrillFailed, 0.5, 0s, "The latest restore drill failed"),
        rule("DatabaseRestarted", "P1", kDatabaseRestarted, 0.5, 0s,
             "The embedded PostgreSQL stopped unexpectedly and was restarted (crash recovery)"),
        rule("WalArchivingFailing", "P2", kWalArchiveFailing, 0.5, 10min,
             "WAL archiving is failing: point-in-time recovery stops at the last archived segment"),
        rule("NoPointInTimeRecovery", "P2", kPitrUnavailableMinutes, 60, 0s,
             "Point-in-time recovery has not been possible for over an hour (no base backup or no archive)"),
        rule("LedgerInvariantBroken", "P1", kLedgerViolations, 0.5, 0s,
             "The ImpactToken ledger failed verification (see `betterworld ledger verify`)"),
    };
}

void AlertEngine::setRules(std::vector<AlertRule> rules)
{
    std::lock_guard lock(m_mutex);
    m_rules = std::move(rules);
}

std::vector<AlertRule> AlertEngine::rules() const
{
    std::lock_guard lock(m_mutex);
    return m_rules;
}

Result<std::vector<AlertTransition>> AlertEngine::evaluate(QSqlDatabase db, QDateTime now)
{
    auto inputs = gatherInputs(db);
    if (!inputs)
        return inputs.error();
    return apply(db, *inputs, now);
}

Result<AlertInputs> AlertEngine::gatherInputs(QSqlDatabase db) const
{
    AlertInputs inputs;
    auto q = db::exec(db, QString::fromLatin1(kInputsSql));
    if (!q)
        return q.error();
    while (q->next())
        inputs[q->value(0).toString()] = q->value(1).toDouble();
    if (!m_options.healthUrls.isEmpty()) {
        bool down = false;
        for (const QString &url : m_options.healthUrls)
            down = down || !probe(url, m_options.probeTimeoutMs);
        inputs[QString::fromLatin1(alertinput::kApiDown)] = down ? 1 : 0;
    }
    if (m_options.processInputs)
        for (const auto &[name, value] : m_options.processInputs())
            inputs[name] = value;
    return inputs;
}

Result<std::vector<AlertTransition>> AlertEngine::apply(QSqlDatabase db, const AlertInputs &inputs, QDateTime now)
{
    if (!now.isValid())
        now = QDateTime::currentDateTimeUtc();
    const std::vector<AlertRule> rules = this->rules();
    std::vector<AlertTransition> transitions;
    std::vector<qint64> changed;
    Status evaluated = db::inTransaction(db, [&]() -> Status {
        if (auto l = db::exec(db, QStringLiteral("SELECT pg_advisory_xact_lock(hashtext('bw_alert_engine'))")); !l)
            return l.error();
        auto open = db::exec(db, QStringLiteral("SELECT %1 FROM alert_events WHERE state IN ('pending', 'firing')")
                                     .arg(QLatin1StringView(kEventColumns)));
        if (!open)
            return open.error();
        std::map<QString, AlertEvent> byRule;
        while (open->next()) {
            AlertEvent e = readEvent(*open);
            byRule[e.rule] = e;
        }
        for (const AlertRule &rule : rules) {
            const auto in = inputs.find(rule.input);
            const bool hasValue = in != inputs.end();
            const double value = hasValue ? in->second : 0;
            const bool condition = hasValue && value > rule.threshold;
            const auto it = byRule.find(rule.name);
            Result<QSqlQuery> q{QSqlQuery()};
            if (it == byRule.end()) {
                if (!condition)
                    continue;
                const bool fireNow = rule.forDuration.count() <= 0;
                q = db::exec(
                    db,
                    QStringLiteral(
                        "INSERT INTO alert_events (rule, severity, state, summary, value, threshold, pending_since, fired_at, last_evaluated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?::timestamptz, CASE WHEN ? THEN ?::timestamptz END, ?::timestamptz) RETURNING id"),
                    {rule.name, rule.severity, fireNow ? QStringLiteral("firing") : QStringLiteral("pending"), rule.summary,
                     value, rule.threshold, iso(now), fireNow, iso(now), iso(now)});
                if (!q)
                    return q.error();
                q->next();
                changed.push_back(q->value(0).toLongLong());
                transitions.push_back({fireNow ? AlertTransition::Firing : AlertTransition::Pending, {}});
                continue;
            }
            const AlertEvent &e = it->second;
            if (e.state == QLatin1StringView("pending") && !condition) {
                q = db::exec(db, QStringLiteral("DELETE FROM alert_events WHERE id = ?"), {e.id}); // never fired
            } else if (e.state == QLatin1StringView("pending") && e.pendingSince.secsTo(now) >= rule.forDuration.count()) {
                q = db::exec(db,
                             QStringLiteral("UPDATE alert_events SET state = 'firing', fired_at = ?::timestamptz, value = ?,"
                                            " last_evaluated_at = ?::timestamptz WHERE id = ?"),
                             {iso(now), value, iso(now), e.id});
                changed.push_back(e.id);
                transitions.push_back({AlertTransition::Firing, {}});
            } else if (e.state == QLatin1StringView("firing") && !condition) {
                q = db::exec(
                    db,
                    QStringLiteral("UPDATE alert_events SET state = 'resolved', resolved_at = ?::timestamptz,"
                                   " value = CASE WHEN ? THEN ? ELSE value END, last_evaluated_at = ?::timestamptz WHERE id = ?"),
                    {iso(now), hasValue, value, iso(now), e.id});
                changed.push_back(e.id);
                transitions.push_back({AlertTransition::Resolved, {}});
            } else {
                q = db::exec(db,
                             QStringLiteral("UPDATE alert_events SET value = ?, last_evaluated_at = ?::timestamptz WHERE id = ?"),
                             {value, iso(now), e.id});
            }
            if (!q)
                return q.error();
        }
        for (size_t i = 0; i < changed.size(); ++i) {
            auto e = eventById(db, changed[i]);
            if (!e)
                return e.error();
            transitions[i].event = *e;
        }
        return success();
    });
    if (!evaluated)
        return evaluated.error();
    for (const AlertTransition &t : transitions) {
        if (t.kind == AlertTransition::Pending)
            continue;
        const bool firing = t.kind == AlertTransition::Firing;
        qCWarning(lcAlerts).noquote() << (firing ? "FIRING" : "RESOLVED") << t.event.severity << t.event.rule << "-"
                                      << t.event.summary << "value" << t.event.value;
        if (m_notifier)
            m_notifier->notify(t);
    }
    return transitions;
}

Result<QList<AlertEvent>> AlertEngine::current(QSqlDatabase db, int resolvedHours)
{
    auto q =
        db::exec(db,
                 QStringLiteral("SELECT %1 FROM alert_events WHERE state IN ('pending', 'firing')"
                                " OR resolved_at > now() - make_interval(hours => ?)"
                                " ORDER BY CASE state WHEN 'firing' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, severity, id DESC")
                     .arg(QLatin1StringView(kEventColumns)),
                 {resolvedHours});
    if (!q)
        return q.error();
    QList<AlertEvent> out;
    while (q->next())
        out.append(readEvent(*q));
    return out;
}

Result<QList<AlertEvent>> AlertEngine::history(QSqlDatabase db, int limit, qint64 beforeId)
{
    auto q = db::exec(db,
                      QStringLiteral("SELECT %1 FROM alert_events WHERE (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?")
                          .arg(QLatin1StringView(kEventColumns)),
                      {beforeId, beforeId, limit});
    if (!q)
        return q.error();
    QList<AlertEvent> out;
    while (q->next())
        out.append(readEvent(*q));
    return out;
}

Status AlertEngine::acknowledge(QSqlDatabase db, qint64 id, const QString &by)
{
    auto q = db::exec(db,
                      QStringLiteral("UPDATE alert_events SET acknowledged_by = coalesce(acknowledged_by, ?),"
                                     " acknowledged_at = coalesce(acknowledged_at, now()) WHERE id = ? RETURNING id"),
                      {by, id});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::notFound(QStringLiteral("no alert %1").arg(id));
    qCInfo(lcAlerts).noquote() << "alert" << id << "acknowledged by" << by;
    return success();
}

bool AlertEngine::probe(const QString &url, int timeoutMs)
{
    const QUrl u(url);
    if (u.scheme() != QLatin1StringView("http") || u.host().isEmpty())
        return false;
    QElapsedTimer timer;
    timer.start();
    auto remaining = [&] { return int(std::max<qint64>(0, timeoutMs - timer.elapsed())); };
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *found = nullptr;
    const QByteArray host = u.host().toUtf8(), port = QByteArray::number(u.port(80));
    if (getaddrinfo(host.constData(), port.constData(), &hints, &found) != 0 || !found)
        return false;
    bool ok = false;
    const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        pollfd p{fd, POLLOUT, 0};
        int err = 0;
        socklen_t len = sizeof err;
        const bool connected = (::connect(fd, found->ai_addr, found->ai_addrlen) == 0
                                || (errno == EINPROGRESS && ::poll(&p, 1, remaining()) == 1
                                    && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0));
        if (connected) {
            const QByteArray path = u.path(QUrl::FullyEncoded).isEmpty() ? QByteArray("/") : u.path(QUrl::FullyEncoded).toUtf8();
            const QByteArray request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
            if (::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) == request.size()) {
                QByteArray answer;
                char buffer[512];
                while (!answer.contains("\r\n") && remaining() > 0) {
                    pollfd r{fd, POLLIN, 0};
                    if (::poll(&r, 1, remaining()) != 1)
                        break;
                    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
                    if (n <= 0)
                        break;
                    answer.append(buffer, n);
                }
                // "HTTP/1.1 200 OK"
                const QList<QByteArray> parts = answer.left(answer.indexOf("\r\n")).split(' ');
                ok = parts.size() >= 2 && parts[1].startsWith('2');
            }
        }
        ::close(fd);
    }
    freeaddrinfo(found);
    return ok;
}

} // namespace bw::monitoring
