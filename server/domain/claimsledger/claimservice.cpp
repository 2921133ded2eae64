#include "server/domain/claimsledger/claimservice.h"

#include "server/domain/content/contentinput.h"
#include "server/domain/sqljson.h"

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QSqlQuery>
#include <QStringList>

namespace bw::domain {

namespace {

ApiError missionNotFound()
{
    return ApiError::notFound(QStringLiteral("Mission not found"));
}
ApiError claimNotFound()
{
    return ApiError::notFound(QStringLiteral("Claim not found"));
}

const QStringList &claimStatuses()
{
    static const QStringList statuses{QStringLiteral("active"), QStringLiteral("submitted"), QStringLiteral("completed"),
                                      QStringLiteral("abandoned"), QStringLiteral("expired")};
    return statuses;
}

// A claim as its human sees it, with a summary of the mission, over the columns of `c` (a
// mission_claims row) and m_* columns (the mission's).
QString claimColumns(const QString &c)
{
    using sqljson::isoTimestamp;
    return QStringLiteral("%1.id AS \"claimId\", %1.mission_id AS \"missionId\", %1.status AS \"status\","
                          " %2 AS \"deadlineAt\", %3 AS \"claimedAt\", %4 AS \"submittedAt\", %5 AS \"completedAt\","
                          " %6 AS \"closedAt\", %1.notes AS \"notes\", %1.reason AS \"reason\","
                          " json_build_object('title', %1.m_title, 'domain', %1.m_domain, 'difficulty', %1.m_difficulty,"
                          "  'tokenReward', %1.m_token_reward, 'estimatedDurationMinutes', %1.m_duration,"
                          "  'status', %1.m_status, 'expiresAt', %7) AS \"mission\"")
        .arg(c, isoTimestamp(c + QStringLiteral(".deadline_at")), isoTimestamp(c + QStringLiteral(".claimed_at")),
             isoTimestamp(c + QStringLiteral(".submitted_at")), isoTimestamp(c + QStringLiteral(".completed_at")),
             isoTimestamp(c + QStringLiteral(".closed_at")), isoTimestamp(c + QStringLiteral(".m_expires_at")));
}

const QString &claimSelect()
{
    static const QString select = QStringLiteral("c.*, m.title AS m_title, m.domain AS m_domain, m.difficulty AS m_difficulty,"
                                                 " m.token_reward AS m_token_reward, m.estimated_duration_minutes AS m_duration,"
                                                 " m.status AS m_status, m.expires_at AS m_expires_at");
    return select;
}

Result<QJsonObject> claimJson(QSqlDatabase db, const QString &claimId)
{
    static const QString sql = QStringLiteral("SELECT (SELECT row_to_json(j) FROM (SELECT %1) j)::text FROM"
                                              " (SELECT %2 FROM mission_claims c JOIN missions m ON m.id = c.mission_id"
                                              "  WHERE c.id = ?::uuid) x")
                                   .arg(claimColumns(QStringLiteral("x")), claimSelect());
    auto v = db::scalar(db::execCached(db, sql, {claimId}));
    if (!v)
        return v.error();
    if (!v->isValid())
        return claimNotFound();
    return db::jsonObject(v->toString(), "claim");
}

} // namespace

QJsonObject ClaimReceipt::toJson() const
{
    return {{QStringLiteral("claimId"), claimId},
            {QStringLiteral("missionId"), missionId},
            {QStringLiteral("status"), status},
            {QStringLiteral("deadlineAt"), deadlineAt}};
}

Result<ClaimQuery> ClaimQuery::fromQuery(const QMap<QString, QString> &query)
{
    FieldErrors errors;
    ClaimQuery q;
    const auto params = contentinput::ListParams::parse(query, errors);
    q.cursor = params.cursor;
    q.limit = params.limit;
    q.status = query.value(QStringLiteral("status"));
    if (!q.status.isEmpty() && !claimStatuses().contains(q.status))
        errors.add(QStringLiteral("status"), QStringLiteral("must be one of %1").arg(claimStatuses().join(QStringLiteral(", "))));
    if (!errors.empty())
        return errors.toError();
    return q;
}

ClaimService::ClaimService(db::Database &db) : m_db(db), m_cursors(db) {}

Result<ClaimReceipt> ClaimService::claim(const QString &humanId, const QString &missionId)
{
    // The human's row lock serialises that human's claims (the 3-active rule and one claim per
    // mission); the mission's row lock serialises the claims for its slots. Statements run after
    // both locks are held, so what they read is what the previous lock holders committed.
    static const QString lockHuman = QStringLiteral("SELECT is_active FROM humans WHERE id = ?::uuid FOR UPDATE");
    static const QString lockMission =
        QStringLiteral("SELECT m.guardrail_status, m.status, m.expires_at > now(), m.current_claim_count, m.max_claims,"
                       " (SELECT count(*) FROM mission_claims c WHERE c.human_id = ?::uuid AND c.status = 'active'),"
                       " EXISTS (SELECT 1 FROM mission_claims c WHERE c.mission_id = m.id AND c.human_id = ?::uuid"
                       "         AND c.status IN ('active', 'submitted', 'completed'))"
                       " FROM missions m WHERE m.id = ?::uuid FOR UPDATE OF m");
    // Deadline: now + max(duration × 3, 24 h), never after the mission expires.
    static const QString insert =
        QStringLiteral("WITH c AS (INSERT INTO mission_claims (mission_id, human_id, deadline_at)"
                       "  SELECT m.id, ?::uuid, least(now() + greatest(make_interval(mins => m.estimated_duration_minutes * %1),"
                       "   make_interval(hours => %2)), m.expires_at) FROM missions m WHERE m.id = ?::uuid"
                       "  RETURNING id, deadline_at),"
                       " u AS (UPDATE missions SET current_claim_count = current_claim_count + 1 WHERE id = ?::uuid)"
                       " SELECT c.id::text, %3 FROM c")
            .arg(kDurationFactor)
            .arg(kMinimumDeadlineHours)
            .arg(sqljson::isoTimestamp(QStringLiteral("c.deadline_at")));

    if (!ids::isUuid(missionId))
        return missionNotFound();
    if (!ids::isUuid(humanId))
        return ApiError::notFound(QStringLiteral("Human not found"));
    QSqlDatabase db = m_db.connection();
    return db::inTransaction(db, [&]() -> Result<ClaimReceipt> {
        auto human = db::execCached(db, lockHuman, {humanId});
        if (!human)
            return human.error();
        if (!human->next())
            return ApiError::notFound(QStringLiteral("Human not found"));
        if (!human->value(0).toBool())
            return ApiError::forbidden(QStringLiteral("This account is locked"));

        auto m = db::execCached(db, lockMission, {humanId, humanId, missionId});
        if (!m)
            return m.error();
        if (!m->next() || m->value(0).toString() != QLatin1String("approved"))
            return missionNotFound();
        const QString status = m->value(1).toString();
        if (status != QLatin1String("open") || !m->value(2).toBool())
            return ApiError::make(
                ErrorKind::Conflict, QStringLiteral("This mission is not open for claims"),
                QJsonObject{{QStringLiteral("status"), m->value(2).toBool() ? status : QStringLiteral("expired")}});
        const int current = m->value(3).toInt(), max = m->value(4).toInt(), active = m->value(5).toInt();
        if (m->value(6).toBool())
            return ApiError::make(ErrorKind::AlreadyClaimed, QStringLiteral("You have already claimed this mission"));
        if (current >= max)
            return ApiError::make(ErrorKind::MissionFull, QStringLiteral("Every slot of this mission is taken"),
                                  QJsonObject{{QStringLiteral("maxClaims"), max}});
        if (active >= kMaxActiveClaimsPerHuman)
            return ApiError::make(
                ErrorKind::ClaimLimitReached,
                QStringLiteral("You already have %1 active claims; finish or abandon one first").arg(kMaxActiveClaimsPerHuman),
                QJsonObject{{QStringLiteral("limit"), kMaxActiveClaimsPerHuman}});
        m->finish();

        auto created = db::execCached(db, insert, {humanId, missionId, missionId});
        if (!created) {
            if (db::sqlState(created.error()) == QLatin1String(db::kUniqueViolation))
                return ApiError::make(ErrorKind::AlreadyClaimed, QStringLiteral("You have already claimed this mission"));
            return created.error();
        }
        if (!created->next())
            return missionNotFound();
        return ClaimReceipt{created->value(0).toString(), missionId.toLower(), QStringLiteral("active"),
                            created->value(1).toString()};
    });
}

Result<QJsonObject> ClaimService::abandon(const QString &humanId, const QString &claimId, const QString &missionId,
                                          const QString &reason)
{
    // One statement: the claim (its row lock first), then its mission's count. The last column
    // reads the claim as it was before, to tell "not yours / unknown" from "not active".
    static const QString sql =
        QStringLiteral("WITH c AS (UPDATE mission_claims SET status = 'abandoned', closed_at = now(),"
                       "  reason = coalesce(?, 'Abandoned by the human')"
                       "  WHERE id = ?::uuid AND human_id = ?::uuid AND status = 'active'"
                       "  AND (?::uuid IS NULL OR mission_id = ?::uuid) RETURNING mission_id),"
                       " m AS (UPDATE missions SET current_claim_count = greatest(current_claim_count - 1, 0)"
                       "  WHERE id IN (SELECT mission_id FROM c))"
                       " SELECT (SELECT count(*) FROM c)::int, (SELECT status FROM mission_claims WHERE id = ?::uuid"
                       "  AND human_id = ?::uuid AND (?::uuid IS NULL OR mission_id = ?::uuid))");
    if (!ids::isUuid(claimId) || !ids::isUuid(humanId) || (!missionId.isEmpty() && !ids::isUuid(missionId)))
        return claimNotFound();
    if (reason.size() > 2000)
        return ApiError::validation({{QStringLiteral("reason"), {QStringLiteral("must be at most 2000 characters")}}});
    QSqlDatabase db = m_db.connection();
    const QVariant mission = missionId.isEmpty() ? db::nullText() : QVariant(missionId);
    auto q = db::execCached(
        db, sql, {db::textOrNull(reason.trimmed()), claimId, humanId, mission, mission, claimId, humanId, mission, mission});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::internal(QStringLiteral("abandon returned no row"));
    if (q->value(0).toInt() == 0) {
        if (q->value(1).isNull())
            return claimNotFound();
        return ApiError::make(ErrorKind::Conflict, QStringLiteral("Only an active claim can be abandoned"),
                              QJsonObject{{QStringLiteral("status"), q->value(1).toString()}});
    }
    q->finish();
    return claimJson(db, claimId);
}

Result<Page> ClaimService::listMine(const QString &humanId, const ClaimQuery &query)
{
    static const QString items = claimColumns(QStringLiteral("pg"));
    if (!ids::isUuid(humanId))
        return ApiError::notFound(QStringLiteral("Human not found"));
    KeysetSpec spec;
    spec.list = QStringLiteral("missions.mine");
    spec.sort = QStringLiteral("claimedAt");
    spec.from = QStringLiteral("mission_claims c JOIN missions m ON m.id = c.mission_id");
    spec.select = claimSelect();
    spec.where = QStringLiteral("c.human_id = ?::uuid");
    spec.whereBinds << humanId;
    if (!query.status.isEmpty()) {
        spec.where += QStringLiteral(" AND c.status = ?");
        spec.whereBinds << query.status;
    }
    spec.keys << KeyPart{QStringLiteral("c.claimed_at"), KeyPart::Kind::Timestamp, {}}
              << KeyPart{QStringLiteral("c.id"), KeyPart::Kind::Uuid, {}};
    spec.itemColumns = items;
    spec.limit = qBound(1, query.limit, 100);
    return runKeysetPage(m_db.connection(), m_cursors, spec, query.cursor);
}

Result<int> ClaimService::expireOverdue(int batchSize)
{
    // SKIP LOCKED: a claim being abandoned right now is left to that request. Missions are
    // updated after their claims (the same order as abandon), one batch per transaction.
    static const QString sql =
        QStringLiteral("WITH due AS (SELECT id FROM mission_claims WHERE status = 'active' AND deadline_at <= now()"
                       "  ORDER BY deadline_at LIMIT ? FOR UPDATE SKIP LOCKED),"
                       " ex AS (UPDATE mission_claims c SET status = 'expired', closed_at = now(), reason = 'The deadline passed'"
                       "  FROM due WHERE c.id = due.id RETURNING c.mission_id),"
                       " per AS (SELECT mission_id, count(*) AS n FROM ex GROUP BY mission_id),"
                       " m AS (UPDATE missions mi SET current_claim_count = greatest(mi.current_claim_count - per.n, 0)"
                       "  FROM per WHERE mi.id = per.mission_id)"
                       " SELECT count(*)::int FROM ex");
    const int batch = qMax(1, batchSize);
    int total = 0;
    for (;;) {
        auto n = db::scalar(db::execCached(m_db.connection(), sql, {batch}));
        if (!n)
            return n.error();
        total += n->toInt();
        if (n->toInt() < batch)
            return total;
    }
}

} // namespace bw::domain
