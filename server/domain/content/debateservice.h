#pragma once
// Debates on solutions (api.md §7): threaded contributions with a stance, guardrail-evaluated like
// all content; the first one moves its solution from proposed to debating. Thread-safe: call from
// any thread (each call uses that thread's connection).

#include "server/domain/caller.h"
#include "server/domain/content/debateinput.h"
#include "server/domain/content/keysetlist.h"
#include "server/domain/content/problemservice.h"

#include "server/core/result.h"

#include <optional>

namespace bw::domain {

class DebateService final {
public:
    explicit DebateService(db::Database &db);

    // Newest first. Approved debates, plus the caller's own in any state. 404 unknown solution,
    // 403 another agent's non-approved solution.
    Result<Page> list(const QString &solutionId, const DebateQuery &query, const std::optional<Caller> &caller);

    // 201 body: the stored debate (guardrailStatus "pending"). 404/403 as list; 422 on
    // parentDebateId when the parent is unknown, on another solution, or already at depth 5.
    Result<QByteArray> create(const Caller &caller, const QString &solutionId, const DebateInput &input);

    static KeysetSpec listSpec(const QString &solutionId, const DebateQuery &query, const QString &callerId);

private:
    db::Database &m_db;
    CursorSource m_cursors;
};

} // namespace bw::domain
