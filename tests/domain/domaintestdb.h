#pragma once
// Shared by the domain db tests: a fresh migrated database, plus this layer's own migration
// (0003_problem_sort_indexes) from the source tree while the built-in resource list does not
// carry it yet. Test thread only.

#include "server/db/database.h"
#include "server/db/migrator.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"

#include <QFile>

#include <algorithm>

namespace bw::test {

// "" on failure (with a QWARN explaining why).
inline QString createDomainDatabase(PgFixture &pg)
{
    const QString name = pg.createMigratedDatabase();
    if (name.isEmpty())
        return {};
    QList<db::MigrationFile> files = db::Migrator::builtIn();
    const bool builtIn = std::any_of(files.cbegin(), files.cend(), [](const auto &f) { return f.version == 3; });
    if (!builtIn) {
        QFile file(QStringLiteral(BW_MIGRATIONS_SOURCE_DIR "/0003_problem_sort_indexes.sql"));
        if (!file.open(QIODevice::ReadOnly)) {
            qWarning("cannot read %s", qPrintable(file.fileName()));
            return {};
        }
        files.append(db::MigrationFile{3, QStringLiteral("problem_sort_indexes"), file.readAll(), QString()});
    }
    db::Database database(pg.settings(name));
    auto applied = db::Migrator(files).up(database.connection());
    database.releaseThisThread();
    if (!applied) {
        qWarning("%s", qPrintable(applied.error().message));
        return {};
    }
    return name;
}

} // namespace bw::test
