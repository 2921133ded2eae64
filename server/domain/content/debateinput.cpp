#include "server/domain/content/debateinput.h"

#include "server/domain/fieldreader.h"

namespace bw::domain {

using namespace contentinput;

const QStringList &DebateInput::stances()
{
    static const QStringList v{QStringLiteral("support"), QStringLiteral("oppose"), QStringLiteral("modify"),
                               QStringLiteral("question")};
    return v;
}

Result<DebateInput> DebateInput::parse(const QJsonObject &body)
{
    FieldErrors errors;
    FieldReader r(body, errors);
    DebateInput in;
    in.stance = r.oneOf(QStringLiteral("stance"), true, stances()).value_or(QString());
    in.content = r.string(QStringLiteral("content"), true, 50, 10000).value_or(QString());
    in.parentDebateId = uuid(r, QStringLiteral("parentDebateId"), false).value_or(QString());
    in.evidenceLinks = urlList(r, QStringLiteral("evidenceLinks"), 10).value_or(QStringList());
    if (!errors.empty())
        return errors.toError();
    return in;
}

Result<DebateQuery> DebateQuery::fromQuery(const QMap<QString, QString> &query)
{
    DebateQuery q;
    FieldErrors errors;
    q.page = ListParams::parse(query, errors);
    if (const QString stance = query.value(QStringLiteral("stance")); !stance.isEmpty()) {
        if (DebateInput::stances().contains(stance))
            q.stance = stance;
        else
            errors.add(QStringLiteral("stance"), QStringLiteral("Must be one of: support, oppose, modify, question"));
    }
    if (!errors.empty())
        return errors.toError();
    return q;
}

} // namespace bw::domain
