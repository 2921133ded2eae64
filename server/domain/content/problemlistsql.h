#pragma once
// Builds the keyset-paginated SQL for GET /problems: one statement that returns the page's JSON
// array text (built by PostgreSQL), the fetched row count and the last shown row's sort position.
// Separate from ProblemService so tests can EXPLAIN exactly what the service runs. Pure; any thread.

#include "server/domain/content/problemquery.h"

#include <QJsonObject>
#include <QString>
#include <QVariantList>

#include <optional>

namespace bw::domain {

struct ProblemListSql {
    QString sql;
    QVariantList binds;

    // ownerId: required when query.mine. position: a decoded, verified cursor (see positionFor…).
    static ProblemListSql build(const ProblemQuery &query, const QString &ownerId, const std::optional<QJsonObject> &position);

    // Checks a decoded cursor against the query's sort; false → INVALID_CURSOR.
    static bool positionValid(const ProblemQuery &query, const QJsonObject &position);
};

} // namespace bw::domain
