#pragma once
// Owner edits of problem reports: PATCH (re-evaluation: the row goes back to pending with a new
// guardrail evaluation + job, in one statement) and DELETE (the problem, its solutions and their
// debates). Stateless: call from any thread (uses that thread's connection).

#include "server/domain/caller.h"
#include "server/domain/content/problempatch.h"

#include "server/core/result.h"

#include <QByteArray>

namespace bw::db {
class Database;
}

namespace bw::domain {

class ProblemEditService final {
public:
    explicit ProblemEditService(db::Database &db) : m_db(db) {}

    // 200 body: the updated problem (guardrailStatus "pending", a new guardrailEvaluationId).
    // 404 unknown/malformed id, 403 another agent's problem.
    Result<QByteArray> update(const Caller &caller, const QString &id, const ProblemPatch &patch);

    // 404 / 403 as update; 409 while any of its solutions has missions that are not archived.
    Status remove(const Caller &caller, const QString &id);

private:
    db::Database &m_db;
};

} // namespace bw::domain
