#include "envelope.h"

#include "server/core/logging.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>

#include <atomic>

Q_LOGGING_CATEGORY(lcHttpErrors, "bw.http.error")

namespace bw::http {

void Response::setHeader(const QByteArray &name, const QByteArray &value)
{
    for (auto &[n, v] : headers) {
        if (n.compare(name, Qt::CaseInsensitive) == 0) {
            v = value;
            return;
        }
    }
    headers.emplace_back(name, value);
}

QByteArray jsonString(const QString &text)
{
    // QJsonDocument cannot serialise a bare string; wrap in an array and strip the brackets.
    const QByteArray wrapped = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

Response okRaw(const Request &req, const QByteArray &dataJson, int status, const QByteArray &metaJson)
{
    Response res;
    res.status = status;
    res.body.reserve(dataJson.size() + metaJson.size() + 96);
    res.body += "{\"ok\":true,\"data\":";
    res.body += dataJson;
    if (!metaJson.isEmpty()) {
        res.body += ",\"meta\":";
        res.body += metaJson;
    }
    res.body += ",\"requestId\":";
    res.body += jsonString(req.requestId);
    res.body += '}';
    return res;
}

Response ok(const Request &req, const QJsonValue &data, int status)
{
    QByteArray json;
    if (data.isObject())
        json = QJsonDocument(data.toObject()).toJson(QJsonDocument::Compact);
    else if (data.isArray())
        json = QJsonDocument(data.toArray()).toJson(QJsonDocument::Compact);
    else if (data.isString())
        json = jsonString(data.toString());
    else if (data.isBool())
        json = data.toBool() ? "true" : "false";
    else if (data.isDouble())
        json = QByteArray::number(data.toDouble(), 'g', 17);
    else
        json = "null";
    return okRaw(req, json, status);
}

Response page(const Request &req, const QByteArray &itemsJson, bool hasMore, const QString &nextCursor, int count)
{
    QByteArray meta = "{\"hasMore\":";
    meta += hasMore ? "true" : "false";
    meta += ",\"nextCursor\":";
    meta += nextCursor.isEmpty() ? QByteArray("null") : jsonString(nextCursor);
    meta += ",\"count\":" + QByteArray::number(count) + '}';
    return okRaw(req, itemsJson, 200, meta);
}

namespace {
// During an outage every request fails the same way: one warning per 10 s, with how many were hidden.
void logDatabaseUnavailable(const Request &req, const ApiError &err)
{
    static std::atomic<qint64> lastLoggedMs{0};
    static std::atomic<int> suppressed{0};
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    qint64 last = lastLoggedMs.load();
    if (now - last < 10000 || !lastLoggedMs.compare_exchange_strong(last, now)) {
        ++suppressed;
        return;
    }
    qCWarning(lcHttpErrors).noquote() << "database unavailable on" << req.method << req.path << ":" << err.message
                                      << QStringLiteral("(%1 more since the last report)").arg(suppressed.exchange(0));
}
} // namespace

Response error(const Request &req, const ApiError &err)
{
    QString message = err.message;
    // Database errors (details.sqlState) keep the server's text for the log, never for clients.
    const bool databaseError = err.details.contains(QStringLiteral("sqlState"));
    if (err.kind == ErrorKind::Internal) {
        qCCritical(lcHttpErrors).noquote() << "internal error on" << req.method << req.path << ":" << err.message;
        message = QStringLiteral("An unexpected error occurred");
    } else if (err.kind == ErrorKind::ServiceUnavailable && databaseError) {
        logDatabaseUnavailable(req, err);
        message = QStringLiteral("The database is unavailable; retry shortly");
    } else if (err.kind == ErrorKind::ServiceUnavailable && message.isEmpty()) {
        message = QStringLiteral("Service temporarily unavailable");
    }
    QJsonObject error{{QStringLiteral("code"), err.code()}, {QStringLiteral("message"), message}};
    if (!err.details.isEmpty() && err.kind != ErrorKind::Internal && !databaseError)
        error.insert(QStringLiteral("details"), err.details);
    QJsonObject body{
        {QStringLiteral("ok"), false}, {QStringLiteral("error"), error}, {QStringLiteral("requestId"), req.requestId}};
    Response res;
    res.status = err.status();
    res.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    if (err.kind == ErrorKind::ServiceUnavailable)
        res.setHeader("Retry-After", "5"); // callers with a better estimate overwrite it
    return res;
}

} // namespace bw::http
