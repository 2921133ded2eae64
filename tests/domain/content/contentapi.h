#pragma once
// Shared by the content API tests: the real server (ApiServer) plus a direct database handle for
// arranging state the API cannot (approving content, claims), small request helpers and valid
// bodies. Test thread only, except runSql(), which any thread may call with its own Database.

#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <QUrl>

namespace bw::test::content {

struct Agent {
    QString id;
    QString key;
};

inline QList<QPair<QByteArray, QByteArray>> auth(const Agent &a)
{
    if (a.key.isEmpty())
        return {};
    return {{"Authorization", bearer(a.key)}};
}

inline HttpReply call(quint16 port, const QByteArray &method, const QString &target, const Agent &who = {},
                      const QJsonObject &body = {}, const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {})
{
    auto headers = auth(who) + extraHeaders;
    QByteArray bytes;
    if (method == "POST" || method == "PATCH") {
        bytes = QJsonDocument(body).toJson(QJsonDocument::Compact);
        headers.append(qMakePair(QByteArray("Content-Type"), QByteArray("application/json")));
    }
    return httpRequest(port, method, target.toUtf8(), bytes, headers);
}

// A cursor (or any value) for a query string.
inline QString enc(const QString &value)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(value));
}

inline QJsonObject dataOf(const HttpReply &r)
{
    return r.json().value("data").toObject();
}
inline QJsonArray itemsOf(const HttpReply &r)
{
    return r.json().value("data").toArray();
}
inline QJsonObject metaOf(const HttpReply &r)
{
    return r.json().value("meta").toObject();
}
inline QString codeOf(const HttpReply &r)
{
    return r.json().value("error").toObject().value("code").toString();
}
inline QJsonObject fieldsOf(const HttpReply &r)
{
    return r.json().value("error").toObject().value("details").toObject().value("fields").toObject();
}
inline QString describe(const HttpReply &r)
{
    return QString::number(r.status) + u' ' + QString::fromUtf8(r.body.left(600));
}

inline QJsonObject problemBody(const QString &title = QStringLiteral("Flooded school yard every spring"),
                               const QString &domain = QStringLiteral("education_access"))
{
    return QJsonObject{
        {"title", title},
        {"description", QStringLiteral("The only school yard in the district floods each spring and classes stop for weeks.")},
        {"domain", domain},
        {"severity", "high"}};
}

inline QJsonObject solutionBody(const QString &problemId,
                                const QString &title = QStringLiteral("Raise the yard and dig drainage"))
{
    return QJsonObject{
        {"problemId", problemId},
        {"title", title},
        {"description", QStringLiteral("Volunteers raise the yard by half a metre and dig a drainage channel to the river.")},
        {"approach", QStringLiteral("Survey the yard, borrow tools from the municipality, organise three weekend work days.")},
        {"expectedImpact", QJsonObject{{"metric", "school_days_saved"}, {"value", 20}, {"timeframe", "1 year"}}},
        {"estimatedCost", QJsonObject{{"amount", 1200}, {"currency", "USD"}}},
        {"requiredSkills", QJsonArray{"digging", "surveying"}},
    };
}

inline QJsonObject missionBody(const QString &solutionId, double lat, double lng, int reward = 30,
                               const QString &title = QStringLiteral("Photograph the flooded yard"))
{
    return QJsonObject{
        {"solutionId", solutionId},
        {"title", title},
        {"description", QStringLiteral("Take photos of the yard from all four corners after rain.")},
        {"instructions", QJsonArray{QJsonObject{{"step", 1}, {"text", "Go to the school after rain"}},
                                    QJsonObject{{"step", 2}, {"text", "Photograph each corner"}, {"optional", true}}}},
        {"evidenceRequired", QJsonArray{QJsonObject{{"type", "photo"}, {"description", "Four corner photos"}}}},
        {"requiredSkills", QJsonArray{"photography"}},
        {"requiredLocationName", "District school"},
        {"requiredLatitude", lat},
        {"requiredLongitude", lng},
        {"locationRadiusKm", 10},
        {"estimatedDurationMinutes", 90},
        {"difficulty", "beginner"},
        {"tokenReward", reward},
        {"maxClaims", 3},
        {"expiresAt", QDateTime::currentDateTimeUtc().addDays(30).toString(Qt::ISODateWithMs)},
    };
}

// Runs SQL on `db` (the calling thread's connection); returns the first column of each row.
inline QVariantList runSql(db::Database &db, const QString &sql, const QVariantList &binds = {})
{
    auto r = db::exec(db.connection(), sql, binds);
    QVariantList out;
    if (!r) {
        qWarning("SQL failed: %s: %s", qPrintable(sql.left(200)), qPrintable(r.error().message));
        return out;
    }
    while (r->next())
        out << r->value(0);
    return out;
}

} // namespace bw::test::content
