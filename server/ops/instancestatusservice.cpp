#include "server/ops/instancestatusservice.h"

#include "server/db/database.h"
#include "server/db/sql.h"

#include <QSqlQuery>

namespace bw::ops {

InstanceStatusService::InstanceStatusService(db::Database &db) : m_db(db) {}

Result<InstanceStatus> InstanceStatusService::current() const
{
    auto query = db::exec(m_db.connection(), QStringLiteral("SELECT current_setting('server_version'),"
                                                            " pg_database_size(current_database()),"
                                                            " (SELECT count(*) FROM agents),"
                                                            " (SELECT count(*) FROM problems)"));
    if (!query)
        return query.error();
    if (!query->next())
        return ApiError::internal(QStringLiteral("The database returned no row."));
    InstanceStatus s;
    s.databaseVersion = query->value(0).toString();
    s.databaseSizeBytes = query->value(1).toLongLong();
    s.agents = query->value(2).toLongLong();
    s.problems = query->value(3).toLongLong();
    return s;
}

} // namespace bw::ops
