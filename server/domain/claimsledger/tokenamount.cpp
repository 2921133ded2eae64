#include "server/domain/claimsledger/tokenamount.h"

#include <QRegularExpression>

#include <cmath>

namespace bw::domain::tokenamount {

namespace {
const QRegularExpression &pattern()
{
    static const QRegularExpression re(
        QStringLiteral("^-?(0|[1-9][0-9]{0,%1})(\\.[0-9]{1,%2})?$").arg(kMaxIntegerDigits - 1).arg(kMaxDecimals));
    return re;
}
bool isZero(const QString &text)
{
    for (QChar c : text) {
        if (c.isDigit() && c != u'0')
            return false;
    }
    return true;
}
} // namespace

bool isValid(const QString &text, Sign sign)
{
    if (!pattern().match(text).hasMatch() || isZero(text))
        return false;
    return sign == Sign::NonZero || !isNegative(text);
}

bool isNegative(const QString &text)
{
    return text.startsWith(u'-');
}

QString negated(const QString &text)
{
    return isNegative(text) ? text.mid(1) : QStringLiteral("-") + text;
}

std::optional<QString> parse(const QJsonValue &value, Sign sign, QString *why)
{
    QString text;
    if (value.isString()) {
        text = value.toString().trimmed();
    } else if (value.isDouble()) {
        const double d = value.toDouble();
        if (std::trunc(d) != d || std::fabs(d) >= 1e12) {
            *why = QStringLiteral("must be a whole number, or a decimal string such as \"12.5\" (at most %1 decimals)")
                       .arg(kMaxDecimals);
            return std::nullopt;
        }
        text = QString::number(qint64(d));
    } else {
        *why = QStringLiteral("is required (a decimal string such as \"12.5\")");
        return std::nullopt;
    }
    if (!pattern().match(text).hasMatch()) {
        *why = QStringLiteral("must be a decimal with at most %1 integer digits and %2 decimals")
                   .arg(kMaxIntegerDigits)
                   .arg(kMaxDecimals);
        return std::nullopt;
    }
    if (isZero(text)) {
        *why = QStringLiteral("must not be zero");
        return std::nullopt;
    }
    if (sign == Sign::Positive && isNegative(text)) {
        *why = QStringLiteral("must be positive");
        return std::nullopt;
    }
    return text;
}

} // namespace bw::domain::tokenamount
