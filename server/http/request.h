#pragma once
// Transport-neutral request/response values. Beast types stay inside server.cpp so that controllers
// and tests compile without Boost headers.

#include "server/core/result.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QString>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bw::domain {
struct Caller;
struct HumanCaller;
} // namespace bw::domain
namespace bw::moderation {
struct AdminCaller;
}

namespace bw::http {

struct Request {
    QByteArray method;                     // upper case, as sent
    QByteArray target;                     // raw request target
    QString path;                          // percent-decoded path without query
    QMap<QString, QString> query;          // decoded query parameters (last one wins)
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;
    QString peerIp;   // socket peer
    QString clientIp; // peer, or X-Forwarded-For from a trusted proxy
    QString requestId;
    QHash<QString, QString> params;                 // route parameters (":id")
    QString route;                                  // matched pattern, "unmatched" when none
    QElapsedTimer timer;                            // started when the headers arrived
    std::optional<ApiError> rejection;              // set by the transport: 413/431/400 before routing
    std::shared_ptr<domain::Caller> caller;         // the authenticated agent, if any
    std::shared_ptr<moderation::AdminCaller> admin; // the authenticated moderator/admin (admin routes)
    std::shared_ptr<domain::HumanCaller> human;     // the authenticated person (human access token)

    QByteArray header(const QByteArray &lowerName) const { return headers.value(lowerName); }
    bool isHead() const { return method == "HEAD"; }
};

struct Response {
    int status = 200;
    QByteArray contentType = "application/json";
    QByteArray body;
    std::vector<std::pair<QByteArray, QByteArray>> headers;
    bool closeConnection = false;

    void setHeader(const QByteArray &name, const QByteArray &value);
};

} // namespace bw::http
