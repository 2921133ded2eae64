#include "aibudget.h"

#include "server/core/metrics.h"
#include "server/db/sql.h"

#include <QLoggingCategory>
#include <QSqlQuery>

namespace bw::guardrails {

namespace {
Q_LOGGING_CATEGORY(lcBudget, "bw.guardrails.budget")

QString cents(double c)
{
    return QString::number(c, 'f', 4);
}
} // namespace

AiBudget::AiBudget(MetricsRegistry *metrics) : m_metrics(metrics)
{
    if (!metrics)
        return;
    m_spent = &metrics->gauge(QStringLiteral("guardrail_ai_spend_cents"),
                              QStringLiteral("AI spend today (UTC) in cents, as last seen by this node"));
    m_cap = &metrics->gauge(QStringLiteral("guardrail_ai_budget_cents"), QStringLiteral("Daily AI budget in cents"));
    m_exhausted = &metrics->counter(QStringLiteral("guardrail_ai_budget_exhausted_total"),
                                    QStringLiteral("Classifier calls skipped because the daily AI budget was spent"));
}

void AiBudget::observe(double before, double after, int capCents)
{
    if (m_spent)
        m_spent->set(after);
    if (m_cap)
        m_cap->set(capCents);
    if (capCents <= 0)
        return;
    for (const int percent : {50, 80, 100}) {
        const double threshold = capCents * percent / 100.0;
        if (before < threshold && after >= threshold) {
            qCWarning(lcBudget).noquote() << QStringLiteral("AI budget alert: %1 % of today's %2 cents spent (%3 cents)")
                                                 .arg(percent)
                                                 .arg(capCents)
                                                 .arg(after, 0, 'f', 2);
            if (m_metrics)
                m_metrics
                    ->counter(QStringLiteral("guardrail_ai_budget_alerts_total"),
                              QStringLiteral("Daily AI budget thresholds crossed (50, 80, 100 %)"),
                              {{QStringLiteral("threshold"), QString::number(percent)}})
                    .inc();
        }
    }
}

Result<AiBudget::Reservation> AiBudget::reserve(QSqlDatabase db, double estimateCents, int capCents)
{
    Reservation r;
    if (capCents <= 0) {
        if (m_exhausted)
            m_exhausted->inc();
        return r;
    }
    // The upsert's WHERE makes check-and-book one atomic step across nodes: no row comes back when
    // today's spend already reached the cap. (A new day's first insert always passes.)
    static const QString sql =
        QStringLiteral("INSERT INTO guardrail_ai_spend AS s (day, spent_cents, calls)"
                       " VALUES ((now() AT TIME ZONE 'UTC')::date, ?::numeric, 1)"
                       " ON CONFLICT (day) DO UPDATE SET spent_cents = s.spent_cents + EXCLUDED.spent_cents,"
                       "  calls = s.calls + 1, updated_at = now()"
                       " WHERE s.spent_cents < ?::numeric"
                       " RETURNING s.day::text, s.spent_cents::float8");
    auto q = db::execCached(db, sql, {cents(estimateCents), capCents});
    if (!q)
        return q.error();
    if (!q->next()) {
        if (m_exhausted)
            m_exhausted->inc();
        if (m_spent)
            m_spent->set(std::max(m_spent->value(), double(capCents)));
        return r;
    }
    r.granted = true;
    r.day = q->value(0).toString();
    r.cents = estimateCents;
    r.spentAfter = q->value(1).toDouble();
    observe(r.spentAfter - estimateCents, r.spentAfter, capCents);
    return r;
}

Status AiBudget::settle(QSqlDatabase db, const Reservation &reservation, double actualCents, int capCents)
{
    if (!reservation.granted)
        return success();
    const double delta = actualCents - reservation.cents;
    if (delta == 0)
        return success();
    static const QString sql =
        QStringLiteral("UPDATE guardrail_ai_spend SET spent_cents = greatest(0, spent_cents + ?::numeric), updated_at = now()"
                       " WHERE day = ?::date RETURNING spent_cents::float8");
    auto q = db::execCached(db, sql, {cents(delta), reservation.day});
    if (!q)
        return q.error();
    if (q->next()) {
        const double after = q->value(0).toDouble();
        observe(delta > 0 ? after - delta : after, after, capCents);
    }
    return success();
}

Result<double> AiBudget::spentToday(QSqlDatabase db)
{
    auto spent = db::scalar(db::execCached(
        db,
        QStringLiteral(
            "SELECT coalesce((SELECT spent_cents::float8 FROM guardrail_ai_spend WHERE day = (now() AT TIME ZONE 'UTC')::date), 0)")));
    if (!spent)
        return spent.error();
    return spent->toDouble();
}

} // namespace bw::guardrails
