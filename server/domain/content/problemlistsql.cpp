#include "server/domain/content/problemlistsql.h"

#include "server/domain/sqljson.h"

#include "server/core/ids.h"

namespace bw::domain {

namespace {
// Sort key column in front of (created_at, id); empty for "recent".
QString keyColumn(ProblemQuery::Sort sort)
{
    switch (sort) {
    case ProblemQuery::Sort::Recent:
        return {};
    case ProblemQuery::Sort::Upvotes:
        return QStringLiteral("upvotes");
    case ProblemQuery::Sort::Solutions:
        return QStringLiteral("solution_count");
    }
    return {};
}

QString orderBy(const QString &alias, const QString &key)
{
    const QString tail = QStringLiteral("%1.created_at DESC, %1.id DESC").arg(alias);
    return key.isEmpty() ? tail : QStringLiteral("%1.%2 DESC, ").arg(alias, key) + tail;
}
} // namespace

bool ProblemListSql::positionValid(const ProblemQuery &query, const QJsonObject &position)
{
    if (position.value(QStringLiteral("o")).toString() != ProblemQuery::sortName(query.sort))
        return false;
    // Cursors are signed by us, so the shape check guards against our own format changes.
    const QString ts = position.value(QStringLiteral("c")).toString();
    if (ts.size() < 20 || ts.size() > 40 || !ts.endsWith(QLatin1Char('Z')))
        return false;
    if (!ids::isUuid(position.value(QStringLiteral("i")).toString()))
        return false;
    if (!keyColumn(query.sort).isEmpty()) {
        const QJsonValue k = position.value(QStringLiteral("k"));
        if (!k.isDouble() || k.toDouble() != static_cast<double>(k.toInteger()))
            return false;
    }
    return true;
}

ProblemListSql ProblemListSql::build(const ProblemQuery &query, const QString &ownerId,
                                     const std::optional<QJsonObject> &position)
{
    static const QString itemColumns = sqljson::problemColumns(QStringLiteral("pg"));
    static const QString lastCreated = sqljson::exactTimestamp(QStringLiteral("pg.created_at"));

    ProblemListSql out;
    const QString key = keyColumn(query.sort);

    // Visibility first: it is the leading column of the list indexes.
    QString where;
    if (query.mine) {
        where = QStringLiteral("p.reported_by_agent_id = ?::uuid");
        out.binds << ownerId;
    } else {
        where = QStringLiteral("p.guardrail_status = 'approved'");
    }
    if (!query.domain.isEmpty()) {
        where += QStringLiteral(" AND p.domain = ?");
        out.binds << query.domain;
    }
    if (!query.severity.isEmpty()) {
        where += QStringLiteral(" AND p.severity = ?");
        out.binds << query.severity;
    }
    if (!query.status.isEmpty()) {
        where += QStringLiteral(" AND p.status = ?");
        out.binds << query.status;
    }
    if (position) {
        // Row comparison matches the index order, so PostgreSQL seeks instead of filtering.
        if (key.isEmpty()) {
            where += QStringLiteral(" AND (p.created_at, p.id) < (?::timestamptz, ?::uuid)");
        } else {
            where += QStringLiteral(" AND (p.%1, p.created_at, p.id) < (?::int, ?::timestamptz, ?::uuid)").arg(key);
            out.binds << position->value(QStringLiteral("k")).toInteger();
        }
        out.binds << position->value(QStringLiteral("c")).toString() << position->value(QStringLiteral("i")).toString();
    }

    // limit is validated to 1..100, so inlining it is safe and gives the planner the real number.
    const int limit = query.limit;
    const QString lastKey = key.isEmpty() ? QStringLiteral("NULL") : QStringLiteral("pg.") + key;
    out.sql =
        QStringLiteral("WITH page AS ("
                       "SELECT p.*, row_number() OVER (ORDER BY %1) AS rn FROM problems p WHERE %2 "
                       "ORDER BY %1 LIMIT %3) "
                       // json_agg takes rows in the subquery's order (a plain ordered scan of the CTE).
                       "SELECT coalesce((SELECT json_agg(t) FROM (SELECT %4 FROM page pg WHERE pg.rn <= %5 ORDER BY pg.rn) t),"
                       " '[]'::json)::text, "
                       "(SELECT count(*) FROM page)::int, "
                       "(SELECT json_build_object('c', %6, 'i', pg.id, 'k', %7)::text FROM page pg WHERE pg.rn = %5)")
            .arg(orderBy(QStringLiteral("p"), key), where, QString::number(limit + 1), itemColumns, QString::number(limit),
                 lastCreated, lastKey);
    return out;
}

} // namespace bw::domain
