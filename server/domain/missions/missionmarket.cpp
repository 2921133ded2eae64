#include "server/domain/missions/missionmarket.h"

#include "server/domain/content/contentjson.h"
#include "server/domain/content/contentsql.h"

#include "server/db/database.h"

namespace bw::domain {

MissionMarket::MissionMarket(db::Database &db) : m_db(db), m_cursors(db) {}

KeysetSpec MissionMarket::spec(const MarketQuery &query)
{
    static const QString cards = contentjson::missionPublicColumns(QStringLiteral("pg"), true);
    KeysetSpec spec;
    spec.list = QStringLiteral("missions.market");
    spec.sort = MarketQuery::sortName(query.sort);
    spec.from = QStringLiteral("missions m");
    spec.select = QStringLiteral("m.*");
    spec.itemColumns = cards;
    spec.limit = query.page.limit;

    // These three conditions are the predicate of the partial marketplace indexes.
    QStringList where{QStringLiteral("m.guardrail_status = 'approved'"), QStringLiteral("m.status = 'open'")};
    where << QStringLiteral("m.expires_at > now()");
    QVariantList &binds = spec.whereBinds;
    if (!query.domain.isEmpty()) {
        where << QStringLiteral("m.domain = ?");
        binds << query.domain;
    }
    if (!query.difficulty.isEmpty()) {
        where << QStringLiteral("m.difficulty = ?");
        binds << query.difficulty;
    }
    if (!query.skills.isEmpty()) {
        where << QStringLiteral("m.required_skills @> ARRAY(SELECT jsonb_array_elements_text(?::jsonb))");
        binds << contentsql::compact(contentsql::toArray(query.skills));
    }
    if (query.minReward) {
        where << QStringLiteral("m.token_reward >= ?::int");
        binds << *query.minReward;
    }
    if (query.maxReward) {
        where << QStringLiteral("m.token_reward <= ?::int");
        binds << *query.maxReward;
    }
    if (query.maxDuration) {
        where << QStringLiteral("m.estimated_duration_minutes <= ?::int");
        binds << *query.maxDuration;
    }
    const QVariantList center = query.hasCenter() ? QVariantList{*query.lat, *query.lng} : QVariantList{};
    const double metres = query.radiusKm * 1000.0;
    const QString radius = QStringLiteral("earth_box(ll_to_earth(?, ?), ?::float8) @> m.public_earth"
                                          " AND earth_distance(ll_to_earth(?, ?), m.public_earth) <= ?::float8");
    const QVariantList radiusBinds = center + QVariantList{metres} + center + QVariantList{metres};
    if (query.hasCenter()) {
        // The box is the index condition; the great-circle distance trims its corners. (Nearest
        // first: see below.)
        if (query.sort != MarketQuery::Sort::Distance) {
            where << radius;
            binds << radiusBinds;
        }
        spec.select += QStringLiteral(", earth_distance(ll_to_earth(?, ?), m.public_earth) AS _distance_m");
        spec.selectBinds << center;
        spec.itemColumns += QStringLiteral(", round((pg._distance_m / 1000)::numeric, 1)::float8 AS \"distanceKm\"");
    }
    spec.where = where.join(QStringLiteral(" AND "));

    switch (query.sort) {
    case MarketQuery::Sort::Distance:
        // Nearest first: KNN order on the chord distance (monotonic with the great-circle one).
        spec.descending = false;
        spec.keys << KeyPart{QStringLiteral("m.public_earth <-> ll_to_earth(?, ?)"), KeyPart::Kind::Float, center}
                  << KeyPart{QStringLiteral("m.id"), KeyPart::Kind::Uuid, {}};
        spec.knnBox = QStringLiteral("earth_box(ll_to_earth(?, ?), sec_to_gc(%1) + 1) @> m.public_earth");
        spec.knnBoxBinds = center;
        // The edge may look beyond the circle (box corners): the page trims to min(edge, radius).
        // For points, box && point is box @> point, estimated 5x less selective (KNN preferred).
        spec.knnEdgeWhere = QStringLiteral("earth_box(ll_to_earth(?, ?), ?::float8) && m.public_earth");
        spec.knnEdgeWhereBinds = center + QVariantList{metres};
        spec.knnPageWhere = radius;
        spec.knnPageWhereBinds = radiusBinds;
        break;
    case MarketQuery::Sort::TokenReward:
        spec.keys << KeyPart{QStringLiteral("m.token_reward"), KeyPart::Kind::Integer, {}};
        [[fallthrough]];
    case MarketQuery::Sort::CreatedAt:
        spec.keys << KeyPart{QStringLiteral("m.created_at"), KeyPart::Kind::Timestamp, {}}
                  << KeyPart{QStringLiteral("m.id"), KeyPart::Kind::Uuid, {}};
        break;
    }
    return spec;
}

Result<Page> MissionMarket::list(const MarketQuery &query)
{
    return runKeysetPage(m_db.connection(), m_cursors, spec(query), query.page.cursor);
}

} // namespace bw::domain
