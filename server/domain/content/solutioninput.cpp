#include "server/domain/content/solutioninput.h"

#include "server/domain/fieldreader.h"

#include "server/core/ids.h"

#include <cmath>

namespace bw::domain {

using namespace contentinput;

const QList<contentsql::Column> &SolutionInput::columns()
{
    static const QList<contentsql::Column> v{
        {"title", "?"},
        {"description", "?"},
        {"approach", "?"},
        {"expected_impact", "?::jsonb"},
        {"estimated_cost", "?::jsonb"},
        {"risks_and_mitigations", "?::jsonb"},
        {"required_skills", "ARRAY(SELECT jsonb_array_elements_text(?::jsonb))"},
        {"required_locations", "ARRAY(SELECT jsonb_array_elements_text(?::jsonb))"},
        {"timeline_estimate", "?"},
    };
    return v;
}

namespace {
// expectedImpact {metric, value, timeframe}: value may be a number or a short text ("15%").
std::optional<QJsonObject> expectedImpact(FieldReader &r, FieldErrors &errors, bool required)
{
    const auto o = r.object(QStringLiteral("expectedImpact"), required);
    if (!o)
        return std::nullopt;
    FieldReader e(*o, errors, QStringLiteral("expectedImpact."));
    QJsonObject out;
    if (auto m = e.string(QStringLiteral("metric"), true, 1, 200))
        out.insert(QStringLiteral("metric"), *m);
    const QJsonValue value = o->value(QStringLiteral("value"));
    if (value.isDouble() && std::isfinite(value.toDouble()))
        out.insert(QStringLiteral("value"), value);
    else if (value.isString() && !value.toString().isEmpty() && value.toString().size() <= 100
             && !value.toString().contains(QChar(0)))
        out.insert(QStringLiteral("value"), value);
    else
        e.add(QStringLiteral("value"), value.isUndefined() || value.isNull()
                                           ? QStringLiteral("Required")
                                           : QStringLiteral("Expected a number or a short text"));
    if (auto t = e.string(QStringLiteral("timeframe"), true, 1, 100))
        out.insert(QStringLiteral("timeframe"), *t);
    return out;
}

std::optional<QJsonObject> estimatedCost(FieldReader &r, FieldErrors &errors)
{
    const auto o = r.object(QStringLiteral("estimatedCost"), false);
    if (!o)
        return std::nullopt;
    FieldReader c(*o, errors, QStringLiteral("estimatedCost."));
    QJsonObject out;
    if (auto a = c.number(QStringLiteral("amount"), true, 0, 1e15))
        out.insert(QStringLiteral("amount"), *a);
    if (auto cur = c.string(QStringLiteral("currency"), true, 1, 10))
        out.insert(QStringLiteral("currency"), *cur);
    return out;
}
} // namespace

Result<SolutionInput> SolutionInput::parse(const QJsonObject &body, Mode mode)
{
    const bool create = mode == Mode::Create;
    FieldErrors errors;
    FieldReader r(body, errors);
    SolutionInput in;
    auto &v = in.values;

    if (create) {
        in.problemId = uuid(r, QStringLiteral("problemId"), true).value_or(QString());
    } else {
        for (const char *f : {"title", "description", "approach", "expectedImpact"}) {
            if (isExplicitNull(body, QLatin1String(f)))
                r.add(QLatin1String(f), QStringLiteral("Must not be null"));
        }
    }
    if (auto s = r.string(QStringLiteral("title"), create, 10, 500))
        v.insert(QStringLiteral("title"), *s);
    if (auto s = r.string(QStringLiteral("description"), create, 50, 10000))
        v.insert(QStringLiteral("description"), *s);
    if (auto s = r.string(QStringLiteral("approach"), create, 50, 20000))
        v.insert(QStringLiteral("approach"), *s);
    if (auto o = expectedImpact(r, errors, create))
        v.insert(QStringLiteral("expected_impact"), contentsql::compact(*o));

    if (isExplicitNull(body, QStringLiteral("estimatedCost")))
        v.insert(QStringLiteral("estimated_cost"), contentsql::nullText());
    else if (auto o = estimatedCost(r, errors))
        v.insert(QStringLiteral("estimated_cost"), contentsql::compact(*o));

    if (isExplicitNull(body, QStringLiteral("risksAndMitigations")))
        v.insert(QStringLiteral("risks_and_mitigations"), QStringLiteral("[]"));
    else if (auto a = r.array(QStringLiteral("risksAndMitigations"), false, 0, 10))
        v.insert(QStringLiteral("risks_and_mitigations"), contentsql::compact(*a));

    const std::tuple<const char *, const char *, int, int> lists[] = {
        {"requiredSkills", "required_skills", 20, 100},
        {"requiredLocations", "required_locations", 10, 200},
    };
    for (const auto &[field, column, maxItems, maxLength] : lists) {
        const QString f = QLatin1String(field);
        if (isExplicitNull(body, f))
            v.insert(QLatin1String(column), QStringLiteral("[]"));
        else if (auto l = stringList(r, f, maxItems, 1, maxLength))
            v.insert(QLatin1String(column), contentsql::compact(contentsql::toArray(*l)));
    }

    if (isExplicitNull(body, QStringLiteral("timelineEstimate")))
        v.insert(QStringLiteral("timeline_estimate"), contentsql::nullText());
    else if (auto s = r.string(QStringLiteral("timelineEstimate"), false, 0, 100))
        v.insert(QStringLiteral("timeline_estimate"), *s);

    if (!create && errors.empty() && v.isEmpty())
        errors.add(QStringLiteral("body"), QStringLiteral("At least one updatable field is required"));
    if (!errors.empty())
        return errors.toError();

    if (create) { // every column gets a value: the INSERT binds them all
        const QHash<QString, QVariant> defaults{
            {QStringLiteral("estimated_cost"), contentsql::nullText()},
            {QStringLiteral("risks_and_mitigations"), QStringLiteral("[]")},
            {QStringLiteral("required_skills"), QStringLiteral("[]")},
            {QStringLiteral("required_locations"), QStringLiteral("[]")},
            {QStringLiteral("timeline_estimate"), contentsql::nullText()},
        };
        for (auto it = defaults.cbegin(); it != defaults.cend(); ++it) {
            if (!v.contains(it.key()))
                v.insert(it.key(), it.value());
        }
    }
    return in;
}

const QStringList &SolutionQuery::statuses()
{
    static const QStringList v{QStringLiteral("proposed"),    QStringLiteral("debating"),  QStringLiteral("ready_for_action"),
                               QStringLiteral("in_progress"), QStringLiteral("completed"), QStringLiteral("abandoned")};
    return v;
}

Result<SolutionQuery> SolutionQuery::fromQuery(const QMap<QString, QString> &query)
{
    SolutionQuery q;
    FieldErrors errors;
    q.page = ListParams::parse(query, errors);

    if (const QString id = query.value(QStringLiteral("problemId")); !id.isEmpty()) {
        if (ids::isUuid(id.toLower()))
            q.problemId = id.toLower();
        else
            errors.add(QStringLiteral("problemId"), QStringLiteral("Must be a UUID"));
    }
    if (const QString status = query.value(QStringLiteral("status")); !status.isEmpty()) {
        if (statuses().contains(status))
            q.status = status;
        else
            errors.add(QStringLiteral("status"), QStringLiteral("Must be one of: %1").arg(statuses().join(QStringLiteral(", "))));
    }
    if (const QString mine = query.value(QStringLiteral("mine")); !mine.isEmpty()) {
        if (mine == QLatin1String("true"))
            q.mine = true;
        else if (mine != QLatin1String("false"))
            errors.add(QStringLiteral("mine"), QStringLiteral("Must be true or false"));
    }
    if (const QString sort = query.value(QStringLiteral("sort")); !sort.isEmpty()) {
        if (sort == QLatin1String("recent") || sort == QLatin1String("votes"))
            q.sort = Sort::Recent;
        else if (sort == QLatin1String("score"))
            q.sort = Sort::Score;
        else
            errors.add(QStringLiteral("sort"), QStringLiteral("Must be one of: recent, score"));
    }
    if (!errors.empty())
        return errors.toError();
    return q;
}

} // namespace bw::domain
