#pragma once
// A validated PATCH /problems/:id body: the same rules as ProblemInput, every field optional
// (at least one), null clears an optional field. Pure value + validation; any thread.

#include "server/domain/content/contentsql.h"

#include "server/core/result.h"

#include <QJsonObject>

namespace bw::domain {

struct ProblemPatch {
    contentsql::Assignments values; // problems column → new value

    // All field errors together as one 422; unknown fields are ignored.
    static Result<ProblemPatch> parse(const QJsonObject &body);
    // The updatable columns (one fixed UPDATE statement serves every PATCH).
    static const QList<contentsql::Column> &columns();
};

} // namespace bw::domain
