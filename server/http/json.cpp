#include "json.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace bw::http {

int jsonNestingDepth(const QByteArray &json)
{
    int depth = 0;
    int deepest = 0;
    bool inString = false;
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

Result<QJsonObject> parseJsonObject(const QByteArray &body, int maxDepth)
{
    if (body.trimmed().isEmpty())
        return ApiError::badRequest(QStringLiteral("Request body must be a JSON object"));
    if (jsonNestingDepth(body) > maxDepth)
        return ApiError::badRequest(QStringLiteral("JSON nesting is deeper than %1 levels").arg(maxDepth));
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError)
        return ApiError::badRequest(QStringLiteral("Malformed JSON at offset %1: %2").arg(error.offset).arg(error.errorString()));
    if (!doc.isObject())
        return ApiError::badRequest(QStringLiteral("Request body must be a JSON object"));
    return doc.object();
}

} // namespace bw::http
