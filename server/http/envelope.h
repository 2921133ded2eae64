#pragma once
// The API envelope (api.md §1): {"ok":true,"data":…,"meta":…,"requestId":…} and the one mapping
// from ApiError to status + error body. Bodies are built as bytes so that JSON produced by
// PostgreSQL (list endpoints) is embedded without a parse/serialise round trip.

#include "server/http/request.h"

#include <QJsonValue>

namespace bw::http {

// data must already be serialised JSON (object, array or literal).
Response okRaw(const Request &req, const QByteArray &dataJson, int status = 200, const QByteArray &metaJson = {});
Response ok(const Request &req, const QJsonValue &data, int status = 200);
// Paginated list: meta {hasMore, nextCursor, count}.
Response page(const Request &req, const QByteArray &itemsJson, bool hasMore, const QString &nextCursor, int count);
// The one error mapper: status and code come from the error kind; internal details never leak.
Response error(const Request &req, const ApiError &err);

template <typename T>
Response respond(const Request &req, const Result<T> &result, int status = 200)
{
    return result ? ok(req, QJsonValue(*result), status) : error(req, result.error());
}

QByteArray jsonString(const QString &text); // a quoted, escaped JSON string

} // namespace bw::http
