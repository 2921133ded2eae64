#pragma once
// An Ed25519 signing key (libsodium) with the encodings agents and tools need: the raw 32-byte
// seed we keep as a secret, PKCS#8 PEM (what `openssl genpkey -algorithm ed25519` writes), and the
// public key as SPKI DER. Immutable value after construction: share freely between threads.

#include "server/core/result.h"

#include <QByteArray>
#include <QString>

namespace bw::domain {

class Ed25519Key final {
public:
    static Result<Ed25519Key> generate();
    static Result<Ed25519Key> fromSeed(const QByteArray &seed32);
    // The secret's stored form: base64 of the seed, or a PKCS#8 PEM private key.
    static Result<Ed25519Key> fromSecret(const QByteArray &text);

    QByteArray seed() const { return m_secret.left(32); }
    QByteArray secretText() const { return seed().toBase64(); } // what we store
    QByteArray publicKey() const { return m_public; }           // raw 32 bytes
    QByteArray spkiDer() const;                                 // 44 bytes
    QString spkiBase64() const { return QString::fromLatin1(spkiDer().toBase64()); }
    QByteArray spkiPem() const;
    // Stable id derived from the public key, so every node with the same key names it alike.
    QString keyId() const;

    QByteArray sign(const QByteArray &message) const; // raw 64-byte signature
    static bool verify(const QByteArray &publicKey, const QByteArray &message, const QByteArray &signature);

    // SPKI DER for an Ed25519 public key = this fixed prefix + the 32 raw bytes (RFC 8410).
    static QByteArray spkiPrefix();

private:
    Ed25519Key() = default;
    QByteArray m_secret; // libsodium's 64-byte secret key (seed ‖ public key)
    QByteArray m_public;
};

} // namespace bw::domain
