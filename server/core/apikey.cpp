#include "apikey.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

#include <array>

namespace bw::apikey {

QString generate()
{
    std::array<quint32, 8> words{};
    QRandomGenerator::system()->fillRange(words.data(), words.size()); // OS CSPRNG
    const QByteArray raw(reinterpret_cast<const char *>(words.data()), sizeof(words));
    return QString::fromLatin1(raw.toHex());
}

bool looksValid(const QString &key)
{
    if (key.size() != kKeyLength)
        return false;
    for (QChar c : key)
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f')))
            return false;
    return true;
}

QString prefix(const QString &key)
{
    return key.left(kPrefixLength);
}

QByteArray hash(const QString &key)
{
    return QCryptographicHash::hash(key.toLatin1(), QCryptographicHash::Sha256).toHex();
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace bw::apikey
