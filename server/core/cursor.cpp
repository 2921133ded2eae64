#include "cursor.h"

#include "apikey.h"

#include <QJsonDocument>
#include <QMessageAuthenticationCode>

namespace bw {

namespace {
constexpr auto kBase64Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

ApiError invalidCursor()
{
    return ApiError::make(ErrorKind::InvalidCursor, QStringLiteral("Invalid cursor"));
}
} // namespace

CursorCodec::CursorCodec(QByteArray signingKey) : m_key(std::move(signingKey)) {}

QByteArray CursorCodec::signature(const QByteArray &payload) const
{
    // 16 bytes of the MAC are plenty for a pagination token and keep cursors short.
    return QMessageAuthenticationCode::hash(payload, m_key, QCryptographicHash::Sha256).left(16);
}

QString CursorCodec::encode(const QJsonObject &position) const
{
    const QByteArray payload = QJsonDocument(position).toJson(QJsonDocument::Compact);
    return QString::fromLatin1(payload.toBase64(kBase64Url) + '.' + signature(payload).toBase64(kBase64Url));
}

Result<QJsonObject> CursorCodec::decode(const QString &cursor) const
{
    if (cursor.isEmpty() || cursor.size() > kMaxCursorLength)
        return invalidCursor();
    const QByteArray text = cursor.toLatin1();
    const qsizetype dot = text.indexOf('.');
    if (dot <= 0 || text.indexOf('.', dot + 1) != -1)
        return invalidCursor();
    const auto payload =
        QByteArray::fromBase64Encoding(text.left(dot), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    const auto mac = QByteArray::fromBase64Encoding(text.mid(dot + 1),
                                                    QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!payload || !mac || !apikey::constantTimeEquals(*mac, signature(*payload)))
        return invalidCursor();
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(*payload, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return invalidCursor();
    return doc.object();
}

} // namespace bw
