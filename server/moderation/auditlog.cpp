#include "auditlog.h"

#include "moderationsql_p.h"

#include "server/core/cursor.h"
#include "server/core/ids.h"
#include "server/db/sql.h"
#include "server/domain/sqljson.h"

#include <QSqlQuery>
#include <QStringList>

#include <arpa/inet.h>

namespace bw::moderation {

using db::textOrNull;

AuditEntry AuditEntry::byModerator(const AdminCaller &actor, const QString &action, const QString &targetType,
                                   const QString &targetId)
{
    AuditEntry e;
    e.actorType = QStringLiteral("moderator");
    e.actorId = actor.moderatorId;
    e.action = action;
    e.targetType = targetType;
    e.targetId = targetId;
    e.ip = actor.ip;
    return e;
}

AuditEntry AuditEntry::bySystem(const QString &action, const QString &targetType, const QString &targetId)
{
    AuditEntry e;
    e.actorType = QStringLiteral("system");
    e.action = action;
    e.targetType = targetType;
    e.targetId = targetId;
    return e;
}

Result<AuditQuery> AuditQuery::fromQuery(const QMap<QString, QString> &query)
{
    AuditQuery q;
    FieldErrors fields;
    q.actorType = query.value(QStringLiteral("actorType"));
    if (!q.actorType.isEmpty() && q.actorType != u"moderator" && q.actorType != u"agent" && q.actorType != u"system")
        fields.add(QStringLiteral("actorType"), QStringLiteral("Must be one of moderator, agent, system"));
    q.actorId = query.value(QStringLiteral("actorId"));
    if (!q.actorId.isEmpty() && !ids::isUuid(q.actorId))
        fields.add(QStringLiteral("actorId"), QStringLiteral("Must be a UUID"));
    q.action = query.value(QStringLiteral("action")).left(200);
    q.targetType = query.value(QStringLiteral("targetType")).left(200);
    q.targetId = query.value(QStringLiteral("targetId")).left(200);
    q.cursor = query.value(QStringLiteral("cursor"));
    q.limit = detail::readLimit(query, fields);
    if (!fields.empty())
        return fields.toError();
    return q;
}

namespace audit {

QString inetOrEmpty(const QString &ip)
{
    if (ip.isEmpty() || ip.size() > 64)
        return {};
    const QByteArray text = ip.toLatin1();
    unsigned char buf[16];
    const bool valid = inet_pton(AF_INET, text.constData(), buf) == 1 || inet_pton(AF_INET6, text.constData(), buf) == 1;
    return valid ? ip : QString();
}

Status append(QSqlDatabase db, const AuditEntry &entry)
{
    static const QString sql =
        QStringLiteral("INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id, before, after, ip)"
                       " VALUES (?, ?::uuid, ?, ?, ?, ?::jsonb, ?::jsonb, ?::inet)");
    const auto jsonOrNull = [](const QJsonValue &v) {
        return v.isNull() || v.isUndefined() ? db::nullText() : QVariant(detail::compact(v));
    };
    auto q = db::exec(db, sql,
                      {entry.actorType, textOrNull(entry.actorId), entry.action, textOrNull(entry.targetType),
                       textOrNull(entry.targetId), jsonOrNull(entry.before), jsonOrNull(entry.after),
                       textOrNull(inetOrEmpty(entry.ip))});
    if (!q)
        return q.error();
    return success();
}

namespace {
QString itemColumns()
{
    return QStringLiteral("l.id AS \"id\", l.actor_type AS \"actorType\", l.actor_id AS \"actorId\","
                          " m.email AS \"actorEmail\", l.action AS \"action\", l.target_type AS \"targetType\","
                          " l.target_id AS \"targetId\", l.before AS \"before\", l.after AS \"after\","
                          " host(l.ip) AS \"ip\", %1 AS \"at\"")
        .arg(domain::sqljson::isoTimestamp(QStringLiteral("l.at")));
}
} // namespace

Result<JsonPage> list(QSqlDatabase db, const CursorCodec &codec, const AuditQuery &query)
{
    QStringList where;
    QVariantList binds;
    const auto add = [&](const QString &predicate, const QVariant &value) {
        where << predicate;
        binds << value;
    };
    if (!query.actorType.isEmpty())
        add(QStringLiteral("l.actor_type = ?"), query.actorType);
    if (!query.actorId.isEmpty())
        add(QStringLiteral("l.actor_id = ?::uuid"), query.actorId);
    if (!query.action.isEmpty())
        add(QStringLiteral("l.action = ?"), query.action);
    if (!query.targetType.isEmpty())
        add(QStringLiteral("l.target_type = ?"), query.targetType);
    if (!query.targetId.isEmpty())
        add(QStringLiteral("l.target_id = ?"), query.targetId);
    if (!query.cursor.isEmpty()) {
        auto pos = detail::decodeCursor(codec, query.cursor, QStringLiteral("audit"));
        if (!pos)
            return pos.error();
        const QString at = pos->value(QStringLiteral("c")).toString();
        const qint64 id = qint64(pos->value(QStringLiteral("i")).toDouble());
        if (at.isEmpty() || id <= 0)
            return ApiError::make(ErrorKind::InvalidCursor, QStringLiteral("Invalid cursor"));
        where << QStringLiteral("(l.at, l.id) < (?::timestamptz, ?::bigint)");
        binds << at << id;
    }
    binds << query.limit + 1;
    const QString sql =
        QStringLiteral("SELECT (SELECT row_to_json(j) FROM (SELECT %1) j)::text, %2, l.id"
                       " FROM audit_log l LEFT JOIN moderators m ON l.actor_type = 'moderator' AND m.id = l.actor_id"
                       " %3 ORDER BY l.at DESC, l.id DESC LIMIT ?")
            .arg(itemColumns(), domain::sqljson::exactTimestamp(QStringLiteral("l.at")),
                 where.isEmpty() ? QString() : QStringLiteral("WHERE ") + where.join(QStringLiteral(" AND ")));
    auto q = db::exec(db, sql, binds);
    if (!q)
        return q.error();
    JsonPage page;
    QByteArray items = "[";
    QString lastAt;
    qint64 lastId = 0;
    while (q->next()) {
        if (page.count == query.limit) {
            page.hasMore = true;
            break;
        }
        if (page.count > 0)
            items += ',';
        items += q->value(0).toString().toUtf8();
        lastAt = q->value(1).toString();
        lastId = q->value(2).toLongLong();
        ++page.count;
    }
    items += ']';
    page.itemsJson = items;
    if (page.hasMore)
        page.nextCursor = codec.encode(QJsonObject{{QStringLiteral("t"), QStringLiteral("audit")},
                                                   {QStringLiteral("c"), lastAt},
                                                   {QStringLiteral("i"), double(lastId)}});
    return page;
}

Result<QJsonValue> forTarget(QSqlDatabase db, const QString &targetType, const QString &targetId)
{
    const QString sql = QStringLiteral("SELECT coalesce(json_agg(x ORDER BY x.\"at\", x.\"id\"), '[]')::text FROM ("
                                       " SELECT %1 FROM audit_log l"
                                       " LEFT JOIN moderators m ON l.actor_type = 'moderator' AND m.id = l.actor_id"
                                       " WHERE l.target_type = ? AND l.target_id = ? ORDER BY l.at DESC, l.id DESC LIMIT 200) x")
                            .arg(itemColumns());
    auto q = db::exec(db, sql, {targetType, targetId});
    if (!q)
        return q.error();
    if (!q->next())
        return QJsonValue(QJsonArray());
    return detail::parseJson(q->value(0).toString(), "audit history");
}

} // namespace audit

} // namespace bw::moderation
