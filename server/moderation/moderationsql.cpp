#include "moderationsql_p.h"

#include "server/core/cursor.h"
#include "server/db/sql.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>

namespace bw::moderation::detail {

Result<QJsonValue> parseJson(const QString &text, const char *what)
{
    if (text.isEmpty())
        return QJsonValue(QJsonValue::Null);
    // Wrap so that scalars and arrays parse too (QJsonDocument only takes objects/arrays).
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArrayLiteral("[") + text.toUtf8() + ']', &error);
    if (error.error != QJsonParseError::NoError || !doc.isArray())
        return ApiError::internal(
            QStringLiteral("%1 JSON from the database did not parse: %2").arg(QLatin1String(what), error.errorString()));
    return doc.array().at(0);
}

QString compact(const QJsonValue &v)
{
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    const QByteArray wrapped = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(wrapped.mid(1, wrapped.size() - 2));
}

int readLimit(const QMap<QString, QString> &query, FieldErrors &fields)
{
    if (!query.contains(QStringLiteral("limit")))
        return 20;
    bool ok = false;
    const int n = query.value(QStringLiteral("limit")).toInt(&ok);
    if (!ok || n < 1 || n > 100) {
        fields.add(QStringLiteral("limit"), QStringLiteral("Must be a whole number from 1 to 100"));
        return 20;
    }
    return n;
}

Result<QJsonObject> decodeCursor(const CursorCodec &codec, const QString &cursor, const QString &kind)
{
    auto decoded = codec.decode(cursor);
    if (!decoded)
        return decoded.error();
    if (decoded->value(QStringLiteral("t")).toString() != kind)
        return ApiError::make(ErrorKind::InvalidCursor, QStringLiteral("Invalid cursor"));
    return decoded;
}

ApiError notFound(const QString &what)
{
    return ApiError::notFound(QStringLiteral("%1 not found").arg(what));
}

} // namespace bw::moderation::detail
