#pragma once
// Liveness (/health), readiness (/ready) and Prometheus metrics (/metrics), api.md §8.
// /health and /metrics run on the I/O thread (no database); /ready runs on the request pool.

#include "server/core/result.h"
#include "server/http/router.h"

#include <QDateTime>
#include <QStringList>

#include <functional>

namespace bw {
class MetricsRegistry;
}

namespace bw::http {

struct ReadinessChecks {
    std::function<Status()> database;
    std::function<Status()> migrations;
    std::function<Status()> workers;
    std::function<Status()> storage;
    std::function<bool()> maintenance; // true while a restore/maintenance window is active
    QDateTime startedAt;
};

struct HealthDeps {
    ReadinessChecks ready;
    const MetricsRegistry *metrics = nullptr;
    QStringList metricsAllow; // client IPs allowed to read /metrics
    QString metricsToken;     // or this bearer token
};

void registerHealthRoutes(Router &router, HealthDeps deps);

} // namespace bw::http
