#pragma once
// The review queue's filters: status, type, domain, agent, trust tier, age band, Layer A pattern,
// claims. Everything the service can filter goes into the FlaggedQuery; an agent given by name
// (the service takes ids only) is filtered client-side. Debounced. GUI thread.

#include "server/moderation/flaggeditem.h"

#include <QTimer>
#include <QWidget>

class QComboBox;
class QLineEdit;

namespace bw::ui {

class ReviewFilterBar final : public QWidget {
    Q_OBJECT
public:
    explicit ReviewFilterBar(QWidget *parent = nullptr);

    moderation::FlaggedQuery query() const;
    // Agent text that is not an id: matched client-side against the Agent column ("" = none).
    QString clientAgentFilter() const;
    void focusFirst();
    void setAgent(const QString &agent); // "filter by this agent"

Q_SIGNALS:
    void changed(); // debounced

private:
    QComboBox *combo(const QString &name, const QString &toolTip, const QList<QPair<QString, QString>> &items);

    QComboBox *m_status;
    QComboBox *m_type;
    QComboBox *m_domain;
    QComboBox *m_tier;
    QComboBox *m_age;
    QComboBox *m_assigned;
    QLineEdit *m_agent;
    QLineEdit *m_pattern;
    QTimer m_debounce;
};

} // namespace bw::ui
