#include "passwordhash.h"

#include <sodium.h>

#include <semaphore>

namespace bw::moderation::password {

namespace {
std::counting_semaphore<kMaxConcurrent> &slots()
{
    static std::counting_semaphore<kMaxConcurrent> s(kMaxConcurrent);
    return s;
}

// Holds one of the kMaxConcurrent hashing slots for its lifetime.
class Slot final {
public:
    Slot() { slots().acquire(); }
    ~Slot() { slots().release(); }
    Slot(const Slot &) = delete;
    Slot &operator=(const Slot &) = delete;
};

const QByteArray &dummyHash()
{
    static const QByteArray h = [] {
        char out[crypto_pwhash_STRBYTES];
        static const char pw[] = "not-a-real-password-just-timing";
        if (crypto_pwhash_str(out, pw, sizeof pw - 1, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE)
            != 0)
            return QByteArray();
        return QByteArray(out);
    }();
    return h;
}
} // namespace

bool initialize()
{
    static const bool ok = sodium_init() >= 0;
    return ok;
}

QString policyViolation(const QString &password)
{
    if (password.size() < kMinLength)
        return QStringLiteral("Password must be at least %1 characters").arg(kMinLength);
    if (password.size() > kMaxLength)
        return QStringLiteral("Password must be at most %1 characters").arg(kMaxLength);
    if (password.trimmed().isEmpty())
        return QStringLiteral("Password must not be blank");
    if (password.contains(QChar(0)))
        return QStringLiteral("Password must not contain NUL characters");
    return {};
}

Result<QByteArray> hash(const QString &password)
{
    if (!initialize())
        return ApiError::internal(QStringLiteral("libsodium failed to initialise"));
    const QByteArray utf8 = password.toUtf8();
    char out[crypto_pwhash_STRBYTES];
    int rc = 0;
    {
        Slot slot;
        rc = crypto_pwhash_str(out, utf8.constData(), quint64(utf8.size()), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE);
    }
    if (rc != 0)
        return ApiError::internal(QStringLiteral("crypto_pwhash_str failed (out of memory?)"));
    return QByteArray(out);
}

bool verify(const QByteArray &storedHash, const QString &password)
{
    if (!initialize() || storedHash.isEmpty() || storedHash.size() >= crypto_pwhash_STRBYTES)
        return false;
    const QByteArray utf8 = password.toUtf8();
    const QByteArray terminated = storedHash; // QByteArray data is NUL-terminated
    Slot slot;
    return crypto_pwhash_str_verify(terminated.constData(), utf8.constData(), quint64(utf8.size())) == 0;
}

bool needsRehash(const QByteArray &storedHash)
{
    if (!initialize())
        return false;
    return crypto_pwhash_str_needs_rehash(storedHash.constData(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                          crypto_pwhash_MEMLIMIT_INTERACTIVE)
           != 0;
}

void dummyVerify(const QString &password)
{
    if (!initialize())
        return;
    const QByteArray &h = dummyHash();
    if (!h.isEmpty())
        (void)verify(h, password);
}

} // namespace bw::moderation::password
