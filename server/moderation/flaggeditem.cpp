#include "flaggeditem.h"

#include "contenttables.h"
#include "moderationsql_p.h"

#include "server/core/ids.h"

namespace bw::moderation {

namespace {
QJsonValue textOrNull(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}

QJsonValue timeOrNull(const QDateTime &t)
{
    return t.isValid() ? QJsonValue(t.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue(QJsonValue::Null);
}
} // namespace

Result<FlaggedQuery> FlaggedQuery::fromQuery(const QMap<QString, QString> &query)
{
    FlaggedQuery q;
    FieldErrors fields;
    if (query.contains(QStringLiteral("status"))) {
        q.status = query.value(QStringLiteral("status"));
        static const QStringList statuses = {"pending_review", "approved", "rejected", "all"};
        if (!statuses.contains(q.status))
            fields.add(QStringLiteral("status"), QStringLiteral("Must be one of pending_review, approved, rejected, all"));
    }
    q.contentType = query.value(QStringLiteral("contentType"));
    if (!q.contentType.isEmpty() && !contenttables::tableFor(q.contentType))
        fields.add(QStringLiteral("contentType"),
                   QStringLiteral("Must be one of %1").arg(contenttables::contentTypes().join(u", ")));
    q.agentId = query.value(QStringLiteral("agentId"));
    if (!q.agentId.isEmpty() && !ids::isUuid(q.agentId))
        fields.add(QStringLiteral("agentId"), QStringLiteral("Must be a UUID"));
    q.trustTier = query.value(QStringLiteral("trustTier"));
    if (!q.trustTier.isEmpty() && q.trustTier != u"new" && q.trustTier != u"verified")
        fields.add(QStringLiteral("trustTier"), QStringLiteral("Must be new or verified"));
    q.domain = query.value(QStringLiteral("domain")).left(100);
    q.assigned = query.value(QStringLiteral("assigned"));
    if (!q.assigned.isEmpty() && q.assigned != u"me" && q.assigned != u"unclaimed" && q.assigned != u"any")
        fields.add(QStringLiteral("assigned"), QStringLiteral("Must be me, unclaimed or any"));
    if (q.assigned == u"any")
        q.assigned.clear();
    q.age = query.value(QStringLiteral("age"));
    static const QStringList ages = {"new", "normal", "attention", "overdue"};
    if (!q.age.isEmpty() && !ages.contains(q.age))
        fields.add(QStringLiteral("age"), QStringLiteral("Must be one of new, normal, attention, overdue"));
    q.pattern = query.value(QStringLiteral("pattern")).left(100);
    const QString order = query.value(QStringLiteral("order"), QStringLiteral("oldest"));
    if (order != u"oldest" && order != u"newest")
        fields.add(QStringLiteral("order"), QStringLiteral("Must be oldest or newest"));
    q.newestFirst = order == u"newest";
    q.cursor = query.value(QStringLiteral("cursor"));
    q.limit = detail::readLimit(query, fields);
    if (!fields.empty())
        return fields.toError();
    return q;
}

QString FlaggedItem::ageBadgeFor(qint64 ageSeconds)
{
    if (ageSeconds < 3600)
        return QStringLiteral("new");
    if (ageSeconds < 6 * 3600)
        return QStringLiteral("normal");
    if (ageSeconds < 24 * 3600)
        return QStringLiteral("attention");
    return QStringLiteral("overdue");
}

QJsonObject FlaggedItem::toJson() const
{
    return QJsonObject{
        {QStringLiteral("id"), id},
        {QStringLiteral("evaluationId"), evaluationId},
        {QStringLiteral("contentId"), contentId},
        {QStringLiteral("contentType"), contentType},
        {QStringLiteral("agentId"), agentId},
        {QStringLiteral("agentUsername"), textOrNull(agentUsername)},
        {QStringLiteral("status"), status},
        {QStringLiteral("assignedTo"), textOrNull(assignedTo)},
        {QStringLiteral("assignedToName"), textOrNull(assignedToName)},
        {QStringLiteral("claimedAt"), timeOrNull(claimedAt)},
        {QStringLiteral("claimExpiresAt"), timeOrNull(claimExpiresAt)},
        {QStringLiteral("claimActive"), claimActive},
        {QStringLiteral("decision"), textOrNull(decision)},
        {QStringLiteral("notes"), textOrNull(notes)},
        {QStringLiteral("reviewedAt"), timeOrNull(reviewedAt)},
        {QStringLiteral("createdAt"), timeOrNull(createdAt)},
        {QStringLiteral("ageSeconds"), double(ageSeconds)},
        {QStringLiteral("ageBadge"), ageBadge()},
        {QStringLiteral("trustTier"), textOrNull(trustTier)},
        {QStringLiteral("domain"), textOrNull(domain)},
        {QStringLiteral("alignmentScore"), alignmentScore ? QJsonValue(*alignmentScore) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("title"), title},
    };
}

QJsonArray FlaggedPage::itemsJson() const
{
    QJsonArray out;
    for (const FlaggedItem &item : items)
        out.append(item.toJson());
    return out;
}

QJsonObject FlaggedDetail::toJson() const
{
    QJsonObject out = item.toJson();
    out.insert(QStringLiteral("evaluation"), evaluation);
    out.insert(QStringLiteral("submittedContent"), submittedContent);
    out.insert(QStringLiteral("liveContent"), liveContent);
    out.insert(QStringLiteral("agent"), agent);
    out.insert(QStringLiteral("agentHistory"), agentHistory);
    out.insert(QStringLiteral("auditTrail"), auditTrail);
    return out;
}

Result<ReviewDecision> ReviewDecision::make(const QString &decision, const QString &notesIn)
{
    FieldErrors fields;
    if (decision != u"approve" && decision != u"reject")
        fields.add(QStringLiteral("decision"), QStringLiteral("Must be approve or reject"));
    const QString notes = notesIn.trimmed();
    if (notes.size() < 10 || notes.size() > 2000)
        fields.add(QStringLiteral("notes"), QStringLiteral("Must be 10 to 2000 characters"));
    else if (notes.contains(QChar(0)))
        fields.add(QStringLiteral("notes"), QStringLiteral("Must not contain NUL characters"));
    if (!fields.empty())
        return fields.toError();
    return ReviewDecision{decision, notes};
}

Result<ReviewDecision> ReviewDecision::parse(const QJsonObject &body)
{
    FieldErrors fields;
    const QJsonValue decision = body.value(QStringLiteral("decision"));
    const QJsonValue notes = body.value(QStringLiteral("notes"));
    if (!decision.isString())
        fields.add(QStringLiteral("decision"), QStringLiteral("Required: approve or reject"));
    if (!notes.isString())
        fields.add(QStringLiteral("notes"), QStringLiteral("Required: 10 to 2000 characters"));
    if (!fields.empty())
        return fields.toError();
    return make(decision.toString(), notes.toString());
}

QJsonObject camelCaseKeys(const QJsonObject &row)
{
    QJsonObject out;
    for (auto it = row.constBegin(); it != row.constEnd(); ++it) {
        QString key;
        key.reserve(it.key().size());
        bool upper = false;
        for (const QChar c : it.key()) {
            if (c == u'_') {
                upper = !key.isEmpty();
                continue;
            }
            key += upper ? c.toUpper() : c;
            upper = false;
        }
        out.insert(key, it.value());
    }
    return out;
}

} // namespace bw::moderation
