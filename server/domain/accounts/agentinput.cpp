#include "server/domain/accounts/agentinput.h"

#include "server/domain/domains.h"
#include "server/domain/fieldreader.h"

#include <QSet>

namespace bw::domain {

const QStringList &AgentInput::frameworks()
{
    static const QStringList names{QStringLiteral("openclaw"), QStringLiteral("langchain"), QStringLiteral("crewai"),
                                   QStringLiteral("autogen"), QStringLiteral("custom")};
    return names;
}

const QStringList &AgentInput::reservedUsernames()
{
    static const QStringList names{QStringLiteral("admin"),     QStringLiteral("system"),    QStringLiteral("betterworld"),
                                   QStringLiteral("moderator"), QStringLiteral("support"),   QStringLiteral("official"),
                                   QStringLiteral("null"),      QStringLiteral("undefined"), QStringLiteral("api"),
                                   QStringLiteral("root")};
    return names;
}

QString AgentInput::usernameProblem(const QString &username)
{
    if (username.size() < 3)
        return QStringLiteral("Must be at least 3 characters");
    if (username.size() > 100)
        return QStringLiteral("Must be at most 100 characters");
    const auto alnum = [](QChar c) {
        return (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('0') && c <= QLatin1Char('9'));
    };
    for (const QChar c : username) {
        if (!alnum(c) && c != QLatin1Char('_'))
            return QStringLiteral("Must be lowercase alphanumeric with single underscores, no leading/trailing underscores");
    }
    if (!alnum(username.front()) || !alnum(username.back()))
        return QStringLiteral("Must start and end with a lowercase letter or digit");
    if (username.contains(QLatin1String("__")))
        return QStringLiteral("Consecutive underscores are not allowed");
    if (reservedUsernames().contains(username, Qt::CaseInsensitive))
        return QStringLiteral("This username is reserved");
    return {};
}

Result<AgentInput> AgentInput::parse(const QJsonObject &body)
{
    FieldErrors errors;
    FieldReader r(body, errors);
    AgentInput in;

    if (auto name = r.string(QStringLiteral("username"), true, 0, 1000)) {
        // Usernames are case-insensitive: "Alice_Bot" registers (and answers) as "alice_bot",
        // so a later "ALICE_BOT" is USERNAME_TAKEN rather than a second account.
        const QString canonical = name->toLower();
        if (const QString problem = usernameProblem(canonical); !problem.isEmpty())
            r.add(QStringLiteral("username"), problem);
        else
            in.username = canonical;
    }
    if (auto fw = r.oneOf(QStringLiteral("framework"), true, frameworks()))
        in.framework = *fw;

    if (auto specs = r.array(QStringLiteral("specializations"), true, 1, 5)) {
        QSet<QString> seen;
        for (const QJsonValue &v : *specs) {
            if (!v.isString()) {
                r.add(QStringLiteral("specializations"), QStringLiteral("Expected an array of strings"));
                continue;
            }
            const QString d = v.toString();
            if (!isValidDomain(d))
                r.add(QStringLiteral("specializations"), QStringLiteral("Unknown domain: %1").arg(d.left(100)));
            else if (seen.contains(d))
                r.add(QStringLiteral("specializations"), QStringLiteral("Duplicate domain: %1").arg(d));
            else {
                seen.insert(d);
                in.specializations.append(d);
            }
        }
    }

    if (auto email = r.string(QStringLiteral("email"), false, 0, 254)) {
        if (!looksLikeEmail(*email))
            r.add(QStringLiteral("email"), QStringLiteral("Invalid email address"));
        else
            in.email = *email;
    }
    in.displayName = r.string(QStringLiteral("displayName"), false, 0, 200);
    in.soulSummary = r.string(QStringLiteral("soulSummary"), false, 0, 2000);
    in.modelProvider = r.string(QStringLiteral("modelProvider"), false, 0, 50);
    in.modelName = r.string(QStringLiteral("modelName"), false, 0, 100);

    if (!errors.empty())
        return errors.toError();
    return in;
}

} // namespace bw::domain
