#include "ui/review/agebadgedelegate.h"

#include "ui/review/reviewmodel.h"

#include <QApplication>
#include <QPainter>

namespace bw::ui {

QColor AgeBadgeDelegate::colorFor(const QString &badge)
{
    if (badge == u"overdue")
        return QColor(0xc6, 0x28, 0x28);
    if (badge == u"attention")
        return QColor(0xd9, 0x8e, 0x04);
    if (badge == u"new")
        return QColor(0x2e, 0x7d, 0x32);
    return QColor(0x60, 0x7d, 0x8b);
}

void AgeBadgeDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString age = opt.text;
    opt.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget); // selection/focus background

    const QString badge = index.data(ReviewModel::AgeBadgeRole).toString();
    const QString label = ReviewModel::badgeLabel(badge);
    const QFontMetrics fm(opt.font);
    const int pad = 4;
    const QRect cell = opt.rect.adjusted(pad, 2, -pad, -2);
    QRect pill(cell.left(), cell.top(), fm.horizontalAdvance(label) + 2 * pad + 2, cell.height());

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(Qt::NoPen);
    painter->setBrush(colorFor(badge));
    painter->drawRoundedRect(pill, pill.height() / 2.0, pill.height() / 2.0);
    painter->setPen(Qt::white);
    painter->drawText(pill, Qt::AlignCenter, label);
    painter->setPen(opt.palette.color(opt.state & QStyle::State_Selected ? QPalette::HighlightedText : QPalette::Text));
    const QRect rest = cell.adjusted(pill.width() + pad, 0, 0, 0);
    painter->drawText(rest, Qt::AlignVCenter | Qt::AlignLeft, fm.elidedText(age, Qt::ElideRight, rest.width()));
    painter->restore();
}

QSize AgeBadgeDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    const QFontMetrics fm(option.font);
    size.setWidth(fm.horizontalAdvance(ReviewModel::badgeLabel(QStringLiteral("attention")))
                  + fm.horizontalAdvance(index.data().toString()) + 28);
    return size;
}

} // namespace bw::ui
