#pragma once
// Paints the review queue's Age column as an SLA badge: a coloured pill (new / waiting /
// attention 6–24 h / overdue ≥ 24 h) followed by the age. GUI thread.

#include <QColor>
#include <QStyledItemDelegate>

namespace bw::ui {

class AgeBadgeDelegate final : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    static QColor colorFor(const QString &badge);
};

} // namespace bw::ui
