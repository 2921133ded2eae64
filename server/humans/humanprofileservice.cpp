#include "server/humans/humanprofileservice.h"

#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/domain/sqljson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <cmath>
#include <tuple>

namespace bw::humans {

namespace {
using domain::sqljson::isoTimestamp;

QString profileColumns()
{
    return QStringLiteral("h.id AS \"id\", h.email AS \"email\", h.display_name AS \"displayName\", h.bio AS \"bio\","
                          " h.skills AS \"skills\", h.languages AS \"languages\", h.city AS \"city\","
                          " h.latitude::float8 AS \"latitude\", h.longitude::float8 AS \"longitude\","
                          " h.service_radius_km AS \"serviceRadiusKm\", h.email_verified_at IS NOT NULL AS \"emailVerified\","
                          " %1 AS \"lastLoginAt\", %2 AS \"createdAt\", %3 AS \"updatedAt\"")
        .arg(isoTimestamp(QStringLiteral("h.last_login_at")), isoTimestamp(QStringLiteral("h.created_at")),
             isoTimestamp(QStringLiteral("h.updated_at")));
}

// A list of short strings: trimmed, non-empty, each ≤ maxLength, at most maxItems, duplicates
// (case-insensitive) dropped. nullopt after recording an error.
std::optional<QStringList> stringList(const QJsonValue &v, const QString &field, int maxItems, int maxLength, FieldErrors &errors)
{
    if (v.isNull())
        return QStringList();
    if (!v.isArray()) {
        errors.add(field, QStringLiteral("Expected an array of strings"));
        return std::nullopt;
    }
    const QJsonArray items = v.toArray();
    if (items.size() > maxItems) {
        errors.add(field, QStringLiteral("At most %1 items").arg(maxItems));
        return std::nullopt;
    }
    QStringList out;
    QSet<QString> seen;
    for (const QJsonValue &item : items) {
        const QString s = item.toString().trimmed();
        if (!item.isString() || s.isEmpty() || s.size() > maxLength) {
            errors.add(field, QStringLiteral("Each item must be a non-empty string of at most %1 characters").arg(maxLength));
            return std::nullopt;
        }
        if (!seen.contains(s.toLower())) {
            seen.insert(s.toLower());
            out.append(s);
        }
    }
    return out;
}

// A string column that null clears: NULL or the trimmed text. nullopt after recording an error.
std::optional<QVariant> clearableText(const QJsonValue &v, const QString &field, int maxLength, FieldErrors &errors)
{
    if (v.isNull())
        return db::nullText();
    if (!v.isString()) {
        errors.add(field, QStringLiteral("Expected a string or null"));
        return std::nullopt;
    }
    const QString s = v.toString().trimmed();
    if (s.size() > maxLength) {
        errors.add(field, QStringLiteral("At most %1 characters").arg(maxLength));
        return std::nullopt;
    }
    return db::textOrNull(s);
}
} // namespace

HumanProfileService::HumanProfileService(db::Database &db) : m_db(db) {}

Result<QJsonObject> HumanProfileService::me(const domain::HumanCaller &caller)
{
    auto q = db::execCached(
        m_db.connection(),
        QStringLiteral("SELECT %1::text FROM humans h WHERE h.id = ?::uuid").arg(domain::sqljson::rowJson(profileColumns())),
        {caller.humanId});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::notFound(QStringLiteral("Human not found"));
    return db::jsonObject(q->value(0).toString(), "human");
}

Result<QJsonObject> HumanProfileService::update(const domain::HumanCaller &caller, const QJsonObject &body)
{
    static const QSet<QString> known = {QStringLiteral("displayName"), QStringLiteral("bio"),
                                        QStringLiteral("skills"),      QStringLiteral("languages"),
                                        QStringLiteral("city"),        QStringLiteral("latitude"),
                                        QStringLiteral("longitude"),   QStringLiteral("serviceRadiusKm")};
    FieldErrors errors;
    QStringList sets;
    QVariantList binds;
    for (auto it = body.constBegin(); it != body.constEnd(); ++it)
        if (!known.contains(it.key()))
            errors.add(it.key(), it.key() == u"email" || it.key() == u"password" ? QStringLiteral("Cannot be changed here")
                                                                                 : QStringLiteral("Unknown field"));

    if (body.contains(QStringLiteral("displayName"))) {
        const QJsonValue v = body.value(QStringLiteral("displayName"));
        const QString s = v.toString().trimmed();
        if (!v.isString() || s.isEmpty() || s.size() > 100)
            errors.add(QStringLiteral("displayName"), QStringLiteral("Must be 1 to 100 characters"));
        else {
            sets << QStringLiteral("display_name = ?");
            binds << s;
        }
    }
    for (const auto &[field, column, maxLength] : {std::tuple{QStringLiteral("bio"), QStringLiteral("bio"), 500},
                                                   std::tuple{QStringLiteral("city"), QStringLiteral("city"), 200}}) {
        if (!body.contains(field))
            continue;
        if (auto v = clearableText(body.value(field), field, maxLength, errors)) {
            sets << column + QStringLiteral(" = ?");
            binds << *v;
        }
    }
    for (const auto &[field, maxItems, maxLength] :
         {std::tuple{QStringLiteral("skills"), 20, 50}, std::tuple{QStringLiteral("languages"), 10, 35}}) {
        if (!body.contains(field))
            continue;
        if (auto list = stringList(body.value(field), field, maxItems, maxLength, errors)) {
            // Bound as JSON text: one portable way to pass a text[] through the cached statement.
            sets << field + QStringLiteral(" = ARRAY(SELECT jsonb_array_elements_text(?::jsonb))");
            binds << QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(*list)).toJson(QJsonDocument::Compact));
        }
    }
    const bool hasLat = body.contains(QStringLiteral("latitude"));
    const bool hasLng = body.contains(QStringLiteral("longitude"));
    if (hasLat != hasLng) {
        errors.add(hasLat ? QStringLiteral("longitude") : QStringLiteral("latitude"),
                   QStringLiteral("latitude and longitude go together: send both or neither"));
    } else if (hasLat) {
        const QJsonValue lat = body.value(QStringLiteral("latitude"));
        const QJsonValue lng = body.value(QStringLiteral("longitude"));
        if (lat.isNull() && lng.isNull()) {
            sets << QStringLiteral("latitude = NULL, longitude = NULL");
        } else if (lat.isNull() != lng.isNull()) {
            errors.add(lat.isNull() ? QStringLiteral("latitude") : QStringLiteral("longitude"),
                       QStringLiteral("latitude and longitude go together: both numbers or both null"));
        } else {
            const bool latOk = lat.isDouble() && std::abs(lat.toDouble()) <= 90;
            const bool lngOk = lng.isDouble() && std::abs(lng.toDouble()) <= 180;
            if (!latOk)
                errors.add(QStringLiteral("latitude"), QStringLiteral("Must be a number from -90 to 90"));
            if (!lngOk)
                errors.add(QStringLiteral("longitude"), QStringLiteral("Must be a number from -180 to 180"));
            if (latOk && lngOk) {
                sets << QStringLiteral("latitude = ?::float8, longitude = ?::float8");
                binds << lat.toDouble() << lng.toDouble();
            }
        }
    }
    if (body.contains(QStringLiteral("serviceRadiusKm"))) {
        const QJsonValue v = body.value(QStringLiteral("serviceRadiusKm"));
        const double r = v.toDouble();
        if (!v.isDouble() || r != std::floor(r) || r < 1 || r > 200)
            errors.add(QStringLiteral("serviceRadiusKm"), QStringLiteral("Must be a whole number from 1 to 200"));
        else {
            sets << QStringLiteral("service_radius_km = ?");
            binds << int(r);
        }
    }
    if (!errors.empty())
        return errors.toError();
    if (sets.isEmpty())
        return me(caller);
    binds << caller.humanId;
    // exec, not execCached: the SET list varies with the fields sent.
    auto q = db::exec(m_db.connection(),
                      QStringLiteral("UPDATE humans h SET %1 WHERE h.id = ?::uuid RETURNING %2::text")
                          .arg(sets.join(QStringLiteral(", ")), domain::sqljson::rowJson(profileColumns())),
                      binds);
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::notFound(QStringLiteral("Human not found"));
    return db::jsonObject(q->value(0).toString(), "human");
}

} // namespace bw::humans
