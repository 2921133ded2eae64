#include "server/domain/accounts/canonicaljson.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QStringList>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace bw::domain::canonicaljson {

namespace {

void appendHex4(QByteArray &out, char16_t u)
{
    static const char digits[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4)
        out += digits[(u >> shift) & 0xF];
}

// JavaScript Number → string for finite doubles (ECMA-262 Number::toString, radix 10).
QByteArray numberText(double d)
{
    if (!std::isfinite(d))
        return "null"; // JSON.stringify(NaN/Infinity) === "null"
    if (d == 0)
        return "0"; // also -0
    if (std::abs(d) < 1e21 && d == std::trunc(d))
        return QByteArray::number(d, 'f', 0);
    // Shortest digits that round-trip, then JavaScript's choice of plain or exponent notation.
    // std::to_chars gives the shortest digits that round-trip, nearest to the exact value (as ECMA-262 asks).
    char buffer[64];
    const auto written = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::scientific);
    QByteArray e(buffer, written.ptr - buffer); // "-1.2345e-07"
    const bool negative = e.startsWith('-');
    if (negative)
        e.remove(0, 1);
    const qsizetype ePos = e.indexOf('e');
    QByteArray digits = e.left(ePos);
    digits.replace(".", "");
    const int exponent = e.mid(ePos + 1).toInt();
    const int k = int(digits.size());
    const int n = exponent + 1; // position of the decimal point relative to the digits
    QByteArray out;
    if (k <= n && n <= 21) {
        out = digits + QByteArray(n - k, '0');
    } else if (0 < n && n <= 21) {
        out = digits.left(n) + '.' + digits.mid(n);
    } else if (-6 < n && n <= 0) {
        out = "0." + QByteArray(-n, '0') + digits;
    } else {
        out = digits.left(1);
        if (k > 1)
            out += '.' + digits.mid(1);
        out += 'e';
        out += (n - 1 >= 0 ? "+" : "-");
        out += QByteArray::number(std::abs(n - 1));
    }
    return negative ? '-' + out : out;
}

void write(QByteArray &out, const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        out += "null";
        break;
    case QJsonValue::Bool:
        out += v.toBool() ? "true" : "false";
        break;
    case QJsonValue::Double:
        out += numberText(v.toDouble());
        break;
    case QJsonValue::String:
        out += quote(v.toString());
        break;
    case QJsonValue::Array: {
        out += '[';
        bool first = true;
        for (const QJsonValue &item : v.toArray()) {
            if (!first)
                out += ',';
            first = false;
            write(out, item);
        }
        out += ']';
        break;
    }
    case QJsonValue::Object: {
        const QJsonObject o = v.toObject();
        QStringList keys = o.keys();
        // QString's operator< compares UTF-16 code units: the same order as Array.prototype.sort.
        std::sort(keys.begin(), keys.end(), [](const QString &a, const QString &b) { return a < b; });
        out += '{';
        bool first = true;
        for (const QString &key : keys) {
            if (!first)
                out += ',';
            first = false;
            out += quote(key);
            out += ':';
            write(out, o.value(key));
        }
        out += '}';
        break;
    }
    }
}

} // namespace

QByteArray quote(const QString &text)
{
    QByteArray out;
    out.reserve(text.size() + 2);
    out += '"';
    const char16_t *s = reinterpret_cast<const char16_t *>(text.utf16());
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t c = s[i];
        switch (c) {
        case u'"':
            out += "\\\"";
            continue;
        case u'\\':
            out += "\\\\";
            continue;
        case u'\b':
            out += "\\b";
            continue;
        case u'\f':
            out += "\\f";
            continue;
        case u'\n':
            out += "\\n";
            continue;
        case u'\r':
            out += "\\r";
            continue;
        case u'\t':
            out += "\\t";
            continue;
        default:
            break;
        }
        if (c < 0x20) {
            appendHex4(out, c);
        } else if (QChar::isHighSurrogate(c) && i + 1 < n && QChar::isLowSurrogate(s[i + 1])) {
            out += QString(reinterpret_cast<const QChar *>(s + i), 2).toUtf8();
            ++i;
        } else if (QChar::isSurrogate(c)) {
            appendHex4(out, c); // lone surrogate: not encodable as UTF-8
        } else if (c < 0x80) {
            out += char(c);
        } else {
            out += QString(QChar(c)).toUtf8();
        }
    }
    out += '"';
    return out;
}

QByteArray serialize(const QJsonValue &value)
{
    QByteArray out;
    write(out, value);
    return out;
}

} // namespace bw::domain::canonicaljson
