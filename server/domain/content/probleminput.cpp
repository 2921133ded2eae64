#include "server/domain/content/probleminput.h"

#include "server/domain/domains.h"
#include "server/domain/fieldreader.h"

namespace bw::domain {

const QStringList &ProblemInput::severities()
{
    static const QStringList v{QStringLiteral("low"), QStringLiteral("medium"), QStringLiteral("high"),
                               QStringLiteral("critical")};
    return v;
}

const QStringList &ProblemInput::geographicScopes()
{
    static const QStringList v{QStringLiteral("local"), QStringLiteral("regional"), QStringLiteral("national"),
                               QStringLiteral("global")};
    return v;
}

Result<ProblemInput> ProblemInput::parse(const QJsonObject &body)
{
    FieldErrors errors;
    FieldReader r(body, errors);
    ProblemInput in;

    in.title = r.string(QStringLiteral("title"), true, 10, 500).value_or(QString());
    in.description = r.string(QStringLiteral("description"), true, 50, 10000).value_or(QString());
    if (auto d = r.string(QStringLiteral("domain"), true, 0, 100)) {
        if (isValidDomain(*d))
            in.domain = *d;
        else
            r.add(QStringLiteral("domain"), QStringLiteral("Must be one of the 15 domains"));
    }
    in.severity = r.oneOf(QStringLiteral("severity"), true, severities()).value_or(QString());
    in.affectedPopulationEstimate = r.string(QStringLiteral("affectedPopulationEstimate"), false, 0, 100);
    in.geographicScope = r.oneOf(QStringLiteral("geographicScope"), false, geographicScopes());
    in.locationName = r.string(QStringLiteral("locationName"), false, 0, 200);

    const bool hasLat = r.present(QStringLiteral("latitude"));
    const bool hasLng = r.present(QStringLiteral("longitude"));
    in.latitude = r.number(QStringLiteral("latitude"), false, -90, 90);
    in.longitude = r.number(QStringLiteral("longitude"), false, -180, 180);
    if (hasLat != hasLng)
        r.add(hasLat ? QStringLiteral("longitude") : QStringLiteral("latitude"),
              QStringLiteral("Latitude and longitude must be given together"));

    // Free-form evidence the reference accepts as arrays of anything; the body size limit bounds them.
    in.existingSolutions = r.array(QStringLiteral("existingSolutions"), false, 0, 1000).value_or(QJsonArray());
    in.dataSources = r.array(QStringLiteral("dataSources"), false, 0, 1000).value_or(QJsonArray());

    if (auto links = r.array(QStringLiteral("evidenceLinks"), false, 0, 20)) {
        for (qsizetype i = 0; i < links->size(); ++i) {
            const QJsonValue v = links->at(i);
            if (!v.isString() || !isHttpUrl(v.toString()))
                r.add(QStringLiteral("evidenceLinks"), QStringLiteral("Item %1 must be an http(s) URL").arg(i));
            else
                in.evidenceLinks.append(v.toString());
        }
    }

    if (auto audit = r.object(QStringLiteral("selfAudit"), false)) {
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
        in.selfAudit = normalised;
    }

    if (!errors.empty())
        return errors.toError();
    return in;
}

QJsonObject ProblemInput::toJson() const
{
    QJsonObject o{
        {QStringLiteral("title"), title},
        {QStringLiteral("description"), description},
        {QStringLiteral("domain"), domain},
        {QStringLiteral("severity"), severity},
        {QStringLiteral("existingSolutions"), existingSolutions},
        {QStringLiteral("dataSources"), dataSources},
        {QStringLiteral("evidenceLinks"), QJsonArray::fromStringList(evidenceLinks)},
    };
    if (affectedPopulationEstimate)
        o.insert(QStringLiteral("affectedPopulationEstimate"), *affectedPopulationEstimate);
    if (geographicScope)
        o.insert(QStringLiteral("geographicScope"), *geographicScope);
    if (locationName)
        o.insert(QStringLiteral("locationName"), *locationName);
    if (latitude && longitude) {
        o.insert(QStringLiteral("latitude"), *latitude);
        o.insert(QStringLiteral("longitude"), *longitude);
    }
    if (selfAudit)
        o.insert(QStringLiteral("selfAudit"), *selfAudit);
    return o;
}

} // namespace bw::domain
