#include "server/monitoring/nodemetrics.h"

#include <QDateTime>

#include <algorithm>

namespace bw::monitoring {

bool series::combinesByMax(const QString &name)
{
    return name.contains(QLatin1StringView("_p5")) || name.contains(QLatin1StringView("_p9"))
           || name.endsWith(QLatin1StringView("_ratio")) || name == QLatin1StringView(kDbQueryMeanMs)
           || name == QLatin1StringView(kNodeUp) || name == QLatin1StringView(kApprovalRate)
           || name == QLatin1StringView(kBackupAgeHours) || name == QLatin1StringView(kRestoreDrillFailed);
}

namespace {
QString labelValue(const Labels &labels, QLatin1StringView key)
{
    for (const auto &[k, v] : labels)
        if (k == key)
            return v;
    return {};
}

double delta(double before, double after)
{
    return after >= before ? after - before : after;
} // reset → from 0

double deltaOf(const std::map<QString, double> &before, const QString &key, double after)
{
    const auto it = before.find(key);
    return delta(it == before.end() ? 0 : it->second, after);
}
} // namespace

NodeMetricsSnapshot NodeMetricsSnapshot::capture(const MetricsRegistry &registry)
{
    NodeMetricsSnapshot s;
    s.atMs = QDateTime::currentMSecsSinceEpoch();
    for (const auto &[labels, value] : registry.series(QStringLiteral("http_requests_total"))) {
        const QString method = labelValue(labels, QLatin1StringView("method"));
        const QString route = labelValue(labels, QLatin1StringView("route"));
        const bool is5xx = labelValue(labels, QLatin1StringView("status")).startsWith(u'5');
        s.requests += value;
        Route &r = s.routes[method + u' ' + route];
        r.method = method;
        r.route = route;
        r.requests += value;
        if (is5xx) {
            s.errors5xx += value;
            r.errors5xx += value;
        }
    }
    s.activeConnections = registry.sum(QStringLiteral("http_active_connections"));
    if (const auto pitr = registry.series(QString::fromLatin1(series::kPitrWindowSeconds)); !pitr.empty())
        s.pitrWindowSeconds = pitr.front().second;
    s.latency = registry.mergedHistogram(QStringLiteral("http_request_duration_seconds"));
    s.guardrail = registry.mergedHistogram(QStringLiteral("guardrail_evaluation_duration_seconds"));
    s.jobDuration = registry.mergedHistogram(QStringLiteral("job_duration_seconds"));
    for (const auto &[labels, value] : registry.series(QStringLiteral("job_completed_total")))
        s.jobsCompleted[labelValue(labels, QLatin1StringView("queue"))] += value;
    for (const auto &[labels, value] : registry.series(QStringLiteral("job_failed_total")))
        s.jobsFailed[labelValue(labels, QLatin1StringView("queue"))] += value;
    for (const auto &[labels, value] : registry.series(QStringLiteral("job_queue_size"))) {
        const QString state = labelValue(labels, QLatin1StringView("state"));
        if (state == QLatin1StringView("available") || state == QLatin1StringView("retryable"))
            s.queueDepth[labelValue(labels, QLatin1StringView("queue"))] += value;
    }
    return s;
}

double quantileBetween(const Histogram::Snapshot &before, const Histogram::Snapshot &after, double q)
{
    Histogram::Snapshot d = after;
    const bool comparable = before.cumulative.size() == after.cumulative.size() && before.count <= after.count;
    if (comparable) {
        for (size_t i = 0; i < d.cumulative.size(); ++i)
            d.cumulative[i] -= std::min(d.cumulative[i], before.cumulative[i]);
        d.count -= before.count;
        d.sum -= before.sum;
    }
    return d.quantile(q);
}

NodeRates NodeRates::between(const NodeMetricsSnapshot &before, const NodeMetricsSnapshot &after)
{
    NodeRates r;
    r.seconds = std::max(0.001, double(after.atMs - before.atMs) / 1000.0);
    const double requests = delta(before.requests, after.requests);
    const double errors = delta(before.errors5xx, after.errors5xx);
    r.requestRate = requests / r.seconds;
    r.errorRate = errors / r.seconds;
    r.errorRatio = requests > 0 ? std::min(1.0, errors / requests) : 0;
    r.p50 = quantileBetween(before.latency, after.latency, 0.50);
    r.p95 = quantileBetween(before.latency, after.latency, 0.95);
    r.p99 = quantileBetween(before.latency, after.latency, 0.99);
    r.guardrailP95 = quantileBetween(before.guardrail, after.guardrail, 0.95);
    r.jobDurationP95 = quantileBetween(before.jobDuration, after.jobDuration, 0.95);
    r.activeConnections = after.activeConnections;
    for (const auto &[queue, value] : after.jobsCompleted)
        r.jobsProcessedRate[queue] = deltaOf(before.jobsCompleted, queue, value) / r.seconds;
    for (const auto &[queue, value] : after.jobsFailed)
        r.jobsFailedPerMinute[queue] = deltaOf(before.jobsFailed, queue, value) * 60.0 / r.seconds;
    r.queueDepth = after.queueDepth;
    for (const auto &[key, route] : after.routes) {
        const auto it = before.routes.find(key);
        const double previous = it == before.routes.end() ? 0 : it->second.requests;
        r.routes.push_back(
            {route.method, route.route, route.requests, delta(previous, route.requests) / r.seconds, route.errors5xx});
    }
    std::sort(r.routes.begin(), r.routes.end(),
              [](const Route &a, const Route &b) { return a.rate != b.rate ? a.rate > b.rate : a.total > b.total; });
    return r;
}

} // namespace bw::monitoring
