#include "server/domain/content/contentsql.h"

#include "server/db/sql.h"

#include <QJsonDocument>
#include <QLocale>
#include <QSqlQuery>

namespace bw::domain::contentsql {

QVariant number(const std::optional<double> &d)
{
    return d ? QVariant(QString::number(*d, 'g', QLocale::FloatingPointShortest)) : nullText();
}

QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}
QString compact(const QJsonArray &a)
{
    return QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Compact));
}
QJsonArray toArray(const QStringList &list)
{
    return QJsonArray::fromStringList(list);
}

QString guardrailEnqueue(const QString &contentType, const QString &source, const QString &contentIdExpr,
                         const QString &submittedExpr)
{
    // contentType is one of our four literals, never input.
    return QStringLiteral(
               "ev AS (INSERT INTO guardrail_evaluations (id, content_id, content_type, agent_id, submitted_content, trust_tier)"
               " SELECT ?::uuid, %3, '%1', ?::uuid, %4, 'new' FROM %2 RETURNING id),"
               " jb AS (INSERT INTO jobs (queue, kind, payload)"
               " SELECT 'guardrail-evaluation', 'evaluate', jsonb_build_object('evaluationId', ev.id) FROM ev)")
        .arg(contentType, source, contentIdExpr, submittedExpr);
}

QString setClauses(const QList<Column> &columns)
{
    QStringList parts;
    parts.reserve(columns.size());
    for (const Column &c : columns) {
        const QString name = QString::fromLatin1(c.name);
        parts.append(QStringLiteral("%1 = CASE WHEN ?::bool THEN %2 ELSE %1 END").arg(name, QString::fromLatin1(c.valueExpr)));
    }
    return parts.join(QStringLiteral(", "));
}

void bindAssignments(const QList<Column> &columns, const Assignments &values, QVariantList &binds)
{
    for (const Column &c : columns) {
        const auto it = values.constFind(QString::fromLatin1(c.name));
        const bool set = it != values.constEnd();
        binds << set << (set ? *it : nullText());
    }
}

ApiError writeError(const ApiError &error)
{
    if (db::sqlState(error).startsWith(QLatin1String("22"))) {
        FieldErrors fields;
        fields.add(QStringLiteral("body"), QStringLiteral("Contains values that cannot be stored"));
        return fields.toError();
    }
    return error;
}

Result<Outcome> runOutcome(QSqlDatabase db, const QString &sql, const QVariantList &binds)
{
    auto q = db::execCached(db, sql, binds);
    if (!q)
        return writeError(q.error());
    if (!q->next())
        return ApiError::internal(QStringLiteral("content statement returned no row: %1").arg(sql.left(120)));
    return Outcome{q->value(0).toString(), q->value(1).isNull() ? QByteArray() : q->value(1).toString().toUtf8()};
}

Result<std::optional<QByteArray>> runJsonRow(QSqlDatabase db, const QString &sql, const QVariantList &binds)
{
    auto q = db::execCached(db, sql, binds);
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<QByteArray>();
    return std::optional<QByteArray>(q->value(0).toString().toUtf8());
}

QByteArray OwnedRow::withExplanation() const
{
    const qsizetype end = json.lastIndexOf('}');
    if (end < 0)
        return json;
    QByteArray out = json.left(end);
    out += out.endsWith('{') ? "\"guardrailExplanation\":" : ",\"guardrailExplanation\":";
    out += explanation.isEmpty() ? QByteArray("null") : explanation;
    out += '}';
    return out;
}

Result<std::optional<OwnedRow>> runOwnedRow(QSqlDatabase db, const QString &sql, const QVariantList &binds)
{
    auto q = db::execCached(db, sql, binds);
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<OwnedRow>();
    OwnedRow row;
    row.json = q->value(0).toString().toUtf8();
    row.ownerId = q->value(1).toString();
    row.guardrailStatus = q->value(2).toString();
    row.explanation = q->value(3).isNull() ? QByteArray("null") : q->value(3).toString().toUtf8();
    return std::optional<OwnedRow>(row);
}

} // namespace bw::domain::contentsql
