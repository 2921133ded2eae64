#include "server/domain/missions/missioninput.h"

#include "server/domain/domains.h"
#include "server/domain/fieldreader.h"

#include <QJsonArray>

#include <algorithm>
#include <limits>

namespace bw::domain {

using namespace contentinput;

const QList<contentsql::Column> &MissionInput::columns()
{
    static const QList<contentsql::Column> v{
        {"title", "?"},
        {"description", "?"},
        {"instructions", "?::jsonb"},
        {"evidence_required", "?::jsonb"},
        {"required_skills", "ARRAY(SELECT jsonb_array_elements_text(?::jsonb))"},
        {"required_location_name", "?"},
        {"required_latitude", "?::numeric"},
        {"required_longitude", "?::numeric"},
        {"location_radius_km", "?::int"},
        {"estimated_duration_minutes", "?::int"},
        {"difficulty", "?"},
        {"token_reward", "?::int"},
        {"bonus_for_quality", "?::int"},
        {"max_claims", "?::int"},
        {"expires_at", "?::timestamptz"},
    };
    return v;
}

const QStringList &MissionInput::difficulties()
{
    static const QStringList v{QStringLiteral("beginner"), QStringLiteral("intermediate"), QStringLiteral("advanced"),
                               QStringLiteral("expert")};
    return v;
}

const QStringList &MissionInput::statuses()
{
    static const QStringList v{QStringLiteral("open"),      QStringLiteral("claimed"),  QStringLiteral("in_progress"),
                               QStringLiteral("submitted"), QStringLiteral("verified"), QStringLiteral("expired"),
                               QStringLiteral("archived")};
    return v;
}

namespace {
// instructions: [{step ≥ 1, text 1..2000, optional = false}], 1..50 items, normalised.
std::optional<QJsonArray> instructions(FieldReader &r, FieldErrors &errors, bool required)
{
    const auto a = r.array(QStringLiteral("instructions"), required, 1, 50);
    if (!a)
        return std::nullopt;
    QJsonArray out;
    for (qsizetype i = 0; i < a->size(); ++i) {
        const QString prefix = QStringLiteral("instructions.%1.").arg(i);
        if (!a->at(i).isObject()) {
            errors.add(QStringLiteral("instructions.%1").arg(i), QStringLiteral("Expected an object"));
            continue;
        }
        const QJsonObject item = a->at(i).toObject();
        FieldReader s(item, errors, prefix);
        const auto step = integer(s, QStringLiteral("step"), true, 1, 1000);
        const auto text = s.string(QStringLiteral("text"), true, 1, 2000);
        const auto optional = s.boolean(QStringLiteral("optional"), false);
        if (step && text)
            out.append(QJsonObject{{QStringLiteral("step"), *step},
                                   {QStringLiteral("text"), *text},
                                   {QStringLiteral("optional"), optional.value_or(false)}});
    }
    return out;
}

// evidenceRequired: [{type photo|document|video, description 1..500, required = true}], 1..20 items.
std::optional<QJsonArray> evidence(FieldReader &r, FieldErrors &errors, bool required)
{
    static const QStringList types{QStringLiteral("photo"), QStringLiteral("document"), QStringLiteral("video")};
    const auto a = r.array(QStringLiteral("evidenceRequired"), required, 1, 20);
    if (!a)
        return std::nullopt;
    QJsonArray out;
    for (qsizetype i = 0; i < a->size(); ++i) {
        if (!a->at(i).isObject()) {
            errors.add(QStringLiteral("evidenceRequired.%1").arg(i), QStringLiteral("Expected an object"));
            continue;
        }
        const QJsonObject item = a->at(i).toObject();
        FieldReader s(item, errors, QStringLiteral("evidenceRequired.%1.").arg(i));
        const auto type = s.oneOf(QStringLiteral("type"), true, types);
        const auto description = s.string(QStringLiteral("description"), true, 1, 500);
        const auto req = s.boolean(QStringLiteral("required"), false);
        if (type && description)
            out.append(QJsonObject{{QStringLiteral("type"), *type},
                                   {QStringLiteral("description"), *description},
                                   {QStringLiteral("required"), req.value_or(true)}});
    }
    return out;
}
} // namespace

Result<MissionInput> MissionInput::parse(const QJsonObject &body, Mode mode, const QDateTime &now)
{
    const bool create = mode == Mode::Create;
    FieldErrors errors;
    FieldReader r(body, errors);
    MissionInput in;
    auto &v = in.values;

    if (create) {
        in.solutionId = uuid(r, QStringLiteral("solutionId"), true).value_or(QString());
    } else {
        // Required: a PATCH without the version it was based on would overwrite whatever changed since
        // (the controller also takes it from If-Match).
        if (auto version = integer(r, QStringLiteral("version"), true, 1, std::numeric_limits<int>::max()))
            in.version = int(*version);
        for (const char *f : {"title", "description", "instructions", "evidenceRequired", "estimatedDurationMinutes",
                              "tokenReward", "expiresAt", "difficulty", "locationRadiusKm", "bonusForQuality", "maxClaims"}) {
            if (isExplicitNull(body, QLatin1String(f)))
                r.add(QLatin1String(f), QStringLiteral("Must not be null"));
        }
    }
    if (auto s = r.string(QStringLiteral("title"), create, 1, 500))
        v.insert(QStringLiteral("title"), *s);
    if (auto s = r.string(QStringLiteral("description"), create, 10, 5000))
        v.insert(QStringLiteral("description"), *s);
    if (auto a = instructions(r, errors, create))
        v.insert(QStringLiteral("instructions"), contentsql::compact(*a));
    if (auto a = evidence(r, errors, create))
        v.insert(QStringLiteral("evidence_required"), contentsql::compact(*a));
    if (isExplicitNull(body, QStringLiteral("requiredSkills")))
        v.insert(QStringLiteral("required_skills"), QStringLiteral("[]"));
    else if (auto l = stringList(r, QStringLiteral("requiredSkills"), 20, 1, 100))
        v.insert(QStringLiteral("required_skills"), contentsql::compact(contentsql::toArray(*l)));
    if (isExplicitNull(body, QStringLiteral("requiredLocationName")))
        v.insert(QStringLiteral("required_location_name"), contentsql::nullText());
    else if (auto s = r.string(QStringLiteral("requiredLocationName"), false, 0, 200))
        v.insert(QStringLiteral("required_location_name"), *s);

    // Coordinates: both or neither (null + null clears them on PATCH).
    const QString latKey = QStringLiteral("requiredLatitude"), lngKey = QStringLiteral("requiredLongitude");
    if (has(body, latKey) || has(body, lngKey)) {
        const bool latNull = isExplicitNull(body, latKey), lngNull = isExplicitNull(body, lngKey);
        const auto lat = r.number(latKey, false, -90, 90);
        const auto lng = r.number(lngKey, false, -180, 180);
        if (has(body, latKey) != has(body, lngKey) || latNull != lngNull) {
            r.add(latKey, QStringLiteral("Both requiredLatitude and requiredLongitude must be provided together"));
        } else if (latNull) {
            v.insert(QStringLiteral("required_latitude"), contentsql::nullText());
            v.insert(QStringLiteral("required_longitude"), contentsql::nullText());
        } else if (lat && lng) {
            v.insert(QStringLiteral("required_latitude"), contentsql::number(lat));
            v.insert(QStringLiteral("required_longitude"), contentsql::number(lng));
        }
    }

    const std::tuple<const char *, const char *, qint64, qint64, bool> ints[] = {
        {"locationRadiusKm", "location_radius_km", 1, 200, false},
        {"estimatedDurationMinutes", "estimated_duration_minutes", 15, 10080, create},
        {"tokenReward", "token_reward", 1, 1000000, create},
        {"bonusForQuality", "bonus_for_quality", 0, 1000000, false},
        {"maxClaims", "max_claims", 1, 10000, false},
    };
    for (const auto &[field, column, min, max, required] : ints) {
        if (auto n = integer(r, QLatin1String(field), required, min, max))
            v.insert(QLatin1String(column), *n);
    }
    if (auto d = r.oneOf(QStringLiteral("difficulty"), false, difficulties()))
        v.insert(QStringLiteral("difficulty"), *d);
    if (auto t = timestamp(r, QStringLiteral("expiresAt"), create)) {
        if (*t <= now)
            r.add(QStringLiteral("expiresAt"), QStringLiteral("Must be in the future"));
        else
            v.insert(QStringLiteral("expires_at"), isoUtc(*t));
    }
    if (auto d = r.string(QStringLiteral("domain"), false, 0, 100); d && !isValidDomain(*d))
        r.add(QStringLiteral("domain"), QStringLiteral("Must be one of the 15 domains"));

    if (!create && errors.empty() && v.isEmpty())
        errors.add(QStringLiteral("body"), QStringLiteral("At least one updatable field is required"));
    if (!errors.empty())
        return errors.toError();

    if (create) { // every column gets a value: the INSERT binds them all
        const QHash<QString, QVariant> defaults{
            {QStringLiteral("required_skills"), QStringLiteral("[]")},
            {QStringLiteral("required_location_name"), contentsql::nullText()},
            {QStringLiteral("required_latitude"), contentsql::nullText()},
            {QStringLiteral("required_longitude"), contentsql::nullText()},
            {QStringLiteral("location_radius_km"), kDefaultRadiusKm},
            {QStringLiteral("difficulty"), QStringLiteral("intermediate")},
            {QStringLiteral("bonus_for_quality"), 0},
            {QStringLiteral("max_claims"), 1},
        };
        for (auto it = defaults.cbegin(); it != defaults.cend(); ++it) {
            if (!v.contains(it.key()))
                v.insert(it.key(), it.value());
        }
    }
    return in;
}

Result<MissionQuery> MissionQuery::fromQuery(const QMap<QString, QString> &query)
{
    MissionQuery q;
    FieldErrors errors;
    q.page = ListParams::parse(query, errors);
    if (const QString status = query.value(QStringLiteral("status")); !status.isEmpty()) {
        if (MissionInput::statuses().contains(status))
            q.status = status;
        else
            errors.add(QStringLiteral("status"),
                       QStringLiteral("Must be one of: %1").arg(MissionInput::statuses().join(QStringLiteral(", "))));
    }
    if (!errors.empty())
        return errors.toError();
    return q;
}

QString MarketQuery::sortName(Sort sort)
{
    switch (sort) {
    case Sort::CreatedAt:
        return QStringLiteral("createdAt");
    case Sort::TokenReward:
        return QStringLiteral("tokenReward");
    case Sort::Distance:
        return QStringLiteral("distance");
    }
    return QStringLiteral("createdAt");
}

namespace {
// The filters both marketplace forms share; the center is read by the callers.
MarketQuery parseFilters(const QMap<QString, QString> &query, FieldErrors &errors)
{
    MarketQuery q;
    q.page = ListParams::parse(query, errors);
    if (const QString d = query.value(QStringLiteral("difficulty")); !d.isEmpty()) {
        if (MissionInput::difficulties().contains(d))
            q.difficulty = d;
        else
            errors.add(QStringLiteral("difficulty"), QStringLiteral("Must be one of: beginner, intermediate, advanced, expert"));
    }
    if (const QString s = query.value(QStringLiteral("skills")); !s.isEmpty()) {
        for (const QString &skill : s.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QString t = skill.trimmed();
            // A NUL cannot travel in PostgreSQL text or jsonb: refuse control characters here (422), not there (500).
            if (std::any_of(t.cbegin(), t.cend(), [](QChar c) { return c.unicode() < 0x20; })) {
                errors.add(QStringLiteral("skills"), QStringLiteral("Skills must not contain control characters"));
                break;
            }
            if (!t.isEmpty())
                q.skills << t.left(100);
        }
        if (q.skills.size() > 20)
            errors.add(QStringLiteral("skills"), QStringLiteral("At most 20 skills"));
    }
    const auto whole = [&](const char *name, double min, double max) {
        const auto d = queryNumber(query, QLatin1String(name), min, max, true, errors);
        return d ? std::optional<int>(int(*d)) : std::nullopt;
    };
    q.minReward = whole("minReward", 0, 1000000);
    q.maxReward = whole("maxReward", 0, 1000000);
    q.maxDuration = whole("maxDuration", 1, 10080);
    q.lat = queryNumber(query, QStringLiteral("lat"), -90, 90, false, errors);
    q.lng = queryNumber(query, QStringLiteral("lng"), -180, 180, false, errors);
    return q;
}

Status checkDomain(const QMap<QString, QString> &query, MarketQuery &q)
{
    if (const QString domain = query.value(QStringLiteral("domain")); !domain.isEmpty()) {
        if (!isValidDomain(domain))
            return ApiError::make(ErrorKind::InvalidDomain, QStringLiteral("Unknown domain"),
                                  QJsonObject{{QStringLiteral("domain"), domain.left(100)},
                                              {QStringLiteral("allowed"), QJsonArray::fromStringList(domainNames())}});
        q.domain = domain;
    }
    return success();
}
} // namespace

Result<MarketQuery> MarketQuery::fromQuery(const QMap<QString, QString> &query)
{
    FieldErrors errors;
    auto q = parseFilters(query, errors);
    const bool hasLat = query.contains(QStringLiteral("lat")), hasLng = query.contains(QStringLiteral("lng"));
    if (hasLat != hasLng)
        errors.add(hasLat ? QStringLiteral("lng") : QStringLiteral("lat"), QStringLiteral("lat and lng must be given together"));
    if (const auto r = queryNumber(query, QStringLiteral("radiusKm"), 1, kMaxRadiusKm, false, errors)) {
        if (!hasLat || !hasLng)
            errors.add(QStringLiteral("radiusKm"), QStringLiteral("Requires lat and lng"));
        q.radiusKm = *r;
    }
    if (const QString sort = query.value(QStringLiteral("sort")); !sort.isEmpty()) {
        if (sort == QLatin1String("createdAt"))
            q.sort = Sort::CreatedAt;
        else if (sort == QLatin1String("tokenReward"))
            q.sort = Sort::TokenReward;
        else if (sort == QLatin1String("distance"))
            q.sort = Sort::Distance;
        else
            errors.add(QStringLiteral("sort"), QStringLiteral("Must be one of: createdAt, tokenReward, distance"));
        if (q.sort == Sort::Distance && (!hasLat || !hasLng))
            errors.add(QStringLiteral("sort"), QStringLiteral("sort=distance requires lat and lng"));
    }
    if (!errors.empty())
        return errors.toError();
    if (Status s = checkDomain(query, q); !s)
        return s.error();
    return q;
}

Result<MarketQuery> MarketQuery::fromNearbyQuery(const QMap<QString, QString> &query)
{
    FieldErrors errors;
    auto q = parseFilters(query, errors);
    for (const char *name : {"lat", "lng"}) {
        if (query.value(QLatin1String(name)).isEmpty())
            errors.add(QLatin1String(name), QStringLiteral("Required"));
    }
    const QString radiusName = query.contains(QStringLiteral("radius")) ? QStringLiteral("radius") : QStringLiteral("radiusKm");
    if (const auto r = queryNumber(query, radiusName, 1, kMaxRadiusKm, false, errors))
        q.radiusKm = *r;
    q.sort = Sort::Distance;
    if (!errors.empty())
        return errors.toError();
    if (Status s = checkDomain(query, q); !s)
        return s.error();
    return q;
}

} // namespace bw::domain
