#include "server/domain/accounts/agentdirectoryquery.h"

#include "server/domain/accounts/agentinput.h"
#include "server/domain/domains.h"
#include "server/domain/sqljson.h"

#include "server/core/ids.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace bw::domain {

QString AgentDirectoryQuery::sortName(Sort sort)
{
    return sort == Sort::ReputationScore ? QStringLiteral("reputationScore") : QStringLiteral("createdAt");
}

Result<AgentDirectoryQuery> AgentDirectoryQuery::fromQuery(const QMap<QString, QString> &query)
{
    AgentDirectoryQuery q;
    FieldErrors errors;
    if (const QString limit = query.value(QStringLiteral("limit")); !limit.isEmpty()) {
        bool ok = false;
        const int n = limit.toInt(&ok);
        if (!ok || n < 1 || n > 100)
            errors.add(QStringLiteral("limit"), QStringLiteral("Must be an integer between 1 and 100"));
        else
            q.limit = n;
    }
    q.cursor = query.value(QStringLiteral("cursor"));
    if (const QString fw = query.value(QStringLiteral("framework")); !fw.isEmpty()) {
        if (AgentInput::frameworks().contains(fw))
            q.framework = fw;
        else
            errors.add(QStringLiteral("framework"),
                       QStringLiteral("Must be one of: %1").arg(AgentInput::frameworks().join(QStringLiteral(", "))));
    }
    if (const QString active = query.value(QStringLiteral("isActive")); !active.isEmpty()) {
        if (active == QLatin1String("true") || active == QLatin1String("false"))
            q.isActive = active == QLatin1String("true");
        else
            errors.add(QStringLiteral("isActive"), QStringLiteral("Must be true or false"));
    }
    if (const QString sort = query.value(QStringLiteral("sort")); !sort.isEmpty()) {
        if (sort == QLatin1String("createdAt"))
            q.sort = Sort::CreatedAt;
        else if (sort == QLatin1String("reputationScore"))
            q.sort = Sort::ReputationScore;
        else
            errors.add(QStringLiteral("sort"), QStringLiteral("Must be one of: reputationScore, createdAt"));
    }
    if (const QString order = query.value(QStringLiteral("order")); !order.isEmpty()) {
        if (order == QLatin1String("asc") || order == QLatin1String("desc"))
            q.ascending = order == QLatin1String("asc");
        else
            errors.add(QStringLiteral("order"), QStringLiteral("Must be asc or desc"));
    }
    if (!errors.empty())
        return errors.toError();

    for (const QString &part : query.value(QStringLiteral("specializations")).split(u',', Qt::SkipEmptyParts)) {
        const QString domain = part.trimmed();
        if (domain.isEmpty() || q.specializations.contains(domain))
            continue;
        if (!isValidDomain(domain))
            return ApiError::make(ErrorKind::InvalidDomain, QStringLiteral("Unknown domain"),
                                  QJsonObject{{QStringLiteral("domain"), domain.left(100)},
                                              {QStringLiteral("allowed"), QJsonArray::fromStringList(domainNames())}});
        q.specializations << domain;
    }
    return q;
}

bool AgentDirectoryQuery::positionValid(const QJsonObject &p) const
{
    if (p.value(QStringLiteral("s")).toString() != sortName(sort) || p.value(QStringLiteral("a")).toBool() != ascending)
        return false;
    if (!ids::isUuid(p.value(QStringLiteral("i")).toString()))
        return false;
    const QString k = p.value(QStringLiteral("k")).toString();
    if (sort == Sort::CreatedAt)
        return k.size() >= 20 && k.size() <= 40 && k.endsWith(u'Z');
    bool ok = false;
    k.toDouble(&ok);
    return ok && k.size() <= 20;
}

QJsonObject AgentDirectoryQuery::position(const QString &key, const QString &id) const
{
    return QJsonObject{{QStringLiteral("s"), sortName(sort)},
                       {QStringLiteral("a"), ascending},
                       {QStringLiteral("k"), key},
                       {QStringLiteral("i"), id}};
}

AgentDirectoryQuery::Sql AgentDirectoryQuery::build(const std::optional<QJsonObject> &position) const
{
    static const QString columns = sqljson::agentColumns(QStringLiteral("pg"), false);
    Sql out;
    const bool byCreated = sort == Sort::CreatedAt;
    const QString key = byCreated ? QStringLiteral("created_at") : QStringLiteral("reputation_score");
    const QString keyType = byCreated ? QStringLiteral("timestamptz") : QStringLiteral("numeric");
    const QString keyText =
        byCreated ? sqljson::exactTimestamp(QStringLiteral("pg.created_at")) : QStringLiteral("pg.reputation_score::text");
    const QString dir = ascending ? QStringLiteral("ASC") : QStringLiteral("DESC");

    QStringList where{QStringLiteral("true")};
    if (!framework.isEmpty()) {
        where << QStringLiteral("a.framework = ?");
        out.binds << framework;
    }
    if (!specializations.isEmpty()) {
        where << QStringLiteral("a.specializations @> ARRAY(SELECT jsonb_array_elements_text(?::jsonb))");
        out.binds << QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(specializations)).toJson(QJsonDocument::Compact));
    }
    if (isActive) {
        where << QStringLiteral("a.is_active = ?");
        out.binds << *isActive;
    }
    if (position) {
        // A row comparison in index order: PostgreSQL seeks instead of filtering.
        where << QStringLiteral("(a.%1, a.id) %2 (?::%3, ?::uuid)")
                     .arg(key, ascending ? QStringLiteral(">") : QStringLiteral("<"), keyType);
        out.binds << position->value(QStringLiteral("k")).toString() << position->value(QStringLiteral("i")).toString();
    }
    const QString order = QStringLiteral("a.%1 %2, a.id %2").arg(key, dir);
    out.text =
        QStringLiteral("WITH page AS (SELECT a.*, row_number() OVER (ORDER BY %1) AS rn FROM agents a WHERE %2"
                       " ORDER BY %1 LIMIT %3)"
                       " SELECT coalesce((SELECT json_agg(t) FROM (SELECT %4 FROM page pg WHERE pg.rn <= %5 ORDER BY pg.rn) t),"
                       " '[]'::json)::text, (SELECT count(*) FROM page)::int,"
                       " (SELECT json_build_object('k', %6, 'i', pg.id)::text FROM page pg WHERE pg.rn = %5)")
            .arg(order, where.join(QStringLiteral(" AND ")), QString::number(limit + 1), columns, QString::number(limit),
                 keyText);
    return out;
}

} // namespace bw::domain
