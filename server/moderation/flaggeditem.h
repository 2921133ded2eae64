#pragma once
// Values of the moderators' review queue (flagged_content joined with its evaluation, agent and
// claimant): list filters, items, the detail view and a review decision, each with its JSON form
// for the admin API. Plain values: built on a worker/request thread, safe to hand to the GUI thread.

#include "server/core/result.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QString>

#include <optional>

namespace bw::moderation {

struct FlaggedQuery {
    QString status = QStringLiteral("pending_review"); // pending_review | approved | rejected | all
    QString contentType;                               // "" = any
    QString agentId;                                   // "" = any
    QString trustTier;                                 // new | verified | "" = any
    QString domain;                                    // alignment or submitted domain; "" = any
    QString assigned;                                  // "" any | "me" (my active claims) | "unclaimed"
    QString age;                                       // "" any | new | normal | attention | overdue (see ageBadgeFor)
    QString pattern;                                   // a Layer A pattern name that matched; "" = any
    bool newestFirst = false;                          // default: oldest first (the SLA order)
    QString cursor;
    int limit = 20; // 1–100

    // From GET query parameters (status, contentType, agentId, trustTier, domain, assigned, age,
    // pattern, order=oldest|newest, cursor, limit); invalid values → 422 with fields.
    static Result<FlaggedQuery> fromQuery(const QMap<QString, QString> &query);
};

struct FlaggedItem {
    QString id;
    QString evaluationId;
    QString contentId;
    QString contentType;
    QString agentId;
    QString agentUsername;
    QString status;     // pending_review | approved | rejected
    QString assignedTo; // moderator id of the latest claim ("" when never claimed or released)
    QString assignedToName;
    QDateTime claimedAt; // invalid when none (all times UTC)
    QDateTime claimExpiresAt;
    bool claimActive = false; // claimed and the lease has not expired
    QString decision;         // approve | reject | ""
    QString notes;
    QDateTime reviewedAt;
    QDateTime createdAt;
    qint64 ageSeconds = 0; // now − created_at (server clock)
    QString trustTier;
    QString domain;
    std::optional<double> alignmentScore;
    QString title; // the submission's title (or the start of its text), for the list

    // new (< 1 h) | normal (1–6 h) | attention (6–24 h) | overdue (≥ 24 h: the SLA is 24 h)
    static QString ageBadgeFor(qint64 ageSeconds);
    QString ageBadge() const { return ageBadgeFor(ageSeconds); }
    QJsonObject toJson() const;
};

struct FlaggedPage {
    QList<FlaggedItem> items;
    bool hasMore = false;
    QString nextCursor;
    QJsonArray itemsJson() const;
};

// Everything a moderator needs to decide one item.
struct FlaggedDetail {
    FlaggedItem item;
    QJsonObject evaluation;      // layer A/B results, scores, decision, provider, timings
    QJsonValue submittedContent; // the content as submitted (evaluation snapshot)
    QJsonValue liveContent;      // the content row as it is now (camelCase keys); null when gone
    QJsonObject agent;           // profile incl. claim status, rate-limit override, isActive, trustTier
    QJsonObject agentHistory;    // evaluations {approved, flagged, rejected, pending, total}, reviews {…}
    QJsonValue auditTrail;       // audit rows about this item, oldest first
    QJsonObject toJson() const;
};

struct ReviewDecision {
    QString decision; // approve | reject
    QString notes;    // trimmed, 10–2000 characters

    // {decision, notes} → value, or 422 with fields.
    static Result<ReviewDecision> parse(const QJsonObject &body);
    static Result<ReviewDecision> make(const QString &decision, const QString &notes);
};

// One item's outcome in a bulk review.
struct BulkOutcome {
    QString id;
    std::optional<ApiError> error; // nullopt: decided
};

// snake_case → camelCase keys (one level), for raw content rows.
QJsonObject camelCaseKeys(const QJsonObject &row);

} // namespace bw::moderation
