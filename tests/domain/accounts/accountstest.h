#pragma once
// Helpers shared by the agent-account API tests: request shortcuts, error-field access and direct
// database access for set-up that has no API yet (deactivation, expiries, reputation). Test thread only.

#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"
#include "tests/support/testdb.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace bw::test::accounts {

inline QString errorCode(const HttpReply &r)
{
    return r.json().value("error").toObject().value("code").toString();
}
inline QJsonObject errorFields(const HttpReply &r)
{
    return r.json().value("error").toObject().value("details").toObject().value("fields").toObject();
}
inline QJsonObject data(const HttpReply &r)
{
    return r.json().value("data").toObject();
}
inline QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

struct Agent {
    QString id;
    QString key;
    QString username;
};

inline HttpReply call(quint16 port, const QByteArray &method, const QByteArray &target, const QString &key = {},
                      const QByteArray &body = {})
{
    QList<QPair<QByteArray, QByteArray>> headers;
    if (!key.isEmpty())
        headers.append(qMakePair(QByteArray("Authorization"), bearer(key)));
    if (!body.isEmpty())
        headers.append(qMakePair(QByteArray("Content-Type"), QByteArray("application/json")));
    return httpRequest(port, method, target, body, headers);
}

inline Agent registerAgent(quint16 port, const QJsonObject &body)
{
    const HttpReply r = call(port, "POST", "/api/v1/auth/agents/register", {}, json(body));
    const QJsonObject d = data(r);
    return {d.value("agentId").toString(), d.value("apiKey").toString(), d.value("username").toString()};
}

inline QJsonObject registration(const QString &username, const QJsonArray &specializations = {QStringLiteral("education_access")},
                                const QString &framework = QStringLiteral("custom"))
{
    return QJsonObject{{"username", username}, {"framework", framework}, {"specializations", specializations}};
}

// One statement on the server's database, from the test thread (scalar() comes from testdb.h).
inline bool sql(db::Database &database, const QString &statement, const QVariantList &binds = {})
{
    return execSql(database, statement, binds);
}

} // namespace bw::test::accounts
