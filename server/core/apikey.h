#pragma once
// Agent API keys: 32 random bytes as 64 lower-case hex chars. We store only SHA-256 of the key
// (the key has 256 bits of entropy, so a slow hash buys nothing) and look rows up by a 12-char prefix.

#include <QByteArray>
#include <QString>

namespace bw::apikey {
constexpr int kKeyLength = 64;
constexpr int kPrefixLength = 12;

QString generate();
bool looksValid(const QString &key); // 64 lower-case hex chars
QString prefix(const QString &key);  // first 12 chars
QByteArray hash(const QString &key); // SHA-256, lower-case hex
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);
} // namespace bw::apikey
