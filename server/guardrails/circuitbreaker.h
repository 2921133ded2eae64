#pragma once
// Stops calling a failing classifier provider: `threshold` failures within `window` open the
// circuit for `openFor`; after that one trial call is let through (half-open) — success closes
// it, failure opens it again. In-process (each node keeps its own; acceptable: a node that has not
// yet seen the failures pays at most `threshold` more failed calls). Thread-safe.

#include <QString>

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>

namespace bw::guardrails {

struct CircuitBreakerOptions {
    int threshold = 5;
    std::chrono::milliseconds window = std::chrono::minutes(2);
    std::chrono::milliseconds openFor = std::chrono::minutes(5);
};

class CircuitBreaker final {
public:
    using Clock = std::chrono::steady_clock;
    enum class State { Closed, Open, HalfOpen };

    using Options = CircuitBreakerOptions;

    explicit CircuitBreaker(Options options = {}, std::function<Clock::time_point()> now = Clock::now);

    // True when a call may go out now. In half-open state only one caller gets true until it reports.
    bool allow();
    void recordSuccess();
    void recordFailure();
    // An allowed call that did not happen after all (e.g. no budget): frees the half-open trial.
    void release();

    State state() const;
    static QString stateName(State s);
    // Called (outside the lock) whenever the state changes: metrics and logs.
    void setOnChange(std::function<void(State)> onChange);

private:
    void setState(State s, std::unique_lock<std::mutex> &lock);

    Options m_options;
    std::function<Clock::time_point()> m_now;
    mutable std::mutex m_mutex;
    State m_state = State::Closed;
    std::deque<Clock::time_point> m_failures;
    Clock::time_point m_openedAt;
    bool m_trialInFlight = false;
    std::function<void(State)> m_onChange;
};

} // namespace bw::guardrails
