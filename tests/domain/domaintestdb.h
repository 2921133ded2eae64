#pragma once
// Shared by the domain db tests: a fresh database with every built-in migration, including this
// layer's 0003_problem_sort_indexes (the list's EXPLAIN checks rely on it). Test thread only.

#include "server/db/database.h"
#include "server/db/migrator.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"
#include "tests/support/testdb.h"

#include <algorithm>

namespace bw::test {

// "" on failure (with a QWARN explaining why).
inline QString createDomainDatabase(PgFixture &pg)
{
    const QList<db::MigrationFile> files = db::Migrator::builtIn();
    if (std::none_of(files.cbegin(), files.cend(),
                     [](const auto &f) { return f.name == QLatin1String("problem_sort_indexes"); })) {
        qWarning("migration 0003_problem_sort_indexes is not built in");
        return {};
    }
    return pg.createMigratedDatabase();
}

} // namespace bw::test
