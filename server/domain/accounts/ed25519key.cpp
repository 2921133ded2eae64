#include "server/domain/accounts/ed25519key.h"

#include <QCryptographicHash>

#include <sodium.h>

namespace bw::domain {

namespace {
bool sodiumReady()
{
    static const bool ready = sodium_init() >= 0; // thread-safe since C++11 statics; idempotent
    return ready;
}

// PKCS#8 PrivateKeyInfo for Ed25519 = this prefix + OCTET STRING(seed) (RFC 8410 §7).
const QByteArray &pkcs8Prefix()
{
    static const QByteArray p = QByteArray::fromHex("302e020100300506032b657004220420");
    return p;
}
} // namespace

QByteArray Ed25519Key::spkiPrefix()
{
    static const QByteArray p = QByteArray::fromHex("302a300506032b6570032100");
    return p;
}

Result<Ed25519Key> Ed25519Key::fromSeed(const QByteArray &seed32)
{
    if (!sodiumReady())
        return ApiError::internal(QStringLiteral("libsodium failed to initialise"));
    if (seed32.size() != crypto_sign_SEEDBYTES)
        return ApiError::badRequest(QStringLiteral("an Ed25519 seed has 32 bytes, got %1").arg(seed32.size()));
    Ed25519Key key;
    key.m_secret.resize(crypto_sign_SECRETKEYBYTES);
    key.m_public.resize(crypto_sign_PUBLICKEYBYTES);
    crypto_sign_seed_keypair(reinterpret_cast<unsigned char *>(key.m_public.data()),
                             reinterpret_cast<unsigned char *>(key.m_secret.data()),
                             reinterpret_cast<const unsigned char *>(seed32.constData()));
    return key;
}

Result<Ed25519Key> Ed25519Key::generate()
{
    if (!sodiumReady())
        return ApiError::internal(QStringLiteral("libsodium failed to initialise"));
    QByteArray seed(crypto_sign_SEEDBYTES, Qt::Uninitialized);
    randombytes_buf(seed.data(), size_t(seed.size()));
    auto key = fromSeed(seed);
    sodium_memzero(seed.data(), size_t(seed.size()));
    return key;
}

Result<Ed25519Key> Ed25519Key::fromSecret(const QByteArray &text)
{
    const QByteArray trimmed = text.trimmed();
    if (trimmed.startsWith("-----BEGIN PRIVATE KEY-----")) {
        QByteArray body = trimmed;
        body.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "");
        const QByteArray der = QByteArray::fromBase64(body.simplified().replace(' ', ""));
        if (der.size() != pkcs8Prefix().size() + 32 || !der.startsWith(pkcs8Prefix()))
            return ApiError::badRequest(QStringLiteral("the PEM private key is not a PKCS#8 Ed25519 key"));
        return fromSeed(der.right(32));
    }
    const auto decoded = QByteArray::fromBase64Encoding(trimmed, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() != 32)
        return ApiError::badRequest(QStringLiteral("expected base64 of a 32-byte Ed25519 seed or a PKCS#8 PEM key"));
    return fromSeed(decoded.decoded);
}

QByteArray Ed25519Key::spkiDer() const
{
    return spkiPrefix() + m_public;
}

QByteArray Ed25519Key::spkiPem() const
{
    return "-----BEGIN PUBLIC KEY-----\n" + spkiDer().toBase64() + "\n-----END PUBLIC KEY-----\n";
}

QString Ed25519Key::keyId() const
{
    const QByteArray digest = QCryptographicHash::hash(spkiDer(), QCryptographicHash::Sha256);
    return QStringLiteral("bw-hb-") + QString::fromLatin1(digest.toHex().left(16));
}

QByteArray Ed25519Key::sign(const QByteArray &message) const
{
    QByteArray signature(crypto_sign_BYTES, Qt::Uninitialized);
    crypto_sign_detached(reinterpret_cast<unsigned char *>(signature.data()), nullptr,
                         reinterpret_cast<const unsigned char *>(message.constData()), quint64(message.size()),
                         reinterpret_cast<const unsigned char *>(m_secret.constData()));
    return signature;
}

bool Ed25519Key::verify(const QByteArray &publicKey, const QByteArray &message, const QByteArray &signature)
{
    if (!sodiumReady() || publicKey.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES)
        return false;
    return crypto_sign_verify_detached(reinterpret_cast<const unsigned char *>(signature.constData()),
                                       reinterpret_cast<const unsigned char *>(message.constData()), quint64(message.size()),
                                       reinterpret_cast<const unsigned char *>(publicKey.constData()))
           == 0;
}

} // namespace bw::domain
