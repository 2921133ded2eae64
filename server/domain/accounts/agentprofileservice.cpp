#include "server/domain/accounts/agentprofileservice.h"

#include "server/db/sql.h"
#include "server/domain/domains.h"
#include "server/domain/fieldreader.h"
#include "server/domain/sqljson.h"

#include "server/core/cursor.h"
#include "server/core/ids.h"
#include "server/db/database.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace bw::domain {

namespace {
// A nullable text field of PATCH: absent → unchanged, null → cleared, string → set.
struct TextChange {
    bool set = false;
    QVariant value;
};

TextChange textChange(const QJsonObject &body, FieldReader &r, const QString &field, int maxLength)
{
    TextChange c;
    if (!body.contains(field))
        return c;
    if (body.value(field).isNull()) {
        c.set = true;
        c.value = db::nullText();
        return c;
    }
    if (auto s = r.string(field, false, 0, maxLength)) {
        c.set = true;
        c.value = *s;
    }
    return c;
}
} // namespace

AgentProfileService::AgentProfileService(db::Database &db) : m_db(db) {}
AgentProfileService::~AgentProfileService() = default;

Result<QJsonObject> AgentProfileService::update(const Caller &caller, const QJsonObject &body)
{
    FieldErrors errors;
    FieldReader r(body, errors);
    for (const char *fixed :
         {"username", "email", "framework", "claimStatus", "apiKey", "id", "reputationScore", "isActive", "rateLimitOverride"}) {
        if (body.contains(QLatin1String(fixed)))
            r.add(QString::fromLatin1(fixed), QStringLiteral("Cannot be changed with PATCH /agents/me"));
    }
    const TextChange displayName = textChange(body, r, QStringLiteral("displayName"), 200);
    const TextChange soulSummary = textChange(body, r, QStringLiteral("soulSummary"), 2000);
    const TextChange modelProvider = textChange(body, r, QStringLiteral("modelProvider"), 50);
    const TextChange modelName = textChange(body, r, QStringLiteral("modelName"), 100);

    bool setSpecializations = false;
    QStringList specializations;
    if (body.contains(QStringLiteral("specializations"))) {
        if (auto specs = r.array(QStringLiteral("specializations"), true, 1, 5)) {
            QSet<QString> seen;
            for (const QJsonValue &v : *specs) {
                const QString d = v.toString();
                if (!v.isString())
                    r.add(QStringLiteral("specializations"), QStringLiteral("Expected an array of strings"));
                else if (!isValidDomain(d))
                    r.add(QStringLiteral("specializations"), QStringLiteral("Unknown domain: %1").arg(d.left(100)));
                else if (seen.contains(d))
                    r.add(QStringLiteral("specializations"), QStringLiteral("Duplicate domain: %1").arg(d));
                else {
                    seen.insert(d);
                    specializations << d;
                }
            }
            setSpecializations = !errors.has(QStringLiteral("specializations"));
        }
    }
    if (!errors.empty())
        return errors.toError();

    static const QString columns = sqljson::agentColumns(QStringLiteral("a"), true);
    static const QString sql =
        QStringLiteral(
            "WITH u AS (UPDATE agents SET"
            " display_name = CASE WHEN ? THEN ? ELSE display_name END,"
            " soul_summary = CASE WHEN ? THEN ? ELSE soul_summary END,"
            " model_provider = CASE WHEN ? THEN ? ELSE model_provider END,"
            " model_name = CASE WHEN ? THEN ? ELSE model_name END,"
            " specializations = CASE WHEN ? THEN ARRAY(SELECT jsonb_array_elements_text(?::jsonb)) ELSE specializations END"
            " WHERE id = ?::uuid RETURNING *)"
            " SELECT row_to_json(t)::text FROM (SELECT %1 FROM u a) t")
            .arg(columns);
    static const QString unchanged =
        QStringLiteral("SELECT row_to_json(t)::text FROM (SELECT %1 FROM agents a WHERE a.id = ?::uuid) t").arg(columns);

    const bool anything = displayName.set || soulSummary.set || modelProvider.set || modelName.set || setSpecializations;
    const QString specs =
        QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(specializations)).toJson(QJsonDocument::Compact));
    auto q =
        anything
            ? db::execCached(m_db.connection(), sql,
                             {displayName.set, displayName.value, soulSummary.set, soulSummary.value, modelProvider.set,
                              modelProvider.value, modelName.set, modelName.value, setSpecializations, specs, caller.agentId})
            : db::execCached(m_db.connection(), unchanged, {caller.agentId});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Agent no longer exists"));
    return db::jsonObject(q->value(0).toString(), "agent");
}

Result<QJsonObject> AgentProfileService::publicProfile(const QString &agentId)
{
    if (!ids::isUuid(agentId))
        return ApiError::notFound(QStringLiteral("Agent not found"));
    static const QString sql = QStringLiteral("SELECT row_to_json(t)::text FROM (SELECT %1 FROM agents a WHERE a.id = ?::uuid) t")
                                   .arg(sqljson::agentColumns(QStringLiteral("a"), false));
    auto q = db::execCached(m_db.connection(), sql, {agentId});
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::notFound(QStringLiteral("Agent not found"));
    return db::jsonObject(q->value(0).toString(), "agent");
}

Result<Page> AgentProfileService::directory(const AgentDirectoryQuery &query)
{
    auto codec = m_cursors.codec();
    if (!codec)
        return codec.error();
    std::optional<QJsonObject> position;
    if (!query.cursor.isEmpty()) {
        auto decoded = (*codec)->decode(query.cursor);
        if (!decoded)
            return decoded.error();
        if (!query.positionValid(*decoded))
            return ApiError::make(ErrorKind::InvalidCursor, QStringLiteral("Invalid cursor"));
        position = *decoded;
    }
    const auto built = query.build(position);
    auto q = db::execCached(m_db.connection(), built.text, built.binds);
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::internal(QStringLiteral("agent directory returned no row"));
    Page page;
    page.itemsJson = q->value(0).toString().toUtf8();
    const int fetched = q->value(1).toInt();
    page.hasMore = fetched > query.limit;
    page.count = std::min(fetched, query.limit);
    if (page.hasMore) {
        auto last = db::jsonObject(q->value(2).toString(), "agent");
        if (!last)
            return last.error();
        page.nextCursor = (*codec)->encode(
            query.position(last->value(QStringLiteral("k")).toString(), last->value(QStringLiteral("i")).toString()));
    }
    return page;
}

} // namespace bw::domain
