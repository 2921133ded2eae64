#pragma once
// Helpers shared by the people-side API tests (humans.md): requests, error fields, and the steps
// every test needs — register, read the code the sink holds for administrators (through
// HumanCodes::heldCodes, the service a Humans panel uses), verify, log in. Test thread only.

#include "app/runtime.h"
#include "server/db/database.h"
#include "server/humans/humancodes.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"
#include "tests/support/testdb.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtConcurrent/QtConcurrentRun>

namespace bw::test::humans {

inline QJsonObject errorOf(const HttpReply &r)
{
    return r.json().value("error").toObject();
}
inline QString errorCode(const HttpReply &r)
{
    return errorOf(r).value("code").toString();
}
inline QJsonObject errorFields(const HttpReply &r)
{
    return errorOf(r).value("details").toObject().value("fields").toObject();
}
inline QJsonObject data(const HttpReply &r)
{
    return r.json().value("data").toObject();
}
inline QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

inline HttpReply call(quint16 port, const QByteArray &method, const QByteArray &target, const QString &token = {},
                      const QJsonObject &body = {})
{
    QList<QPair<QByteArray, QByteArray>> headers;
    if (!token.isEmpty())
        headers.append(qMakePair(QByteArray("Authorization"), bearer(token)));
    QByteArray bytes;
    if (method == "POST" || method == "PATCH") {
        bytes = json(body);
        headers.append(qMakePair(QByteArray("Content-Type"), QByteArray("application/json")));
    }
    return httpRequest(port, method, target, bytes, headers);
}

inline HttpReply post(quint16 port, const QByteArray &target, const QJsonObject &body, const QString &token = {})
{
    return call(port, "POST", target, token, body);
}

struct Session {
    QString access;
    QString refresh;
};

class HumansClient final {
public:
    explicit HumansClient(ApiServer &server) : m_server(server) {}
    quint16 port() const { return m_server.port(); }

    HttpReply registerHuman(const QString &email, const QString &password, const QString &name = QStringLiteral("Ada"))
    {
        return post(port(), "/api/v1/auth/register", {{"email", email}, {"password", password}, {"displayName", name}});
    }

    // The newest code the sink holds for email and purpose ("verify" | "reset"), as administrators
    // see it. Runs the service on a worker thread (which then releases its connection).
    QString heldCode(const QString &email, const QString &purpose = QStringLiteral("verify"))
    {
        bw::humans::HumanCodes *codes = m_server.runtime().humanCodes();
        db::Database *database = m_server.runtime().database();
        return QtConcurrent::run([codes, database, email, purpose] {
                   QString found;
                   if (auto held = codes->heldCodes(); held) {
                       for (const auto &h : *held)
                           if (h.email.compare(email, Qt::CaseInsensitive) == 0 && h.purpose == purpose) {
                               found = h.code;
                               break; // newest first
                           }
                   }
                   database->releaseThisThread();
                   return found;
               })
            .result();
    }

    HttpReply verify(const QString &email, const QJsonValue &code)
    {
        return post(port(), "/api/v1/auth/verify-email", {{"email", email}, {"code", code}});
    }

    HttpReply login(const QString &email, const QString &password)
    {
        return post(port(), "/api/v1/auth/login", {{"email", email}, {"password", password}});
    }

    static Session sessionOf(const HttpReply &r)
    {
        return {data(r).value("accessToken").toString(), data(r).value("refreshToken").toString()};
    }

    // Register + verify + log in; an empty session when any step failed.
    Session signUp(const QString &email, const QString &password = QStringLiteral("correct horse battery"))
    {
        if (registerHuman(email, password).status != 201)
            return {};
        const QString code = heldCode(email);
        if (code.isEmpty() || verify(email, code).status != 200)
            return {};
        const HttpReply r = login(email, password);
        return r.status == 200 ? sessionOf(r) : Session{};
    }

private:
    ApiServer &m_server;
};

} // namespace bw::test::humans
