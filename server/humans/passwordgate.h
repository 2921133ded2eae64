#pragma once
// Admission to Argon2id work for people's accounts (register, login, password reset) on the
// request pool. At most `running` hashes run at once and at most `waiting` callers queue (each for
// at most maxWait); anyone else is answered 503 SERVICE_UNAVAILABLE at once. So a login flood holds
// at most running + waiting pool threads, and the rest of the API keeps the others (humans.md §1).
// The per-IP login limit (429) is the first line; this is the second. Thread-safe.

#include "server/core/result.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace bw::humans {

class PasswordGate final {
public:
    struct Options {
        int running = 2; // one per core on the reference machine (as moderation::password)
        int waiting = 2;
        std::chrono::milliseconds maxWait{250};
    };
    PasswordGate() : PasswordGate(Options{}) {}
    explicit PasswordGate(Options options);

    Result<QByteArray> hash(const QString &password);
    // true/false for a match; 503 when no slot was free in time.
    Result<bool> verify(const QByteArray &storedHash, const QString &password);
    // The same work as verify, against a fixed hash (unknown accounts): no timing oracle.
    Status dummyVerify(const QString &password);

    // Runs work under an admission (what hash/verify do with Argon2), or answers 503 without running it.
    Status admit(const std::function<void()> &work);

    int rejected() const { return m_rejected.load(); }
    int waiting() const;

private:
    Status enter();
    void leave();

    const Options m_options;
    mutable std::mutex m_mutex;
    std::condition_variable m_freed;
    int m_running = 0;
    int m_waiting = 0;
    std::atomic<int> m_rejected{0};
};

} // namespace bw::humans
