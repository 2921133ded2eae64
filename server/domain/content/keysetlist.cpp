#include "server/domain/content/keysetlist.h"

#include "server/db/sql.h"
#include "server/domain/content/problemservice.h"
#include "server/domain/sqljson.h"

#include "server/core/cursor.h"
#include "server/core/ids.h"
#include "server/db/database.h"

#include <QJsonDocument>
#include <QSqlQuery>

namespace bw::domain {

namespace {
QString castOf(KeyPart::Kind kind)
{
    switch (kind) {
    case KeyPart::Kind::Timestamp:
        return QStringLiteral("timestamptz");
    case KeyPart::Kind::Numeric:
        return QStringLiteral("numeric");
    case KeyPart::Kind::Float:
        return QStringLiteral("float8");
    case KeyPart::Kind::Integer:
        return QStringLiteral("bigint");
    case KeyPart::Kind::Uuid:
        return QStringLiteral("uuid");
    }
    return QStringLiteral("text");
}

// How a key leaves the database for the cursor: text that casts back to the identical value.
QString keyText(const KeyPart &key, const QString &column)
{
    if (key.kind == KeyPart::Kind::Timestamp)
        return sqljson::exactTimestamp(column);
    return column + QStringLiteral("::text"); // float8 text is shortest-exact since PostgreSQL 12
}

bool validKeyText(KeyPart::Kind kind, const QJsonValue &v)
{
    if (!v.isString())
        return false;
    const QString s = v.toString();
    if (s.isEmpty() || s.size() > 64)
        return false;
    switch (kind) {
    case KeyPart::Kind::Timestamp:
        return s.size() >= 20 && s.endsWith(QLatin1Char('Z'));
    case KeyPart::Kind::Uuid:
        return ids::isUuid(s);
    case KeyPart::Kind::Integer: {
        bool ok = false;
        s.toLongLong(&ok);
        return ok;
    }
    case KeyPart::Kind::Numeric:
    case KeyPart::Kind::Float: {
        bool ok = false;
        s.toDouble(&ok);
        return ok;
    }
    }
    return false;
}
} // namespace

KeysetSql KeysetSql::build(const KeysetSpec &spec, const std::optional<QJsonArray> &position)
{
    // Every fragment keeps its binds next to its text, so the bind order always follows the text.
    struct Fragment {
        QString sql;
        QVariantList binds;
    };
    auto key = [&](qsizetype i) { return Fragment{QStringLiteral("(%1)").arg(spec.keys[i].expr), spec.keys[i].binds}; };
    auto join = [](const QList<Fragment> &parts, const QString &sep) {
        Fragment out;
        QStringList texts;
        for (const Fragment &f : parts) {
            texts << f.sql;
            out.binds << f.binds;
        }
        out.sql = texts.join(sep);
        return out;
    };
    const QString dir = spec.descending ? QStringLiteral(" DESC") : QStringLiteral(" ASC");

    QList<Fragment> conditions;
    if (!spec.where.isEmpty())
        conditions << Fragment{spec.where, spec.whereBinds};
    if (position) {
        // A row comparison in index order lets PostgreSQL seek instead of filtering.
        QList<Fragment> lhs, rhs;
        for (qsizetype i = 0; i < spec.keys.size(); ++i) {
            lhs << key(i);
            rhs << Fragment{QStringLiteral("?::%1").arg(castOf(spec.keys[i].kind)), {position->at(i).toString()}};
        }
        const Fragment l = join(lhs, QStringLiteral(", ")), r = join(rhs, QStringLiteral(", "));
        conditions << Fragment{
            QStringLiteral("(%1) %2 (%3)").arg(l.sql, spec.descending ? QStringLiteral("<") : QStringLiteral(">"), r.sql),
            l.binds + r.binds};
    }

    QList<Fragment> orderParts, selectParts{Fragment{spec.select, spec.selectBinds}};
    QStringList aliases, aliasedPg, texts;
    for (qsizetype i = 0; i < spec.keys.size(); ++i) {
        Fragment k = key(i);
        selectParts << Fragment{k.sql + QStringLiteral(" AS _k%1").arg(i), k.binds};
        k.sql += dir;
        orderParts << k;
        aliases << QStringLiteral("_k%1").arg(i) + dir;
        aliasedPg << QStringLiteral("pg._k%1").arg(i) + dir;
        texts << keyText(spec.keys[i], QStringLiteral("pg._k%1").arg(i));
    }
    const int limit = spec.limit; // validated 1..100 by the caller: safe to inline, and the planner sees it

    KeysetSql out;
    QString with = QStringLiteral("WITH ");
    if (!spec.knnBox.isEmpty()) {
        QList<Fragment> edgeConditions = conditions;
        if (!spec.knnEdgeWhere.isEmpty())
            edgeConditions << Fragment{spec.knnEdgeWhere, spec.knnEdgeWhereBinds};
        const Fragment where = join(edgeConditions, QStringLiteral(" AND "));
        const Fragment first = key(0);
        with += QStringLiteral("edge AS (SELECT %1 AS d FROM %2 WHERE %3 ORDER BY %1 LIMIT 1 OFFSET %4), ")
                    .arg(first.sql, spec.from, where.sql, QString::number(limit));
        out.binds << first.binds << where.binds << first.binds;
        // No edge row: fewer than limit + 1 rows match at all, and the other conditions bound the page.
        const QString edge = QStringLiteral("coalesce((SELECT d FROM edge), 1e9)");
        if (!spec.knnPageWhere.isEmpty())
            conditions << Fragment{spec.knnPageWhere, spec.knnPageWhereBinds};
        conditions << Fragment{spec.knnBox.arg(edge), spec.knnBoxBinds}
                   << Fragment{first.sql + QStringLiteral(" <= ") + edge, first.binds};
    }
    const Fragment select = join(selectParts, QStringLiteral(", "));
    const Fragment where = join(conditions, QStringLiteral(" AND "));
    const Fragment order = join(orderParts, QStringLiteral(", "));
    out.binds << select.binds << where.binds << order.binds;

    out.sql = with
              + QStringLiteral("page AS (SELECT %1 FROM %2%3 ORDER BY %4 LIMIT %5) "
                               "SELECT coalesce((SELECT json_agg(t) FROM (SELECT %6 FROM "
                               "(SELECT * FROM page ORDER BY %7 LIMIT %8) pg ORDER BY %9) t), '[]'::json)::text, "
                               "(SELECT count(*) FROM page)::int, "
                               "(SELECT json_build_array(%10)::text FROM page pg ORDER BY %9 OFFSET %11 LIMIT 1)")
                    .arg(select.sql, spec.from, where.sql.isEmpty() ? QString() : QStringLiteral(" WHERE ") + where.sql,
                         order.sql, QString::number(limit + 1), spec.itemColumns, aliases.join(QStringLiteral(", ")),
                         QString::number(limit), aliasedPg.join(QStringLiteral(", ")))
                    .arg(texts.join(QStringLiteral(", ")), QString::number(limit - 1));
    return out;
}

std::optional<QJsonArray> KeysetSql::positionOf(const KeysetSpec &spec, const QJsonObject &decoded)
{
    if (decoded.value(QStringLiteral("l")).toString() != spec.list || decoded.value(QStringLiteral("o")).toString() != spec.sort)
        return std::nullopt;
    const QJsonArray k = decoded.value(QStringLiteral("k")).toArray();
    if (k.size() != spec.keys.size())
        return std::nullopt;
    for (qsizetype i = 0; i < k.size(); ++i) {
        if (!validKeyText(spec.keys[i].kind, k.at(i)))
            return std::nullopt;
    }
    return k;
}

Result<Page> runKeysetPage(QSqlDatabase db, CursorSource &cursors, const KeysetSpec &spec, const QString &cursor)
{
    auto codec = cursors.codec();
    if (!codec)
        return codec.error();
    std::optional<QJsonArray> position;
    if (!cursor.isEmpty()) {
        auto decoded = (*codec)->decode(cursor);
        if (!decoded)
            return decoded.error();
        position = KeysetSql::positionOf(spec, *decoded);
        if (!position)
            return ApiError::make(ErrorKind::InvalidCursor, QStringLiteral("Invalid cursor"));
    }

    const KeysetSql built = KeysetSql::build(spec, position);
    auto q = db::execCached(db, built.sql, built.binds);
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::internal(QStringLiteral("keyset page returned no row"));

    Page page;
    page.itemsJson = q->value(0).toString().toUtf8();
    const int fetched = q->value(1).toInt();
    page.hasMore = fetched > spec.limit;
    page.count = std::min(fetched, spec.limit);
    if (page.hasMore) {
        const QJsonDocument last = QJsonDocument::fromJson(q->value(2).toString().toUtf8());
        if (!last.isArray())
            return ApiError::internal(QStringLiteral("keyset page: last position did not parse"));
        page.nextCursor = (*codec)->encode(
            QJsonObject{{QStringLiteral("l"), spec.list}, {QStringLiteral("o"), spec.sort}, {QStringLiteral("k"), last.array()}});
    }
    return page;
}

} // namespace bw::domain
