#pragma once
// Validated mission bodies (POST /missions, PATCH /missions/:id — api.md §7) and the query
// parameters of the agent's own list, the marketplace and the nearby search. Pure values +
// validation; any thread.

#include "server/domain/content/contentinput.h"
#include "server/domain/content/contentsql.h"

#include "server/core/result.h"

#include <QJsonObject>
#include <QMap>

#include <optional>

namespace bw::domain {

struct MissionInput {
    QString solutionId;             // create only
    contentsql::Assignments values; // missions column → value; create: every column of columns()
    std::optional<int> version;     // PATCH: the version the caller last read (optimistic lock)

    // All field errors together as one 422; unknown fields are ignored. `domain` is accepted for
    // compatibility and validated, but a mission always takes its problem's domain.
    // now: the reference for "expiresAt must be in the future".
    static Result<MissionInput> parse(const QJsonObject &body, contentinput::Mode mode, const QDateTime &now);
    static const QList<contentsql::Column> &columns();
    static const QStringList &difficulties();
    static const QStringList &statuses();
    static constexpr int kDefaultRadiusKm = 5; // locationRadiusKm when omitted (as the reference API)
};

// GET /missions/agent: the caller's own missions, newest first.
struct MissionQuery {
    contentinput::ListParams page;
    QString status; // empty = any
    static Result<MissionQuery> fromQuery(const QMap<QString, QString> &query);
};

// GET /missions (marketplace) and GET /missions/nearby.
struct MarketQuery {
    enum class Sort { CreatedAt, TokenReward, Distance };
    contentinput::ListParams page;
    QString domain, difficulty;
    QStringList skills; // all required
    std::optional<int> minReward, maxReward, maxDuration;
    std::optional<double> lat, lng; // both or neither
    double radiusKm = 25;           // 1..200, used with lat/lng
    Sort sort = Sort::CreatedAt;

    static constexpr double kDefaultRadiusKm = 25;
    static constexpr double kMaxRadiusKm = 200;

    // Marketplace: lat+lng+radiusKm optional; sort=createdAt|tokenReward|distance (distance needs lat/lng).
    // Unknown domain → 400 INVALID_DOMAIN; other problems → 422 with the parameters.
    static Result<MarketQuery> fromQuery(const QMap<QString, QString> &query);
    // Nearby: lat and lng required, radius (or radiusKm), nearest first.
    static Result<MarketQuery> fromNearbyQuery(const QMap<QString, QString> &query);
    static QString sortName(Sort sort);
    bool hasCenter() const { return lat && lng; }
};

} // namespace bw::domain
