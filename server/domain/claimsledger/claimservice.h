#pragma once
// Humans claiming missions (humans.md §3): claim an approved, open, unexpired mission; abandon it;
// list one's own claims; and the daily expiry of overdue claims. missions.current_claim_count is
// the number of active + submitted claims; it only changes under the mission's row lock, so of
// any number of concurrent claims for the last slot exactly one wins. Agents see that count on
// their missions, never who claimed. Thread-safe and stateless: any thread except the GUI thread
// (SQL on the calling thread's connection).

#include "server/domain/content/keysetlist.h"
#include "server/domain/content/problemservice.h"

#include "server/core/result.h"

#include <QJsonObject>
#include <QMap>
#include <QString>

namespace bw::db {
class Database;
}

namespace bw::domain {

struct ClaimReceipt {
    QString claimId;
    QString missionId;
    QString status;     // active
    QString deadlineAt; // ISO-8601 UTC

    QJsonObject toJson() const; // {claimId, missionId, status, deadlineAt}
};

// GET /missions/mine: ?status=active|submitted|completed|abandoned|expired&cursor&limit.
struct ClaimQuery {
    QString status; // "" = every status
    QString cursor;
    int limit = 20;

    static Result<ClaimQuery> fromQuery(const QMap<QString, QString> &query); // 422 on bad values
};

class ClaimService final {
public:
    static constexpr int kMaxActiveClaimsPerHuman = 3;
    static constexpr int kMinimumDeadlineHours = 24;
    static constexpr int kDurationFactor = 3; // deadline = now + max(duration × 3, 24 h), capped at expiry

    explicit ClaimService(db::Database &db);

    // 201 body. 404 unknown human or mission (or one not approved); 409 CONFLICT when the mission is
    // not open or has expired; 409 ALREADY_CLAIMED (this human holds a live or completed claim on
    // it), MISSION_FULL (maxClaims active + submitted claims), CLAIM_LIMIT_REACHED (3 active claims).
    Result<ClaimReceipt> claim(const QString &humanId, const QString &missionId);

    // The human gives an active claim up; its slot is free at once. missionId, when given, must be
    // the claim's mission. 404 unknown or another human's claim; 409 when it is not active.
    // Returns the claim as listMine shows it.
    Result<QJsonObject> abandon(const QString &humanId, const QString &claimId, const QString &missionId = {},
                                const QString &reason = {});

    // The human's claims, newest first, each with a summary of its mission.
    Result<Page> listMine(const QString &humanId, const ClaimQuery &query);

    // The daily claims-expiry job: active claims past their deadline become expired and free their
    // slots, in batches of batchSize (short transactions). Returns how many expired.
    Result<int> expireOverdue(int batchSize = 500);

private:
    db::Database &m_db;
    CursorSource m_cursors;
};

} // namespace bw::domain
