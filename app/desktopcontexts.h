#pragma once
// What the desktop hands the console once the Runtime is ready: the Overview's facts and the
// services the API uses, called in-process by the panels. Header-only: the headless build
// (bw_appcore) has no ui/; the desktop and the console tests include it.

#include "app/runtime.h"
#include "ui/common/consolecontext.h"
#include "ui/overview/overviewcontext.h"

#include <QPointer>

namespace bw::app {

inline ui::OverviewContext overviewContext(Runtime &runtime)
{
    ui::OverviewContext context;
    context.database = runtime.database();
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
    console.database = runtime.database();
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
    return console;
}

} // namespace bw::app
