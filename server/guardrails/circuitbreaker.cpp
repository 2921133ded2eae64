#include "circuitbreaker.h"

namespace bw::guardrails {

CircuitBreaker::CircuitBreaker(Options options, std::function<Clock::time_point()> now)
    : m_options(options), m_now(std::move(now))
{
}

void CircuitBreaker::setOnChange(std::function<void(State)> onChange)
{
    std::lock_guard lock(m_mutex);
    m_onChange = std::move(onChange);
}

void CircuitBreaker::setState(State s, std::unique_lock<std::mutex> &lock)
{
    if (m_state == s)
        return;
    m_state = s;
    auto notify = m_onChange;
    lock.unlock();
    if (notify)
        notify(s);
    lock.lock();
}

bool CircuitBreaker::allow()
{
    std::unique_lock lock(m_mutex);
    switch (m_state) {
    case State::Closed:
        return true;
    case State::Open:
        if (m_now() - m_openedAt < m_options.openFor)
            return false;
        m_trialInFlight = true;
        setState(State::HalfOpen, lock);
        return true;
    case State::HalfOpen:
        if (m_trialInFlight)
            return false;
        m_trialInFlight = true;
        return true;
    }
    return false;
}

void CircuitBreaker::recordSuccess()
{
    std::unique_lock lock(m_mutex);
    m_failures.clear();
    m_trialInFlight = false;
    setState(State::Closed, lock);
}

void CircuitBreaker::release()
{
    std::lock_guard lock(m_mutex);
    m_trialInFlight = false;
}

void CircuitBreaker::recordFailure()
{
    std::unique_lock lock(m_mutex);
    const auto now = m_now();
    if (m_state == State::HalfOpen) {
        m_trialInFlight = false;
        m_openedAt = now;
        setState(State::Open, lock);
        return;
    }
    if (m_state == State::Open)
        return; // a call that started before the circuit opened
    m_failures.push_back(now);
    while (!m_failures.empty() && now - m_failures.front() > m_options.window)
        m_failures.pop_front();
    if (int(m_failures.size()) >= m_options.threshold) {
        m_failures.clear();
        m_openedAt = now;
        setState(State::Open, lock);
    }
}

CircuitBreaker::State CircuitBreaker::state() const
{
    std::lock_guard lock(m_mutex);
    return m_state;
}

QString CircuitBreaker::stateName(State s)
{
    switch (s) {
    case State::Closed:
        return QStringLiteral("closed");
    case State::Open:
        return QStringLiteral("open");
    case State::HalfOpen:
        return QStringLiteral("half_open");
    }
    return {};
}

} // namespace bw::guardrails
