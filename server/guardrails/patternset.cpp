#include "patternset.h"

#include "textnormaliser.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSet>

namespace bw::guardrails {

namespace {
Q_LOGGING_CATEGORY(lcPatterns, "bw.guardrails.patterns")

constexpr int kFormat = 1;
constexpr auto kBuiltInPath = ":/guardrails/patterns.json";

ApiError invalid(const QString &why)
{
    return ApiError::badRequest(QStringLiteral("invalid pattern file: ") + why);
}

// "A…B…C" → \b(?:A)\b <gap> \b(?:B)\b <gap> \b(?:C)\b. The gap stays inside one sentence/line
// and allows up to maxWords words in between (always at least one separator).
const QRegularExpression &ellipsis()
{
    static const QRegularExpression re(QStringLiteral("…|\\.\\.\\."));
    return re;
}

QString compileTerm(const QString &term, int maxWords)
{
    const QString sep = QStringLiteral("[^\\w\\n.!?]+");
    const QString gap = QStringLiteral("(?:%1\\w+){0,%2}?%1").arg(sep).arg(maxWords);
    QStringList parts;
    for (const QString &part : term.split(ellipsis()))
        parts << QStringLiteral("\\b(?:%1)\\b").arg(part.trimmed());
    return parts.join(gap);
}
} // namespace

Result<std::shared_ptr<const PatternSet>> PatternSet::fromJson(const QByteArray &json)
{
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject())
        return invalid(QStringLiteral("not a JSON object (%1)").arg(parseError.errorString()));
    const QJsonObject root = doc.object();
    if (root.value(QStringLiteral("format")).toInt(-1) != kFormat)
        return invalid(QStringLiteral("\"format\" must be %1").arg(kFormat));
    const QString version = root.value(QStringLiteral("version")).toString().trimmed();
    if (version.isEmpty())
        return invalid(QStringLiteral("\"version\" must be a non-empty string"));
    const int maxWords = root.value(QStringLiteral("followWithinWords")).toInt(8);
    if (maxWords < 0 || maxWords > 50)
        return invalid(QStringLiteral("\"followWithinWords\" must be 0–50"));
    const QJsonArray patterns = root.value(QStringLiteral("patterns")).toArray();
    if (patterns.isEmpty())
        return invalid(QStringLiteral("\"patterns\" must be a non-empty array"));

    static const QRegularExpression nameRe(QStringLiteral("^[a-z][a-z0-9_]{0,63}$"));
    static const QStringList severities = {QStringLiteral("critical"), QStringLiteral("high"), QStringLiteral("medium"),
                                           QStringLiteral("low")};
    std::shared_ptr<PatternSet> set(new PatternSet);
    set->m_version = version;
    QSet<QString> seen;
    for (const QJsonValue &pv : patterns) {
        const QJsonObject p = pv.toObject();
        const QString name = p.value(QStringLiteral("name")).toString();
        if (!nameRe.match(name).hasMatch())
            return invalid(QStringLiteral("pattern name '%1' must be lower_snake_case").arg(name));
        if (seen.contains(name))
            return invalid(QStringLiteral("pattern '%1' appears twice").arg(name));
        seen.insert(name);
        const QString severity = p.value(QStringLiteral("severity")).toString();
        if (!severities.contains(severity))
            return invalid(QStringLiteral("pattern '%1': severity must be critical, high, medium or low").arg(name));
        const QJsonArray terms = p.value(QStringLiteral("terms")).toArray();
        if (terms.isEmpty())
            return invalid(QStringLiteral("pattern '%1' has no terms").arg(name));
        QStringList alternatives;
        for (const QJsonValue &tv : terms) {
            const QString term = tv.toString().trimmed();
            if (term.isEmpty())
                return invalid(QStringLiteral("pattern '%1' has an empty term").arg(name));
            const QRegularExpression one(compileTerm(term, maxWords), QRegularExpression::UseUnicodePropertiesOption);
            if (!one.isValid())
                return invalid(QStringLiteral("pattern '%1', term '%2': %3").arg(name, term, one.errorString()));
            for (const QString &part : term.split(ellipsis())) {
                if (QRegularExpression(QStringLiteral("^(?:%1)$").arg(part.trimmed())).match(QString()).hasMatch())
                    return invalid(QStringLiteral("pattern '%1', term '%2' matches empty text").arg(name, term));
            }
            alternatives << QStringLiteral("(?:%1)").arg(one.pattern());
        }
        Compiled compiled{name, severity, QRegularExpression(alternatives.join(u'|'), QRegularExpression::CaseInsensitiveOption)};
        compiled.regex.optimize(); // JIT-compile now, not on the first evaluation
        set->m_patterns.append(std::move(compiled));
    }
    return std::shared_ptr<const PatternSet>(std::move(set));
}

QByteArray PatternSet::builtInJson()
{
    QFile file(QString::fromLatin1(kBuiltInPath));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

std::shared_ptr<const PatternSet> PatternSet::builtIn()
{
    static const std::shared_ptr<const PatternSet> set = [] {
        auto parsed = fromJson(builtInJson());
        if (!parsed) {
            qCCritical(lcPatterns).noquote() << "built-in pattern file:" << parsed.error().message;
            return std::shared_ptr<const PatternSet>();
        }
        return *parsed;
    }();
    return set;
}

QStringList PatternSet::names() const
{
    QStringList out;
    for (const Compiled &p : m_patterns)
        out << p.name;
    return out;
}

QList<PatternMatch> PatternSet::match(const QString &text) const
{
    return matchNormalised(normaliseForMatching(text));
}

QList<PatternMatch> PatternSet::matchNormalised(const QString &normalised) const
{
    QList<PatternMatch> out;
    for (const Compiled &p : m_patterns) {
        const QRegularExpressionMatch m = p.regex.match(normalised);
        if (m.hasMatch())
            out.append(PatternMatch{p.name, p.severity, m.captured().left(200)});
    }
    return out;
}

QJsonObject PatternSet::resultJson(const QList<PatternMatch> &matches) const
{
    QJsonArray list;
    for (const PatternMatch &m : matches)
        list.append(QJsonObject{
            {QStringLiteral("pattern"), m.pattern}, {QStringLiteral("severity"), m.severity}, {QStringLiteral("text"), m.text}});
    return QJsonObject{{QStringLiteral("passed"), matches.isEmpty()},
                       {QStringLiteral("matches"), list},
                       {QStringLiteral("patternsVersion"), m_version}};
}

} // namespace bw::guardrails
