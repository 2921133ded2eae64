#include "app/readiness.h"

#include "server/db/database.h"
#include "server/db/migrator.h"

#include <QFileInfo>
#include <QStorageInfo>

namespace bw::app {

http::ReadinessChecks readinessChecks(db::Database &database, const QString &dataDir)
{
    http::ReadinessChecks ready;
    ready.database = [&database] { return database.ping(); };
    ready.migrations = [&database]() -> Status {
        auto upToDate = db::Migrator(db::Migrator::builtIn()).isUpToDate(database.connection());
        if (!upToDate)
            return upToDate.error();
        return *upToDate ? success() : Status(ApiError::unavailable(QStringLiteral("pending migrations")));
    };
    ready.storage = [dataDir]() -> Status {
        const QStorageInfo info(dataDir);
        if (!info.isValid() || !QFileInfo(dataDir).isWritable())
            return ApiError::unavailable(QStringLiteral("data directory is not writable"));
        if (info.bytesAvailable() < 100LL * 1024 * 1024)
            return ApiError::unavailable(QStringLiteral("less than 100 MB free in the data directory"));
        return success();
    };
    return ready;
}

} // namespace bw::app
