#pragma once
// What the desktop hands the console once the Runtime is ready: the Overview's facts and the
// services the API uses, called in-process by the panels, plus the console's own services over
// the database (addDatabaseServices, also used by the console tests). Header-only: the headless
// build (bw_appcore) has no ui/; the desktop and the console tests include it.

#include "app/runtime.h"
#include "server/db/database.h"
#include "server/jobs/jobqueuequery.h"
#include "server/moderation/agentadminservice.h"
#include "server/moderation/settingsservice.h"
#include "server/monitoring/monitoringservice.h"
#include "server/ops/instancestatusservice.h"
#include "server/ops/opsservices.h"
#include "ui/common/consolecontext.h"
#include "ui/overview/overviewcontext.h"

#include <QPointer>

namespace bw::app {

// The Overview's database part: the instance facts and the worker thread's connection release.
// database must outlive the window's DbWorker (MainWindow::setServerStopping joins it).
inline void addDatabaseServices(ui::OverviewContext &context, db::Database &database)
{
    context.instanceStatus = std::make_shared<ops::InstanceStatusService>(database);
    context.releaseThreadConnection = [db = &database] { db->releaseThisThread(); };
}

// The console's services over the database. Reads config, secrets, heartbeat, setMaintenance and
// metrics from `console`: set those first. database must outlive the console's worker threads.
inline void addDatabaseServices(ui::ConsoleContext &console, db::Database &database)
{
    console.agentAdmin = std::make_shared<moderation::AgentAdminService>(database, console.config ? console.config->rateLimits
                                                                                                  : RateLimitConfig{});
    console.settings = std::make_shared<moderation::SettingsService>(database, console.secrets, console.heartbeat);
    console.jobQueue = std::make_shared<jobs::JobQueueQuery>(database);
    console.monitoring = std::make_shared<monitoring::MonitoringService>(database);
    console.makeOpsServices = [config = console.config, db = &database, secrets = console.secrets,
                               maintenance = console.setMaintenance,
                               metrics = console.metrics]() -> std::unique_ptr<ops::OpsServices> {
        if (!config)
            return nullptr;
        return ops::OpsServices::create(*config, *db, secrets, maintenance, metrics);
    };
    console.releaseThreadConnection = [db = &database] { db->releaseThisThread(); };
}

inline ui::OverviewContext overviewContext(Runtime &runtime)
{
    ui::OverviewContext context;
    if (db::Database *database = runtime.database())
        addDatabaseServices(context, *database);
    context.metrics = &runtime.metrics();
    context.listenAddress = QStringLiteral("%1:%2").arg(runtime.config().listenHost).arg(runtime.port());
    context.embeddedDatabase = runtime.config().embeddedDatabase();
    context.databaseDescription = runtime.databaseDescription();
    context.startedAt = runtime.startedAt();
    return context;
}

inline ui::ConsoleContext consoleContext(Runtime &runtime)
{
    ui::ConsoleContext console;
    console.config = &runtime.config();
    console.metrics = &runtime.metrics();
    console.secrets = runtime.secrets();
    console.adminAuth = runtime.adminAuth();
    console.reviews = runtime.reviews();
    console.adminOps = runtime.adminOps();
    console.jobs = runtime.jobs();
    console.guardrails = runtime.guardrails();
    console.verification = runtime.verification();
    console.heartbeat = runtime.heartbeat();
    console.setMaintenance = [guard = QPointer<Runtime>(&runtime)](bool on) {
        if (guard)
            guard->setMaintenance(on);
    };
    if (db::Database *database = runtime.database())
        addDatabaseServices(console, *database);
    return console;
}

} // namespace bw::app
