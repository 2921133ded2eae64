#pragma once
// The daily AI budget (guardrails.md step 5), shared by all nodes through guardrail_ai_spend: a
// worker reserves an estimate before each classifier call (refused once today's spend reached the
// cap) and settles the real cost after it. Crossing 50 %, 80 % and 100 % of the cap logs a warning
// and counts guardrail_ai_budget_alerts_total{threshold} — exactly once per crossing, on the node
// whose update crossed it. Thread-safe; SQL on the calling thread's connection.

#include "server/core/result.h"

#include <QSqlDatabase>
#include <QString>

namespace bw {
class Counter;
class Gauge;
class MetricsRegistry;
} // namespace bw

namespace bw::guardrails {

class AiBudget final {
public:
    explicit AiBudget(MetricsRegistry *metrics = nullptr);

    struct Reservation {
        bool granted = false;
        QString day;      // UTC day the reservation was booked on ("YYYY-MM-DD")
        double cents = 0; // reserved amount
        double spentAfter = 0;
    };
    // Books estimateCents on today's row unless today's spend already reached capCents.
    Result<Reservation> reserve(QSqlDatabase db, double estimateCents, int capCents);
    // Replaces the reservation by the real cost (may be less or more).
    Status settle(QSqlDatabase db, const Reservation &reservation, double actualCents, int capCents);
    // Today's spend in cents.
    Result<double> spentToday(QSqlDatabase db);

private:
    void observe(double before, double after, int capCents);

    Gauge *m_spent = nullptr;
    Gauge *m_cap = nullptr;
    Counter *m_exhausted = nullptr;
    MetricsRegistry *m_metrics = nullptr;
};

} // namespace bw::guardrails
