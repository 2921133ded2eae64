#pragma once
// Opaque keyset-pagination cursors: base64url(JSON position) + "." + base64url(HMAC-SHA-256).
// Signed so that a tampered cursor is rejected (400 INVALID_CURSOR) instead of silently paging wrong.

#include "server/core/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace bw {

class CursorCodec final {
public:
    explicit CursorCodec(QByteArray signingKey);

    QString encode(const QJsonObject &position) const;
    Result<QJsonObject> decode(const QString &cursor) const;

    static constexpr int kMaxCursorLength = 1024;

private:
    QByteArray signature(const QByteArray &payload) const;
    QByteArray m_key;
};

} // namespace bw
