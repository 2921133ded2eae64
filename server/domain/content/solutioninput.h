#pragma once
// Validated solution bodies (POST /solutions, PATCH /solutions/:id — api.md §7) and the
// GET /solutions parameters. Pure values + validation; any thread.

#include "server/domain/content/contentinput.h"
#include "server/domain/content/contentsql.h"

#include "server/core/result.h"

#include <QJsonObject>
#include <QMap>

namespace bw::domain {

struct SolutionInput {
    QString problemId;              // create only (a solution never moves to another problem)
    contentsql::Assignments values; // solutions column → value; create: every column of columns()

    // All field errors together as one 422; unknown fields are ignored. Patch: at least one field,
    // null clears estimatedCost/timelineEstimate (and empties the lists).
    static Result<SolutionInput> parse(const QJsonObject &body, contentinput::Mode mode);
    static const QList<contentsql::Column> &columns();
};

struct SolutionQuery {
    enum class Sort { Recent, Score };
    contentinput::ListParams page;
    QString problemId; // empty = any
    QString status;    // empty = any
    bool mine = false; // the caller's own solutions in any guardrail state
    Sort sort = Sort::Recent;

    // 422 with the offending parameters. sort=votes (the reference API's name) means recent.
    static Result<SolutionQuery> fromQuery(const QMap<QString, QString> &query);
    static const QStringList &statuses();
};

} // namespace bw::domain
