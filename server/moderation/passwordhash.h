#pragma once
// Argon2id password hashes for admin users (libsodium crypto_pwhash_str, OPSLIMIT/MEMLIMIT
// INTERACTIVE: ~50–100 ms of CPU and 64 MiB of memory per call). Thread-safe; at most
// kMaxConcurrent hashes run at once (the others wait), so a burst of logins on the request pool
// cannot take pool-size × 64 MiB.

#include "server/core/result.h"

#include <QByteArray>
#include <QString>

namespace bw::moderation::password {

constexpr int kMinLength = 12;    // characters
constexpr int kMaxLength = 1024;  // characters; bounds the work done on hostile input
constexpr int kMaxConcurrent = 2; // one per core on the reference machine

// libsodium initialisation (idempotent); false only if libsodium cannot work at all.
bool initialize();

// "" when acceptable, else the reason (English, for a 422 field message or the CLI).
QString policyViolation(const QString &password);

// The crypto_pwhash_str string ("$argon2id$v=19$m=65536,t=2,p=1$…").
Result<QByteArray> hash(const QString &password);
// Constant-time by construction (libsodium). False for malformed hashes.
bool verify(const QByteArray &storedHash, const QString &password);
// True when storedHash was made with weaker parameters than the current ones.
bool needsRehash(const QByteArray &storedHash);
// Burns the same work as a verify, for unknown accounts: login timing does not reveal them.
void dummyVerify(const QString &password);

} // namespace bw::moderation::password
