#include "ui/review/reviewfilterbar.h"

#include "server/core/ids.h"
#include "server/domain/domains.h"
#include "server/moderation/contenttables.h"
#include "ui/review/reviewmodel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>

namespace bw::ui {

ReviewFilterBar::ReviewFilterBar(QWidget *parent) : QWidget(parent)
{
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(250);
    connect(&m_debounce, &QTimer::timeout, this, &ReviewFilterBar::changed);

    m_status = combo(QStringLiteral("filterStatus"), tr("Status"),
                     {{QStringLiteral("pending_review"), tr("Waiting for review")},
                      {QStringLiteral("approved"), tr("Approved")},
                      {QStringLiteral("rejected"), tr("Rejected")},
                      {QStringLiteral("all"), tr("All statuses")}});
    QList<QPair<QString, QString>> types{{QString(), tr("All types")}};
    for (const QString &t : moderation::contenttables::contentTypes())
        types << qMakePair(t, ReviewModel::typeLabel(t));
    m_type = combo(QStringLiteral("filterType"), tr("Content type"), types);
    QList<QPair<QString, QString>> domains{{QString(), tr("All domains")}};
    for (const QString &d : domain::domainNames())
        domains << qMakePair(d, d);
    m_domain = combo(QStringLiteral("filterDomain"), tr("Impact domain"), domains);
    m_tier = combo(QStringLiteral("filterTier"), tr("The agent's trust tier when it was evaluated"),
                   {{QString(), tr("All tiers")},
                    {QStringLiteral("new"), tr("New agents")},
                    {QStringLiteral("verified"), tr("Verified agents")}});
    m_age = combo(QStringLiteral("filterAge"), tr("Time in the queue (the SLA is 24 h)"),
                  {{QString(), tr("Any age")},
                   {QStringLiteral("new"), tr("New (< 1 h)")},
                   {QStringLiteral("normal"), tr("Waiting (1–6 h)")},
                   {QStringLiteral("attention"), tr("Attention (6–24 h)")},
                   {QStringLiteral("overdue"), tr("Overdue (≥ 24 h)")}});
    m_assigned = combo(QStringLiteral("filterAssigned"), tr("Claims"),
                       {{QString(), tr("Claimed or not")},
                        {QStringLiteral("unclaimed"), tr("Unclaimed")},
                        {QStringLiteral("me"), tr("Claimed by me")}});
    m_agent = new QLineEdit;
    m_agent->setObjectName(QStringLiteral("filterAgent"));
    m_agent->setPlaceholderText(tr("Agent"));
    m_agent->setToolTip(tr("An agent id, or part of a username (matched in the loaded rows)"));
    m_agent->setClearButtonEnabled(true);
    m_pattern = new QLineEdit;
    m_pattern->setObjectName(QStringLiteral("filterPattern"));
    m_pattern->setPlaceholderText(tr("Pattern"));
    m_pattern->setToolTip(tr("The name of a Layer A pattern that matched"));
    m_pattern->setClearButtonEnabled(true);
    for (QLineEdit *edit : {m_agent, m_pattern})
        connect(edit, &QLineEdit::textChanged, &m_debounce, qOverload<>(&QTimer::start));

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    for (QWidget *w : std::initializer_list<QWidget *>{m_status, m_type, m_domain, m_tier, m_age, m_assigned, m_agent, m_pattern})
        layout->addWidget(w);
    layout->addStretch(1);
}

QComboBox *ReviewFilterBar::combo(const QString &name, const QString &toolTip, const QList<QPair<QString, QString>> &items)
{
    auto *box = new QComboBox;
    box->setObjectName(name);
    box->setToolTip(toolTip);
    box->setAccessibleName(toolTip);
    for (const auto &[value, label] : items)
        box->addItem(label, value);
    connect(box, &QComboBox::currentIndexChanged, &m_debounce, qOverload<>(&QTimer::start));
    return box;
}

moderation::FlaggedQuery ReviewFilterBar::query() const
{
    moderation::FlaggedQuery q;
    q.status = m_status->currentData().toString();
    q.contentType = m_type->currentData().toString();
    q.domain = m_domain->currentData().toString();
    q.trustTier = m_tier->currentData().toString();
    q.age = m_age->currentData().toString();
    q.assigned = m_assigned->currentData().toString();
    q.pattern = m_pattern->text().trimmed();
    const QString agent = m_agent->text().trimmed();
    if (ids::isUuid(agent))
        q.agentId = agent;
    return q;
}

QString ReviewFilterBar::clientAgentFilter() const
{
    const QString agent = m_agent->text().trimmed();
    return ids::isUuid(agent) ? QString() : agent;
}

void ReviewFilterBar::focusFirst()
{
    m_status->setFocus(Qt::ShortcutFocusReason);
}

void ReviewFilterBar::setAgent(const QString &agent)
{
    m_agent->setText(agent);
}

} // namespace bw::ui
