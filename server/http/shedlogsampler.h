#pragma once
// Access lines of shed responses (429, 503) come in floods during an outage or an abuse wave: tens of
// thousands a minute would rotate the cause ("PostgreSQL exited unexpectedly") out of the log files.
// The first few per status and second are written as usual; the rest are counted and reported as one
// summary line per status when their second is over. Thread-safe (any HTTP or pool thread).

#include <QString>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>

namespace bw::http {

class ShedLogSampler final {
public:
    using Clock = std::function<qint64()>; // milliseconds, monotonic; injectable for tests
    explicit ShedLogSampler(int linesPerSecond = 5, Clock clock = {});

    // Whether a response with this status should get its own access line. Non-shed statuses: always.
    bool admit(int status);
    // The summary for a second that has ended with suppressed lines ("1234 more 503 responses…"), once.
    // Called for every response: one relaxed atomic load when nothing was held back.
    std::optional<QString> takeSummary();

    static bool isShed(int status) { return status == 429 || status == 503; }

private:
    struct Second {
        qint64 start = -1;
        int logged = 0;
        int suppressed = 0;
    };
    void roll(Second &s, int status, qint64 now);

    const int m_perSecond;
    Clock m_clock;
    std::mutex m_mutex;
    Second m_429, m_503;
    QString m_pending;                // summaries of finished seconds not yet written
    std::atomic<bool> m_dirty{false}; // lines held back or summaries pending: takeSummary() has work
};

} // namespace bw::http
