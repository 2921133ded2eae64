#include "reviewservice.h"

#include "auditlog.h"
#include "contenttables.h"
#include "moderationsql_p.h"

#include "server/core/cursor.h"
#include "server/core/ids.h"
#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/domain/sqljson.h"

#include <QLoggingCategory>
#include <QSqlQuery>

Q_LOGGING_CATEGORY(lcReview, "bw.moderation.review")

namespace bw::moderation {

using domain::sqljson::exactTimestamp;
using domain::sqljson::isoTimestamp;

namespace {

Status requireModerator(const AdminCaller &actor)
{
    if (actor.moderatorId.isEmpty() || (actor.role != u"admin" && actor.role != u"moderator"))
        return ApiError::forbidden(QStringLiteral("Moderator or administrator role required"));
    return success();
}

QDateTime parseTime(const QVariant &v)
{
    return v.isNull() ? QDateTime() : QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
}

// The item's columns, in the order parseItem() reads them; column 21 is the exact created_at
// for cursors. LEFT JOINs: an item stays visible even if its agent or evaluation row is gone.
const QString &itemSelect()
{
    static const QString sql =
        QStringLiteral(
            "SELECT f.id::text, f.evaluation_id::text, f.content_id::text, f.content_type, f.agent_id::text, a.username,"
            " f.status, f.assigned_to::text, coalesce(nullif(m.display_name, ''), m.email),"
            " %1, %2, (f.assigned_to IS NOT NULL AND coalesce(f.claim_expires_at > now(), false)),"
            " f.decision, f.notes, %3, %4,"
            " floor(extract(epoch FROM now() - f.created_at))::bigint, e.trust_tier,"
            " coalesce(e.alignment_domain, e.submitted_content->>'domain'), e.alignment_score::float8,"
            " left(coalesce(e.submitted_content->>'title', e.submitted_content->>'content',"
            "  e.submitted_content->>'description', ''), 200),"
            " %5"
            " FROM flagged_content f"
            " LEFT JOIN guardrail_evaluations e ON e.id = f.evaluation_id"
            " LEFT JOIN agents a ON a.id = f.agent_id"
            " LEFT JOIN moderators m ON m.id = f.assigned_to")
            .arg(isoTimestamp(QStringLiteral("f.claimed_at")), isoTimestamp(QStringLiteral("f.claim_expires_at")),
                 isoTimestamp(QStringLiteral("f.reviewed_at")), isoTimestamp(QStringLiteral("f.created_at")),
                 exactTimestamp(QStringLiteral("f.created_at")));
    return sql;
}

FlaggedItem parseItem(const QSqlQuery &q)
{
    FlaggedItem item;
    item.id = q.value(0).toString();
    item.evaluationId = q.value(1).toString();
    item.contentId = q.value(2).toString();
    item.contentType = q.value(3).toString();
    item.agentId = q.value(4).toString();
    item.agentUsername = q.value(5).toString();
    item.status = q.value(6).toString();
    item.assignedTo = q.value(7).toString();
    item.assignedToName = q.value(8).toString();
    item.claimedAt = parseTime(q.value(9));
    item.claimExpiresAt = parseTime(q.value(10));
    item.claimActive = q.value(11).toBool();
    item.decision = q.value(12).toString();
    item.notes = q.value(13).toString();
    item.reviewedAt = parseTime(q.value(14));
    item.createdAt = parseTime(q.value(15));
    item.ageSeconds = q.value(16).toLongLong();
    item.trustTier = q.value(17).toString();
    item.domain = q.value(18).toString();
    if (!q.value(19).isNull())
        item.alignmentScore = q.value(19).toDouble();
    item.title = q.value(20).toString();
    return item;
}

// The flagged row locked for a state change (FOR UPDATE: concurrent claims/reviews of one item
// queue up here and each sees the previous one's committed result).
struct Locked {
    QString status;
    QString assignedTo;
    bool claimActive = false;
    QString claimExpiresAt; // ISO text or ""
    QString contentType;
    QString contentId;
    QString evaluationId;
};

// Locks the row for this transaction; claim, release and review all need it still undecided
// (409 CONFLICT otherwise).
Result<Locked> lockPendingItem(QSqlDatabase db, const QString &id)
{
    auto q = db::exec(db,
                      QStringLiteral("SELECT status, assigned_to::text,"
                                     " (assigned_to IS NOT NULL AND coalesce(claim_expires_at > now(), false)),"
                                     " %1, content_type, content_id::text, evaluation_id::text"
                                     " FROM flagged_content WHERE id = ?::uuid FOR UPDATE")
                          .arg(isoTimestamp(QStringLiteral("claim_expires_at"))),
                      {id});
    if (!q)
        return q.error();
    if (!q->next())
        return detail::notFound(QStringLiteral("Flagged item"));
    Locked row{q->value(0).toString(), q->value(1).toString(), q->value(2).toBool(),  q->value(3).toString(),
               q->value(4).toString(), q->value(5).toString(), q->value(6).toString()};
    if (row.status != u"pending_review")
        return ApiError::conflict(QStringLiteral("Flagged item was already decided (%1)").arg(row.status));
    return row;
}

QJsonValue textOrNull(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}

QJsonObject claimJson(const QString &assignedTo, const QString &expiresAt)
{
    return QJsonObject{{QStringLiteral("assignedTo"), textOrNull(assignedTo)},
                       {QStringLiteral("claimExpiresAt"), textOrNull(expiresAt)}};
}

} // namespace

ReviewService::ReviewService(db::Database &db) : ReviewService(db, Options{}) {}
ReviewService::ReviewService(db::Database &db, Options options) : m_db(db), m_options(options) {}
ReviewService::~ReviewService() = default;

Result<FlaggedPage> ReviewService::list(const AdminCaller &actor, const FlaggedQuery &query)
{
    if (Status s = requireModerator(actor); !s)
        return s.error();
    QStringList where;
    QVariantList binds;
    const auto add = [&](const QString &predicate, const QVariantList &values) {
        where << predicate;
        binds << values;
    };
    // A literal (the value is validated against a fixed list): the planner then uses the partial
    // queue index (WHERE status = 'pending_review') whatever the plan cache does.
    if (query.status == u"pending_review" || query.status == u"approved" || query.status == u"rejected")
        where << QStringLiteral("f.status = '%1'").arg(query.status);
    else if (query.status != u"all")
        return ApiError::badRequest(QStringLiteral("unknown status filter"));
    if (!query.contentType.isEmpty())
        add(QStringLiteral("f.content_type = ?"), {query.contentType});
    if (!query.agentId.isEmpty())
        add(QStringLiteral("f.agent_id = ?::uuid"), {query.agentId});
    if (!query.trustTier.isEmpty())
        add(QStringLiteral("e.trust_tier = ?"), {query.trustTier});
    if (!query.domain.isEmpty())
        add(QStringLiteral("coalesce(e.alignment_domain, e.submitted_content->>'domain') = ?"), {query.domain});
    // Age bands as in FlaggedItem::ageBadgeFor (1 h, 6 h, 24 h).
    if (query.age == u"new")
        where << QStringLiteral("f.created_at > now() - interval '1 hour'");
    else if (query.age == u"normal")
        where << QStringLiteral("f.created_at <= now() - interval '1 hour' AND f.created_at > now() - interval '6 hours'");
    else if (query.age == u"attention")
        where << QStringLiteral("f.created_at <= now() - interval '6 hours' AND f.created_at > now() - interval '24 hours'");
    else if (query.age == u"overdue")
        where << QStringLiteral("f.created_at <= now() - interval '24 hours'");
    if (!query.pattern.isEmpty()) // layer_a_result = {passed, matches: [{pattern, severity, text}], …}
        add(QStringLiteral("e.layer_a_result->'matches' @> jsonb_build_array(jsonb_build_object('pattern', ?::text))"),
            {query.pattern});
    if (query.assigned == u"me")
        add(QStringLiteral("f.assigned_to = ?::uuid AND f.claim_expires_at > now()"), {actor.moderatorId});
    else if (query.assigned == u"unclaimed")
        add(QStringLiteral("(f.assigned_to IS NULL OR f.claim_expires_at IS NULL OR f.claim_expires_at <= now())"), {});

    const QString order = query.newestFirst ? QStringLiteral("desc") : QStringLiteral("asc");
    std::shared_ptr<const CursorCodec> codec;
    if (auto c = m_cursors.codec(); c)
        codec = *c;
    else
        return c.error();
    if (!query.cursor.isEmpty()) {
        auto pos = detail::decodeCursor(*codec, query.cursor, QStringLiteral("flagged"));
        if (!pos)
            return pos.error();
        const QString at = pos->value(QStringLiteral("c")).toString();
        const QString id = pos->value(QStringLiteral("i")).toString();
        if (pos->value(QStringLiteral("o")).toString() != order || at.isEmpty() || !ids::isUuid(id))
            return ApiError::make(ErrorKind::InvalidCursor, QStringLiteral("Invalid cursor"));
        add(QStringLiteral("(f.created_at, f.id) %1 (?::timestamptz, ?::uuid)")
                .arg(query.newestFirst ? QStringLiteral("<") : QStringLiteral(">")),
            {at, id});
    }
    binds << query.limit + 1;
    const QString direction = query.newestFirst ? QStringLiteral("DESC") : QStringLiteral("ASC");
    const QString sql = itemSelect()
                        + (where.isEmpty() ? QString() : QStringLiteral(" WHERE ") + where.join(QStringLiteral(" AND ")))
                        + QStringLiteral(" ORDER BY f.created_at %1, f.id %1 LIMIT ?").arg(direction);
    auto q = db::exec(m_db.connection(), sql, binds);
    if (!q)
        return q.error();
    FlaggedPage page;
    QString lastAt;
    while (q->next()) {
        if (page.items.size() == query.limit) {
            page.hasMore = true;
            break;
        }
        page.items << parseItem(*q);
        lastAt = q->value(21).toString();
    }
    if (page.hasMore)
        page.nextCursor = codec->encode(QJsonObject{{QStringLiteral("t"), QStringLiteral("flagged")},
                                                    {QStringLiteral("o"), order},
                                                    {QStringLiteral("c"), lastAt},
                                                    {QStringLiteral("i"), page.items.last().id}});
    return page;
}

Result<FlaggedItem> ReviewService::loadItem(const QString &id)
{
    auto q = db::exec(m_db.connection(), itemSelect() + QStringLiteral(" WHERE f.id = ?::uuid"), {id});
    if (!q)
        return q.error();
    if (!q->next())
        return detail::notFound(QStringLiteral("Flagged item"));
    return parseItem(*q);
}

Result<FlaggedDetail> ReviewService::detail(const AdminCaller &actor, const QString &id)
{
    if (Status s = requireModerator(actor); !s)
        return s.error();
    if (!ids::isUuid(id))
        return detail::notFound(QStringLiteral("Flagged item"));
    auto item = loadItem(id);
    if (!item)
        return item.error();

    FlaggedDetail out;
    out.item = *item;
    QSqlDatabase db = m_db.connection();
    static const QString sql =
        QStringLiteral(
            "SELECT"
            " (SELECT json_build_object('id', e.id, 'contentType', e.content_type, 'contentId', e.content_id,"
            "  'finalDecision', e.final_decision, 'layerAResult', e.layer_a_result, 'layerBResult', e.layer_b_result,"
            "  'alignmentScore', e.alignment_score::float8, 'alignmentDomain', e.alignment_domain, 'cacheHit', e.cache_hit,"
            "  'trustTier', e.trust_tier, 'provider', e.provider, 'costCents', e.cost_cents::float8,"
            "  'createdAt', %1, 'completedAt', %2, 'evaluationDurationMs', e.evaluation_duration_ms)"
            "  FROM guardrail_evaluations e WHERE e.id = f.evaluation_id)::text,"
            " (SELECT e.submitted_content FROM guardrail_evaluations e WHERE e.id = f.evaluation_id)::text,"
            " (SELECT row_to_json(j) FROM agents a, LATERAL (SELECT %3) j WHERE a.id = f.agent_id)::text,"
            " (SELECT json_build_object('approved', count(*) FILTER (WHERE g.final_decision = 'approved'),"
            "  'flagged', count(*) FILTER (WHERE g.final_decision = 'flagged'),"
            "  'rejected', count(*) FILTER (WHERE g.final_decision = 'rejected'),"
            "  'pending', count(*) FILTER (WHERE g.final_decision IS NULL), 'total', count(*))"
            "  FROM guardrail_evaluations g WHERE g.agent_id = f.agent_id)::text,"
            " (SELECT json_build_object('pendingReview', count(*) FILTER (WHERE h.status = 'pending_review'),"
            "  'approved', count(*) FILTER (WHERE h.status = 'approved'),"
            "  'rejected', count(*) FILTER (WHERE h.status = 'rejected'))"
            "  FROM flagged_content h WHERE h.agent_id = f.agent_id)::text"
            " FROM flagged_content f WHERE f.id = ?::uuid")
            .arg(isoTimestamp(QStringLiteral("e.created_at")), isoTimestamp(QStringLiteral("e.completed_at")),
                 domain::sqljson::agentColumns(QStringLiteral("a"), true));
    auto q = db::exec(db, sql, {id});
    if (!q)
        return q.error();
    if (!q->next())
        return detail::notFound(QStringLiteral("Flagged item"));
    auto evaluation = detail::parseJson(q->value(0).toString(), "evaluation");
    auto submitted = detail::parseJson(q->value(1).toString(), "submitted content");
    auto agent = detail::parseJson(q->value(2).toString(), "agent");
    auto evaluations = detail::parseJson(q->value(3).toString(), "agent evaluations");
    auto reviews = detail::parseJson(q->value(4).toString(), "agent reviews");
    for (const auto *r : {&evaluation, &submitted, &agent, &evaluations, &reviews})
        if (!r->ok())
            return r->error();
    out.evaluation = evaluation->toObject();
    out.submittedContent = *submitted;
    out.agent = agent->toObject();
    if (!out.agent.isEmpty())
        out.agent.insert(QStringLiteral("trustTier"), textOrNull(item->trustTier)); // the tier the evaluation used
    out.agentHistory = QJsonObject{{QStringLiteral("evaluations"), *evaluations}, {QStringLiteral("reviews"), *reviews}};
    q->finish();

    out.liveContent = QJsonValue::Null;
    if (const auto table = contenttables::tableFor(item->contentType)) {
        // A content table another migration has not created yet simply shows no live row.
        auto exists = db::exec(db, QStringLiteral("SELECT to_regclass(?) IS NOT NULL"), {*table});
        if (!exists)
            return exists.error();
        if (exists->next() && exists->value(0).toBool()) {
            exists->finish();
            auto live = db::exec(db, QStringLiteral("SELECT to_jsonb(c)::text FROM %1 c WHERE c.id = ?::uuid").arg(*table),
                                 {item->contentId});
            if (!live)
                return live.error();
            if (live->next()) {
                auto row = db::jsonObject(live->value(0).toString(), "content");
                if (!row)
                    return row.error();
                out.liveContent = camelCaseKeys(*row);
            }
        }
    }
    auto trail = audit::forTarget(db, QStringLiteral("flagged_content"), id);
    if (!trail)
        return trail.error();
    out.auditTrail = *trail;
    return out;
}

Result<FlaggedItem> ReviewService::claim(const AdminCaller &actor, const QString &id)
{
    if (Status s = requireModerator(actor); !s)
        return s.error();
    if (!ids::isUuid(id))
        return detail::notFound(QStringLiteral("Flagged item"));
    QSqlDatabase db = m_db.connection();
    Status changed = audit::inTransaction(db, [&](AuditEntry &entry) -> Status {
        auto row = lockPendingItem(db, id);
        if (!row)
            return row.error();
        const bool mine = row->assignedTo.compare(actor.moderatorId, Qt::CaseInsensitive) == 0;
        if (row->claimActive && !mine)
            return ApiError::make(ErrorKind::AlreadyClaimed, QStringLiteral("Flagged item is claimed by another moderator"),
                                  QJsonObject{{QStringLiteral("claimedBy"), row->assignedTo},
                                              {QStringLiteral("claimExpiresAt"), row->claimExpiresAt}});
        const bool renewal = row->claimActive && mine;
        auto q = db::exec(db,
                          QStringLiteral("UPDATE flagged_content SET assigned_to = ?::uuid,"
                                         " claimed_at = CASE WHEN ? THEN claimed_at ELSE now() END,"
                                         " claim_expires_at = now() + make_interval(secs => ?)"
                                         " WHERE id = ?::uuid RETURNING %1")
                              .arg(isoTimestamp(QStringLiteral("claim_expires_at"))),
                          {actor.moderatorId, renewal, double(m_options.claimLease.count()), id});
        if (!q)
            return q.error();
        const QString expires = q->next() ? q->value(0).toString() : QString();
        entry = AuditEntry::byModerator(actor, QStringLiteral("flagged.claim"), QStringLiteral("flagged_content"), id);
        entry.before = claimJson(row->assignedTo, row->claimExpiresAt);
        QJsonObject after = claimJson(actor.moderatorId, expires);
        after.insert(QStringLiteral("renewed"), renewal);
        entry.after = after;
        return success();
    });
    if (!changed)
        return changed.error();
    return loadItem(id);
}

Result<FlaggedItem> ReviewService::release(const AdminCaller &actor, const QString &id)
{
    if (Status s = requireModerator(actor); !s)
        return s.error();
    if (!ids::isUuid(id))
        return detail::notFound(QStringLiteral("Flagged item"));
    QSqlDatabase db = m_db.connection();
    Status changed = audit::inTransaction(db, [&](AuditEntry &entry) -> Status {
        auto row = lockPendingItem(db, id);
        if (!row)
            return row.error();
        const bool mine = !row->assignedTo.isEmpty() && row->assignedTo.compare(actor.moderatorId, Qt::CaseInsensitive) == 0;
        if (row->assignedTo.isEmpty() || (!row->claimActive && !mine))
            return ApiError::conflict(QStringLiteral("Flagged item is not claimed"));
        if (!mine && !actor.isAdmin())
            return ApiError::forbidden(QStringLiteral("Only the claimant or an administrator can release this claim"));
        auto q = db::exec(db,
                          QStringLiteral("UPDATE flagged_content SET assigned_to = NULL, claimed_at = NULL,"
                                         " claim_expires_at = NULL WHERE id = ?::uuid"),
                          {id});
        if (!q)
            return q.error();
        entry = AuditEntry::byModerator(actor, QStringLiteral("flagged.release"), QStringLiteral("flagged_content"), id);
        entry.before = claimJson(row->assignedTo, row->claimExpiresAt);
        entry.after = claimJson({}, {});
        return success();
    });
    if (!changed)
        return changed.error();
    return loadItem(id);
}

Result<FlaggedItem> ReviewService::review(const AdminCaller &actor, const QString &id, const ReviewDecision &input)
{
    if (Status s = requireModerator(actor); !s)
        return s.error();
    auto decision = ReviewDecision::make(input.decision, input.notes); // values may not come from parse()
    if (!decision)
        return decision.error();
    if (!ids::isUuid(id))
        return detail::notFound(QStringLiteral("Flagged item"));
    const bool approve = decision->decision == u"approve";
    const QString outcome = approve ? QStringLiteral("approved") : QStringLiteral("rejected");

    QSqlDatabase db = m_db.connection();
    bool contentCurrent = false;
    Status changed = audit::inTransaction(db, [&](AuditEntry &entry) -> Status {
        auto row = lockPendingItem(db, id);
        if (!row)
            return row.error();
        if (row->assignedTo.compare(actor.moderatorId, Qt::CaseInsensitive) != 0 || row->assignedTo.isEmpty())
            return ApiError::forbidden(row->claimActive ? QStringLiteral("Flagged item is claimed by another moderator")
                                                        : QStringLiteral("Claim the flagged item before reviewing it"));
        if (!row->claimActive)
            return ApiError::forbidden(QStringLiteral("Your claim on this item expired; claim it again"));
        const auto table = contenttables::tableFor(row->contentType);
        if (!table)
            return ApiError::internal(QStringLiteral("flagged item %1 has unknown content type '%2'").arg(id, row->contentType));

        auto flagged = db::exec(db,
                                QStringLiteral("UPDATE flagged_content SET status = ?, decision = ?, notes = ?,"
                                               " reviewed_at = now() WHERE id = ?::uuid"),
                                {outcome, decision->decision, decision->notes, id});
        if (!flagged)
            return flagged.error();
        auto evaluation = db::exec(db,
                                   QStringLiteral("UPDATE guardrail_evaluations SET final_decision = ?,"
                                                  " completed_at = coalesce(completed_at, now()) WHERE id = ?::uuid"),
                                   {outcome, row->evaluationId});
        if (!evaluation)
            return evaluation.error();
        // Only the version that was evaluated: if the agent edited the content since (a newer
        // evaluation is attached), this decision must not publish the unreviewed edit.
        auto before = db::exec(db,
                               QStringLiteral("SELECT guardrail_status FROM %1 WHERE id = ?::uuid"
                                              " AND (guardrail_evaluation_id IS NULL OR guardrail_evaluation_id = ?::uuid)"
                                              " FOR UPDATE")
                                   .arg(*table),
                               {row->contentId, row->evaluationId});
        if (!before)
            return before.error();
        contentCurrent = before->next();
        const QString contentBefore = contentCurrent ? before->value(0).toString() : QString();
        before->finish();
        if (contentCurrent) {
            auto content = db::exec(db, QStringLiteral("UPDATE %1 SET guardrail_status = ? WHERE id = ?::uuid").arg(*table),
                                    {outcome, row->contentId});
            if (!content)
                return content.error();
        }
        entry = AuditEntry::byModerator(actor, QStringLiteral("flagged.review"), QStringLiteral("flagged_content"), id);
        entry.before = QJsonObject{{QStringLiteral("status"), row->status},
                                   {QStringLiteral("contentGuardrailStatus"), textOrNull(contentBefore)}};
        entry.after = QJsonObject{
            {QStringLiteral("status"), outcome},
            {QStringLiteral("decision"), decision->decision},
            {QStringLiteral("notes"), decision->notes},
            {QStringLiteral("contentType"), row->contentType},
            {QStringLiteral("contentId"), row->contentId},
            {QStringLiteral("evaluationId"), row->evaluationId},
            {QStringLiteral("contentGuardrailStatus"), contentCurrent ? QJsonValue(outcome) : QJsonValue(QJsonValue::Null)}};
        return success();
    });
    if (!changed)
        return changed.error();
    if (!contentCurrent)
        qCInfo(lcReview).noquote() << "review of" << id << "did not change the content: it was edited or deleted since";
    countDecision(decision->decision);
    return loadItem(id);
}

QList<BulkOutcome> ReviewService::reviewMany(const AdminCaller &actor, const QStringList &ids, const ReviewDecision &decision)
{
    QList<BulkOutcome> out;
    for (const QString &id : ids) {
        auto r = review(actor, id, decision);
        out << BulkOutcome{id, r ? std::nullopt : std::optional<ApiError>(r.error())};
    }
    return out;
}

Result<ReviewService::QueueStats> ReviewService::stats()
{
    auto q =
        db::exec(m_db.connection(),
                 QStringLiteral("SELECT count(*), count(*) FILTER (WHERE assigned_to IS NOT NULL AND claim_expires_at > now()),"
                                " count(*) FILTER (WHERE created_at <= now() - interval '24 hours'),"
                                " coalesce(floor(extract(epoch FROM now() - min(created_at))), 0)::bigint"
                                " FROM flagged_content WHERE status = 'pending_review'"));
    if (!q)
        return q.error();
    QueueStats s;
    if (q->next()) {
        s.pending = q->value(0).toLongLong();
        s.claimed = q->value(1).toLongLong();
        s.overdue = q->value(2).toLongLong();
        s.oldestAgeSeconds = q->value(3).toLongLong();
    }
    return s;
}

void ReviewService::countDecision(const QString &decision)
{
    if (!m_options.metrics)
        return;
    m_options.metrics
        ->counter(QStringLiteral("moderation_reviews_total"), QStringLiteral("Human review decisions"),
                  {{QStringLiteral("decision"), decision}})
        .inc();
}

} // namespace bw::moderation
