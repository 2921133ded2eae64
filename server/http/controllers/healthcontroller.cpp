#include "healthcontroller.h"

#include "server/core/isotime.h"
#include "server/core/metrics.h"
#include "server/http/envelope.h"

#include <QJsonObject>

namespace bw::http {

namespace {
QJsonValue checkValue(const std::function<Status()> &check, bool *allOk)
{
    if (!check)
        return QStringLiteral("ok");
    const Status s = check();
    if (s)
        return QStringLiteral("ok");
    *allOk = false;
    return QJsonObject{{QStringLiteral("status"), QStringLiteral("failed")}, {QStringLiteral("message"), s.error().message}};
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

    const Handler ready = [checks = deps.ready](Request &req) {
        bool allOk = true;
        QJsonObject report;
        report.insert(QStringLiteral("database"), checkValue(checks.database, &allOk));
        report.insert(QStringLiteral("migrations"), checkValue(checks.migrations, &allOk));
        report.insert(QStringLiteral("workers"), checkValue(checks.workers, &allOk));
        report.insert(QStringLiteral("storage"), checkValue(checks.storage, &allOk));
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
        const QByteArray auth = req.header("authorization");
        const bool tokenOk = !deps.metricsToken.isEmpty() && auth == "Bearer " + deps.metricsToken.toUtf8();
        if (!tokenOk && !deps.metricsAllow.contains(req.clientIp))
            return error(req, ApiError::forbidden(QStringLiteral("Metrics are restricted to allow-listed addresses")));
        Response res;
        res.contentType = "text/plain; version=0.0.4; charset=utf-8";
        res.body = deps.metrics ? deps.metrics->renderPrometheus() : QByteArray();
        return res;
    });
}

} // namespace bw::http
