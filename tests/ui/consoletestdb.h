#pragma once
// Shared by the console panel tests (jobs, agents, backups, settings): a migrated database on the
// test's PgFixture, a DbWorker over it, the console's services over it (as the app builds them)
// and an administrator/moderator caller. Test thread only; the test itself may run SQL on the
// main thread (the panels never do).

#include "app/desktopcontexts.h"
#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/moderation/admincaller.h"
#include "tests/support/pgfixture.h"
#include "ui/common/dbworker.h"

#include <QSqlQuery>
#include <QTest>

#include <memory>

namespace bw::test {

inline moderation::AdminCaller consoleCaller(const QString &role)
{
    moderation::AdminCaller c;
    c.moderatorId = ids::newUuid(); // audit_log.actor_id has no foreign key
    c.email = role + QStringLiteral("@example.org");
    c.displayName = role;
    c.role = role;
    return c;
}

// One scalar from the database (main thread), as text; "" on error (with a warning).
inline QString scalar(db::Database &database, const QString &sql, const QVariantList &binds = {})
{
    auto q = db::exec(database.connection(), sql, binds);
    if (!q) {
        qWarning("scalar: %s", qPrintable(q.error().message));
        return {};
    }
    return q->next() ? q->value(0).toString() : QString();
}

struct ConsoleDb {
    std::unique_ptr<db::Database> database;
    std::unique_ptr<ui::DbWorker> worker;

    bool open(PgFixture &pg)
    {
        const QString name = pg.createMigratedDatabase();
        if (name.isEmpty())
            return false;
        database = std::make_unique<db::Database>(pg.settings(name));
        worker = std::make_unique<ui::DbWorker>([db = database.get()] { db->releaseThisThread(); });
        return true;
    }
    // The database services and the worker for a context whose other fields are set.
    void addTo(ui::ConsoleContext &c) const
    {
        app::addDatabaseServices(c, *database);
        c.worker = worker.get();
    }
    void close()
    {
        worker.reset(); // joins its thread, which releases its connection
        if (database)
            database->releaseThisThread();
        database.reset();
    }
};

} // namespace bw::test
