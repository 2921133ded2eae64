#include "server/domain/content/problempatch.h"

#include "server/domain/content/contentinput.h"
#include "server/domain/content/probleminput.h"
#include "server/domain/domains.h"
#include "server/domain/fieldreader.h"

namespace bw::domain {

using namespace contentinput;

const QList<contentsql::Column> &ProblemPatch::columns()
{
    static const QList<contentsql::Column> v{
        {"title", "?"},
        {"description", "?"},
        {"domain", "?"},
        {"severity", "?"},
        {"affected_population_estimate", "?"},
        {"geographic_scope", "?"},
        {"location_name", "?"},
        {"latitude", "?::numeric"},
        {"longitude", "?::numeric"},
        {"existing_solutions", "?::jsonb"},
        {"data_sources", "?::jsonb"},
        {"evidence_links", "ARRAY(SELECT jsonb_array_elements_text(?::jsonb))"},
        {"self_audit", "?::jsonb"},
    };
    return v;
}

Result<ProblemPatch> ProblemPatch::parse(const QJsonObject &body)
{
    FieldErrors errors;
    FieldReader r(body, errors);
    ProblemPatch p;
    auto &v = p.values;

    // Required on create: null is refused rather than silently ignored.
    for (const char *f : {"title", "description", "domain", "severity"}) {
        if (isExplicitNull(body, QLatin1String(f)))
            r.add(QLatin1String(f), QStringLiteral("Must not be null"));
    }
    if (auto s = r.string(QStringLiteral("title"), false, 10, 500))
        v.insert(QStringLiteral("title"), *s);
    if (auto s = r.string(QStringLiteral("description"), false, 50, 10000))
        v.insert(QStringLiteral("description"), *s);
    if (auto d = r.string(QStringLiteral("domain"), false, 0, 100)) {
        if (isValidDomain(*d))
            v.insert(QStringLiteral("domain"), *d);
        else
            r.add(QStringLiteral("domain"), QStringLiteral("Must be one of the 15 domains"));
    }
    if (auto s = r.oneOf(QStringLiteral("severity"), false, ProblemInput::severities()))
        v.insert(QStringLiteral("severity"), *s);

    // Optional text fields: a value sets, null clears.
    const std::tuple<const char *, const char *, int> texts[] = {
        {"affectedPopulationEstimate", "affected_population_estimate", 100},
        {"locationName", "location_name", 200},
    };
    for (const auto &[field, column, max] : texts) {
        const QString f = QLatin1String(field);
        if (isExplicitNull(body, f))
            v.insert(QLatin1String(column), contentsql::nullText());
        else if (auto s = r.string(f, false, 0, max))
            v.insert(QLatin1String(column), *s);
    }
    if (isExplicitNull(body, QStringLiteral("geographicScope")))
        v.insert(QStringLiteral("geographic_scope"), contentsql::nullText());
    else if (auto s = r.oneOf(QStringLiteral("geographicScope"), false, ProblemInput::geographicScopes()))
        v.insert(QStringLiteral("geographic_scope"), *s);

    // Coordinates move together: both numbers, or both null.
    const bool hasLat = has(body, QStringLiteral("latitude")), hasLng = has(body, QStringLiteral("longitude"));
    if (hasLat || hasLng) {
        const bool latNull = isExplicitNull(body, QStringLiteral("latitude"));
        const bool lngNull = isExplicitNull(body, QStringLiteral("longitude"));
        const auto lat = r.number(QStringLiteral("latitude"), false, -90, 90);
        const auto lng = r.number(QStringLiteral("longitude"), false, -180, 180);
        if (hasLat != hasLng || latNull != lngNull) {
            r.add(hasLat ? QStringLiteral("longitude") : QStringLiteral("latitude"),
                  QStringLiteral("Latitude and longitude must be given together"));
        } else if (latNull) {
            v.insert(QStringLiteral("latitude"), contentsql::nullText());
            v.insert(QStringLiteral("longitude"), contentsql::nullText());
        } else if (lat && lng) {
            v.insert(QStringLiteral("latitude"), contentsql::number(lat));
            v.insert(QStringLiteral("longitude"), contentsql::number(lng));
        }
    }

    // Arrays: null means empty (the columns are NOT NULL).
    for (const auto &[field, column] :
         {std::pair{"existingSolutions", "existing_solutions"}, std::pair{"dataSources", "data_sources"}}) {
        const QString f = QLatin1String(field);
        if (isExplicitNull(body, f))
            v.insert(QLatin1String(column), QStringLiteral("[]"));
        else if (auto a = r.array(f, false, 0, 1000))
            v.insert(QLatin1String(column), contentsql::compact(*a));
    }
    if (isExplicitNull(body, QStringLiteral("evidenceLinks")))
        v.insert(QStringLiteral("evidence_links"), QStringLiteral("[]"));
    else if (auto links = urlList(r, QStringLiteral("evidenceLinks"), 20))
        v.insert(QStringLiteral("evidence_links"), contentsql::compact(contentsql::toArray(*links)));

    if (isExplicitNull(body, QStringLiteral("selfAudit"))) {
        v.insert(QStringLiteral("self_audit"), contentsql::nullText());
    } else if (auto audit = r.object(QStringLiteral("selfAudit"), false)) {
        FieldReader a(*audit, errors, QStringLiteral("selfAudit."));
        QJsonObject normalised;
        if (auto aligned = a.boolean(QStringLiteral("aligned"), true))
            normalised.insert(QStringLiteral("aligned"), *aligned);
        if (auto d = a.string(QStringLiteral("domain"), false, 0, 100)) {
            if (isValidDomain(*d))
                normalised.insert(QStringLiteral("domain"), *d);
            else
                a.add(QStringLiteral("domain"), QStringLiteral("Must be one of the 15 domains"));
        }
        if (auto j = a.string(QStringLiteral("justification"), false, 0, 2000))
            normalised.insert(QStringLiteral("justification"), *j);
        v.insert(QStringLiteral("self_audit"), contentsql::compact(normalised));
    }

    if (errors.empty() && v.isEmpty())
        errors.add(QStringLiteral("body"), QStringLiteral("At least one updatable field is required"));
    if (!errors.empty())
        return errors.toError();
    return p;
}

} // namespace bw::domain
