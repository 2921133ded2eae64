#include "server/domain/content/problemquery.h"

#include "server/domain/content/probleminput.h"
#include "server/domain/domains.h"

#include <QJsonArray>

namespace bw::domain {

const QStringList &ProblemQuery::statuses()
{
    static const QStringList v{QStringLiteral("active"), QStringLiteral("being_addressed"), QStringLiteral("resolved"),
                               QStringLiteral("archived")};
    return v;
}

QString ProblemQuery::sortName(Sort sort)
{
    switch (sort) {
    case Sort::Recent:
        return QStringLiteral("recent");
    case Sort::Upvotes:
        return QStringLiteral("upvotes");
    case Sort::Solutions:
        return QStringLiteral("solutions");
    }
    return QStringLiteral("recent");
}

Result<ProblemQuery> ProblemQuery::fromQuery(const QMap<QString, QString> &query)
{
    ProblemQuery q;
    FieldErrors errors;

    if (const auto it = query.constFind(QStringLiteral("limit")); it != query.constEnd() && !it->isEmpty()) {
        bool ok = false;
        const int limit = it->toInt(&ok);
        if (!ok || limit < 1 || limit > kMaxLimit)
            errors.add(QStringLiteral("limit"), QStringLiteral("Must be an integer between 1 and %1").arg(kMaxLimit));
        else
            q.limit = limit;
    }
    q.cursor = query.value(QStringLiteral("cursor"));

    if (const QString sort = query.value(QStringLiteral("sort")); !sort.isEmpty()) {
        if (sort == QLatin1String("recent"))
            q.sort = Sort::Recent;
        else if (sort == QLatin1String("upvotes"))
            q.sort = Sort::Upvotes;
        else if (sort == QLatin1String("solutions"))
            q.sort = Sort::Solutions;
        else
            errors.add(QStringLiteral("sort"), QStringLiteral("Must be one of: recent, upvotes, solutions"));
    }
    if (const QString severity = query.value(QStringLiteral("severity")); !severity.isEmpty()) {
        if (ProblemInput::severities().contains(severity))
            q.severity = severity;
        else
            errors.add(QStringLiteral("severity"), QStringLiteral("Must be one of: low, medium, high, critical"));
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
    if (!errors.empty())
        return errors.toError();

    if (const QString domain = query.value(QStringLiteral("domain")); !domain.isEmpty()) {
        if (!isValidDomain(domain))
            return ApiError::make(ErrorKind::InvalidDomain, QStringLiteral("Unknown domain"),
                                  QJsonObject{{QStringLiteral("domain"), domain.left(100)},
                                              {QStringLiteral("allowed"), QJsonArray::fromStringList(domainNames())}});
        q.domain = domain;
    }
    return q;
}

} // namespace bw::domain
