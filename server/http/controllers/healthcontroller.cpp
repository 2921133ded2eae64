#include "healthcontroller.h"

#include "server/core/isotime.h"
#include "server/core/metrics.h"
#include "server/http/envelope.h"

#include <QJsonObject>

namespace bw::http {

namespace {
// `detailed`: whether the caller may read the failure's text. It can hold libpq's socket paths and
// host names, so anonymous probes only learn that a check failed (the server logs say why).
QJsonValue checkValue(const std::function<Status()> &check, bool detailed, bool *allOk)
{
    if (!check)
        return QStringLiteral("ok");
    const Status s = check();
    if (s)
        return QStringLiteral("ok");
    *allOk = false;
    QJsonObject failed{{QStringLiteral("status"), QStringLiteral("failed")}};
    if (detailed)
        failed.insert(QStringLiteral("message"), s.error().message);
    return failed;
}

// The callers /metrics trusts (allow-listed address or its bearer token) also see readiness details.
bool isOperator(const Request &req, const HealthDeps &deps)
{
    const QByteArray auth = req.header("authorization");
    const bool tokenOk = !deps.metricsToken.isEmpty() && auth == "Bearer " + deps.metricsToken.toUtf8();
    return tokenOk || deps.metricsAllow.contains(req.clientIp);
}
} // namespace

void registerHealthRoutes(Router &router, HealthDeps deps)
{
    const RouteOptions live{Auth::None, RateClass::Exempt, /*usesDatabase*/ false};
    const Handler health = [](Request &req) {
        // Polled constantly (load balancers, monitors): the same bytes ok(QJsonObject{status,
        // timestamp}) produced, built directly instead of through QJsonObject and QJsonDocument.
        return okRaw(req, "{\"status\":\"ok\",\"timestamp\":\"" + isoUtcNowMs() + "\"}");
    };
    for (const char *path : {"/health", "/healthz", "/api/v1/health"})
        router.add("GET", QString::fromLatin1(path), live, health);

    const Handler ready = [deps](Request &req) {
        const ReadinessChecks &checks = deps.ready;
        const bool detailed = isOperator(req, deps);
        bool allOk = true;
        QJsonObject report;
        report.insert(QStringLiteral("database"), checkValue(checks.database, detailed, &allOk));
        report.insert(QStringLiteral("migrations"), checkValue(checks.migrations, detailed, &allOk));
        report.insert(QStringLiteral("workers"), checkValue(checks.workers, detailed, &allOk));
        report.insert(QStringLiteral("storage"), checkValue(checks.storage, detailed, &allOk));
        const bool maintenance = checks.maintenance && checks.maintenance();
        QJsonObject data{{QStringLiteral("status"), allOk && !maintenance ? QStringLiteral("ready") : QStringLiteral("degraded")},
                         {QStringLiteral("checks"), report},
                         {QStringLiteral("version"), QStringLiteral(BW_VERSION)},
                         {QStringLiteral("uptime"),
                          checks.startedAt.isValid() ? checks.startedAt.secsTo(QDateTime::currentDateTimeUtc()) : 0}};
        if (maintenance)
            data.insert(QStringLiteral("maintenance"), true);
        if (allOk && !maintenance)
            return ok(req, data);
        // Still an envelope, but not ok: load balancers only look at the status code.
        Response res = ok(req, data, 503);
        res.body.replace(0, 10, "{\"ok\":false");
        return res;
    };
    const RouteOptions probe{Auth::None, RateClass::Exempt, /*usesDatabase*/ true};
    router.add("GET", QStringLiteral("/ready"), probe, ready);
    router.add("GET", QStringLiteral("/readyz"), probe, ready);

    router.add("GET", QStringLiteral("/metrics"), live, [deps](Request &req) {
        if (!isOperator(req, deps))
            return error(req, ApiError::forbidden(QStringLiteral("Metrics are restricted to allow-listed addresses")));
        Response res;
        res.contentType = "text/plain; version=0.0.4; charset=utf-8";
        res.body = deps.metrics ? deps.metrics->renderPrometheus() : QByteArray();
        return res;
    });
}

} // namespace bw::http
