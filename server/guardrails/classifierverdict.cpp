#include "classifierverdict.h"

#include "server/domain/domains.h"

#include <QJsonDocument>
#include <QStringList>

#include <cmath>

namespace bw::guardrails {

namespace {
ApiError invalid(const QString &why)
{
    return ApiError::badRequest(QStringLiteral("invalid classifier output: ") + why);
}

const QStringList &levels()
{
    static const QStringList l = {QStringLiteral("low"), QStringLiteral("medium"), QStringLiteral("high")};
    return l;
}

// A required string field from a fixed set (compared case-insensitively, stored lower-case).
std::optional<QString> choice(const QJsonObject &o, const char *key, const QStringList &allowed, QString *why)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (!v.isString()) {
        *why = QStringLiteral("\"%1\" must be a string").arg(QLatin1String(key));
        return std::nullopt;
    }
    const QString s = v.toString().trimmed().toLower();
    if (!allowed.contains(s)) {
        *why = QStringLiteral("\"%1\" must be one of %2").arg(QLatin1String(key), allowed.join(u'|'));
        return std::nullopt;
    }
    return s;
}

std::optional<double> number(const QJsonObject &o, const char *key, double min, double max, QString *why)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (!v.isDouble() || !std::isfinite(v.toDouble()) || v.toDouble() < min || v.toDouble() > max) {
        *why = QStringLiteral("\"%1\" must be a number from %2 to %3").arg(QLatin1String(key)).arg(min).arg(max);
        return std::nullopt;
    }
    return v.toDouble();
}
} // namespace

QJsonObject ClassifierVerdict::toJson() const
{
    QJsonObject o{
        {QStringLiteral("aligned_domain"), alignedDomain.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(alignedDomain)},
        {QStringLiteral("alignment_score"), alignmentScore},
        {QStringLiteral("harm_risk"), harmRisk},
        {QStringLiteral("feasibility"), feasibility},
        {QStringLiteral("quality"), quality},
        {QStringLiteral("decision"), decision},
        {QStringLiteral("reasoning"), reasoning}};
    if (solutionScores)
        o.insert(QStringLiteral("solution_scores"),
                 QJsonObject{{QStringLiteral("impact"), solutionScores->impact},
                             {QStringLiteral("feasibility"), solutionScores->feasibility},
                             {QStringLiteral("cost_efficiency"), solutionScores->costEfficiency}});
    return o;
}

Result<ClassifierVerdict> ClassifierVerdict::fromJson(const QJsonObject &o, const QString &contentType)
{
    ClassifierVerdict v;
    QString why;

    const QJsonValue domain = o.value(QStringLiteral("aligned_domain"));
    if (domain.isString() && domain::isValidDomain(domain.toString().trimmed().toLower()))
        v.alignedDomain = domain.toString().trimmed().toLower();
    else if (!domain.isNull())
        return invalid(QStringLiteral("\"aligned_domain\" must be one of the 15 domains or null"));

    const auto score = number(o, "alignment_score", 0.0, 1.0, &why);
    if (!score)
        return invalid(why);
    v.alignmentScore = *score;

    static const QStringList decisions = {QStringLiteral("approve"), QStringLiteral("flag"), QStringLiteral("reject")};
    const auto harm = choice(o, "harm_risk", levels(), &why);
    const auto feasibility = harm ? choice(o, "feasibility", levels(), &why) : std::nullopt;
    const auto quality = feasibility ? choice(o, "quality", levels(), &why) : std::nullopt;
    const auto decision = quality ? choice(o, "decision", decisions, &why) : std::nullopt;
    if (!decision)
        return invalid(why);
    v.harmRisk = *harm;
    v.feasibility = *feasibility;
    v.quality = *quality;
    v.decision = *decision;

    const QJsonValue reasoning = o.value(QStringLiteral("reasoning"));
    if (!reasoning.isString() || reasoning.toString().size() > 2000)
        return invalid(QStringLiteral("\"reasoning\" must be a string of at most 2000 characters"));
    v.reasoning = reasoning.toString();

    if (contentType == u"solution") {
        const QJsonValue scores = o.value(QStringLiteral("solution_scores"));
        if (!scores.isObject())
            return invalid(
                QStringLiteral("\"solution_scores\" {impact, feasibility, cost_efficiency} is required for solutions"));
        const QJsonObject s = scores.toObject();
        const auto impact = number(s, "impact", 0, 100, &why);
        const auto feas = impact ? number(s, "feasibility", 0, 100, &why) : std::nullopt;
        const auto cost = feas ? number(s, "cost_efficiency", 0, 100, &why) : std::nullopt;
        if (!cost)
            return invalid(QStringLiteral("solution_scores: ") + why);
        v.solutionScores = SolutionScores{*impact, *feas, *cost};
    }
    return v;
}

Result<ClassifierVerdict> ClassifierVerdict::parse(const QString &modelText, const QString &contentType)
{
    QString text = modelText.trimmed();
    // Models sometimes wrap the object in one Markdown fence despite being told not to.
    if (text.startsWith(QStringLiteral("```")) && text.endsWith(QStringLiteral("```")) && text.size() >= 6) {
        text = text.mid(3, text.size() - 6);
        if (text.startsWith(QStringLiteral("json"), Qt::CaseInsensitive))
            text = text.mid(4);
        text = text.trimmed();
    }
    if (text.size() > 20000)
        return invalid(QStringLiteral("longer than 20000 characters"));
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError)
        return invalid(QStringLiteral("not JSON (%1 at offset %2)").arg(error.errorString()).arg(error.offset));
    if (!doc.isObject())
        return invalid(QStringLiteral("not a JSON object"));
    return fromJson(doc.object(), contentType);
}

} // namespace bw::guardrails
