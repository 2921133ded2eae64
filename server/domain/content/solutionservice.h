#pragma once
// Solutions (api.md §7): create (row + guardrail evaluation + job + counters in one statement),
// keyset-paginated lists whose JSON PostgreSQL builds, single reads with owner-only visibility of
// non-approved rows, owner PATCH (re-evaluation, scores reset) and DELETE.
// Thread-safe: call from any thread (each call uses that thread's connection).

#include "server/domain/caller.h"
#include "server/domain/content/keysetlist.h"
#include "server/domain/content/problemservice.h"
#include "server/domain/content/solutioninput.h"

#include "server/core/result.h"

#include <QByteArray>

#include <optional>

namespace bw::domain {

class SolutionService final {
public:
    explicit SolutionService(db::Database &db);

    // 201 body: the stored solution (guardrailStatus "pending"). Unknown problem 404, another
    // agent's non-approved problem 403, archived problem 409.
    Result<QByteArray> create(const Caller &caller, const SolutionInput &input);

    // Public: approved only; mine=true (needs a caller, else 401): the caller's own in any state.
    Result<Page> list(const SolutionQuery &query, const std::optional<Caller> &caller);

    // 404 unknown; 403 another agent's non-approved solution; the owner also gets guardrailExplanation.
    Result<QByteArray> get(const QString &id, const std::optional<Caller> &caller);

    // Owner only (403); back to pending with a new evaluation, scores reset to 0. 409 when the
    // problem is archived.
    Result<QByteArray> update(const Caller &caller, const QString &id, const SolutionInput &patch);

    // Owner only; its debates go with it. 409 while it has missions that are not archived.
    Status remove(const Caller &caller, const QString &id);

    // The SQL list() runs (for EXPLAIN checks in tests).
    static KeysetSpec listSpec(const SolutionQuery &query, const QString &callerId);

private:
    db::Database &m_db;
    CursorSource m_cursors;
};

} // namespace bw::domain
