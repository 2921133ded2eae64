#pragma once
// The moderators' review queue (guardrails.md "Human review"): list flagged items oldest first,
// show everything needed to decide one, claim it under an expiring lease, release it, and approve
// or reject it — only the claimant, notes required. A decision writes the flagged row, the
// evaluation's final decision, the content's guardrail_status (any content type) and an audit row
// in ONE transaction. Used in-process by the desktop panels and, through a thin controller, by
// the admin HTTP API. Thread-safe and stateless: call from any thread except the GUI thread
// (each call does SQL on the calling thread's connection).

#include "admincaller.h"
#include "flaggeditem.h"

#include "server/core/result.h"
#include "server/db/cursorsource.h"

#include <QStringList>

#include <chrono>
#include <memory>
#include <mutex>

namespace bw {
class CursorCodec;
class MetricsRegistry;
namespace db {
class Database;
}
} // namespace bw

namespace bw::moderation {

class ReviewService final {
public:
    struct Options {
        std::chrono::seconds claimLease{std::chrono::minutes(15)};
        MetricsRegistry *metrics = nullptr; // moderation_reviews_total{decision} when set
    };

    struct QueueStats {
        qint64 pending = 0;
        qint64 claimed = 0;          // pending items under an active claim
        qint64 overdue = 0;          // pending for ≥ 24 h
        qint64 oldestAgeSeconds = 0; // 0 when the queue is empty
    };

    explicit ReviewService(db::Database &db);
    ReviewService(db::Database &db, Options options);
    ~ReviewService();

    // Keyset-paginated queue (oldest first unless query.newestFirst). Tampered cursor → 400.
    Result<FlaggedPage> list(const AdminCaller &actor, const FlaggedQuery &query);
    // 404 for unknown/malformed ids.
    Result<FlaggedDetail> detail(const AdminCaller &actor, const QString &id);

    // Exclusive claim with a lease (Options::claimLease). Claiming one's own active claim renews
    // the lease. 404 unknown; 409 CONFLICT already decided; 409 ALREADY_CLAIMED while another
    // moderator's lease runs (details: claimedBy, claimExpiresAt). Of two racing claims exactly
    // one wins (the row lock serialises them).
    Result<FlaggedItem> claim(const AdminCaller &actor, const QString &id);
    // Drops the claim. The claimant (even after the lease ran out) or an administrator; others →
    // 403. 409 when decided or not claimed.
    Result<FlaggedItem> release(const AdminCaller &actor, const QString &id);
    // Approve or reject. 404 unknown; 409 CONFLICT already decided; 403 unless the caller holds an
    // active claim; 422 invalid decision/notes. Approval publishes the content.
    Result<FlaggedItem> review(const AdminCaller &actor, const QString &id, const ReviewDecision &decision);
    // The same decision for several items, each in its own transaction (claims still required).
    QList<BulkOutcome> reviewMany(const AdminCaller &actor, const QStringList &ids, const ReviewDecision &decision);

    // Queue depth and age, for dashboards and alerts.
    Result<QueueStats> stats();

    std::chrono::seconds claimLease() const { return m_options.claimLease; }

private:
    Result<FlaggedItem> loadItem(const QString &id);
    void countDecision(const QString &decision);

    db::Database &m_db;
    Options m_options;
    db::CursorSource m_cursors{m_db}; // settings 'cursor_signing_key', loaded once
};

} // namespace bw::moderation
