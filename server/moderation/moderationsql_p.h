#pragma once
// Small helpers shared by the moderation services (not part of the public API; the SQL ones —
// textOrNull, jsonObject, scalar — are in server/db/sql.h). Pure functions
// or calls on the connection they are given; any thread.

#include "server/core/result.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QMap>
#include <QSqlDatabase>
#include <QString>
#include <QVariant>

#include <memory>
#include <optional>

namespace bw {
class CursorCodec;
class FieldErrors;
} // namespace bw

namespace bw::moderation::detail {

// JSON text from PostgreSQL → value; Internal error naming `what` when it does not parse.
Result<QJsonValue> parseJson(const QString &text, const char *what);
QString compact(const QJsonValue &v);

// limit (1–100, default 20) and cursor from GET query parameters; errors go into fields.
int readLimit(const QMap<QString, QString> &query, FieldErrors &fields);

// Decodes a cursor of the given kind ("t" field); anything else → 400 INVALID_CURSOR.
Result<QJsonObject> decodeCursor(const CursorCodec &codec, const QString &cursor, const QString &kind);

// The HTTP-style "not found" for malformed ids too (a malformed id cannot exist).
ApiError notFound(const QString &what);

// Retries fn once on a serialization failure / deadlock (both are safe to retry from scratch).
template <typename Fn>
auto retryOnConflict(Fn fn) -> decltype(fn())
{
    auto r = fn();
    if (!r.ok()) {
        const QString state = r.error().details.value(QStringLiteral("sqlState")).toString();
        if (state == QLatin1String("40001") || state == QLatin1String("40P01"))
            return fn();
    }
    return r;
}

} // namespace bw::moderation::detail
