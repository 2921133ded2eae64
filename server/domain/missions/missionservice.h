#pragma once
// Missions, agent side (api.md §7): create from one's own approved solution, list one's own,
// read, PATCH under an optimistic lock on `version`, archive (soft delete). Every create/edit
// goes back to guardrail review in the same statement. Thread-safe: any thread (each call uses
// that thread's connection).

#include "server/domain/caller.h"
#include "server/domain/content/keysetlist.h"
#include "server/domain/content/problemservice.h"
#include "server/domain/missions/missioninput.h"

#include "server/core/result.h"

#include <optional>

namespace bw::domain {

class MissionService final {
public:
    explicit MissionService(db::Database &db);

    // 201 body: the stored mission as its creator sees it (guardrailStatus "pending", version 1).
    // 404 unknown solution, 403 another agent's or a not yet approved solution.
    Result<QByteArray> create(const Caller &caller, const MissionInput &input);

    // The caller's missions in any state, newest first.
    Result<Page> listOwn(const Caller &caller, const MissionQuery &query);

    // The creator: everything (+ guardrailExplanation). Others: approved missions only, with
    // approximate coordinates; anything else is 404.
    Result<QByteArray> get(const QString &id, const std::optional<Caller> &caller);

    // 404/403 as usual; 409 when input.version is given and stale, when claims are active
    // (currentClaimCount > 0), or when the mission is archived or verified. Bumps version.
    Result<QByteArray> update(const Caller &caller, const QString &id, const MissionInput &patch);

    // Soft delete (status archived; idempotent). 409 while claims are active.
    Result<QByteArray> archive(const Caller &caller, const QString &id);

    // The daily expiration job (operations.md, 02:00 UTC): open missions whose expires_at has
    // passed become `expired`. Returns how many. Blocking; call on a job worker thread.
    Result<int> expireOverdue();

    static KeysetSpec ownListSpec(const QString &callerId, const MissionQuery &query);

private:
    db::Database &m_db;
    CursorSource m_cursors;
};

} // namespace bw::domain
