#pragma once
// The authenticated moderator or administrator behind an admin action, as
// AdminAuthService::authenticate (HTTP) or login (desktop, in-process) resolved it.
// A plain value: built on a request-pool or worker thread, copied freely between threads.

#include <QString>

namespace bw::moderation {

struct AdminCaller {
    QString moderatorId;
    QString email;
    QString displayName;
    QString role;      // admin | moderator
    QString sessionId; // the admin_sessions row ("" for the CLI or an in-process caller without one)
    QString ip;        // where the action comes from, recorded in the audit log ("" = unknown/local)

    bool isAdmin() const { return role == QLatin1String("admin"); }
};

} // namespace bw::moderation
