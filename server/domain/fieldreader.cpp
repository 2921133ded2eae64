#include "server/domain/fieldreader.h"

#include <QUrl>

#include <cmath>

namespace bw::domain {

FieldReader::FieldReader(const QJsonObject &object, FieldErrors &errors, QString prefix)
    : m_object(object), m_errors(errors), m_prefix(std::move(prefix))
{
}

bool FieldReader::present(const QString &field) const
{
    const auto it = m_object.constFind(field);
    return it != m_object.constEnd() && !it->isNull() && !it->isUndefined();
}

std::optional<QJsonValue> FieldReader::value(const QString &field, bool required)
{
    // Agents often send null for "not set": treat it like an absent optional field.
    const auto it = m_object.constFind(field);
    if (it == m_object.constEnd() || it->isNull() || it->isUndefined()) {
        if (required)
            add(field, QStringLiteral("Required"));
        return std::nullopt;
    }
    return *it;
}

std::optional<QString> FieldReader::string(const QString &field, bool required, int minLength, int maxLength)
{
    const auto v = value(field, required);
    if (!v)
        return std::nullopt;
    if (!v->isString()) {
        add(field, QStringLiteral("Expected a string"));
        return std::nullopt;
    }
    QString s = v->toString();
    if (s.contains(QChar(0))) {
        add(field, QStringLiteral("Must not contain NUL characters"));
        return std::nullopt;
    }
    if (s.size() < minLength) {
        add(field, QStringLiteral("Must be at least %1 characters").arg(minLength));
        return std::nullopt;
    }
    if (s.size() > maxLength) {
        add(field, QStringLiteral("Must be at most %1 characters").arg(maxLength));
        return std::nullopt;
    }
    return s;
}

std::optional<QString> FieldReader::oneOf(const QString &field, bool required, const QStringList &allowed)
{
    const auto v = value(field, required);
    if (!v)
        return std::nullopt;
    if (!v->isString()) {
        add(field, QStringLiteral("Expected a string"));
        return std::nullopt;
    }
    QString s = v->toString();
    if (!allowed.contains(s)) {
        add(field, QStringLiteral("Must be one of: %1").arg(allowed.join(QStringLiteral(", "))));
        return std::nullopt;
    }
    return s;
}

std::optional<double> FieldReader::number(const QString &field, bool required, double min, double max)
{
    const auto v = value(field, required);
    if (!v)
        return std::nullopt;
    if (!v->isDouble() || !std::isfinite(v->toDouble())) {
        add(field, QStringLiteral("Expected a number"));
        return std::nullopt;
    }
    const double d = v->toDouble();
    if (d < min || d > max) {
        add(field, QStringLiteral("Must be between %1 and %2").arg(min).arg(max));
        return std::nullopt;
    }
    return d;
}

std::optional<bool> FieldReader::boolean(const QString &field, bool required)
{
    const auto v = value(field, required);
    if (!v)
        return std::nullopt;
    if (!v->isBool()) {
        add(field, QStringLiteral("Expected a boolean"));
        return std::nullopt;
    }
    return v->toBool();
}

std::optional<QJsonArray> FieldReader::array(const QString &field, bool required, int minItems, int maxItems)
{
    const auto v = value(field, required);
    if (!v)
        return std::nullopt;
    if (!v->isArray()) {
        add(field, QStringLiteral("Expected an array"));
        return std::nullopt;
    }
    QJsonArray a = v->toArray();
    if (a.size() < minItems) {
        add(field, QStringLiteral("Must contain at least %1 item(s)").arg(minItems));
        return std::nullopt;
    }
    if (a.size() > maxItems) {
        add(field, QStringLiteral("Must contain at most %1 item(s)").arg(maxItems));
        return std::nullopt;
    }
    return a;
}

std::optional<QJsonObject> FieldReader::object(const QString &field, bool required)
{
    const auto v = value(field, required);
    if (!v)
        return std::nullopt;
    if (!v->isObject()) {
        add(field, QStringLiteral("Expected an object"));
        return std::nullopt;
    }
    return v->toObject();
}

bool looksLikeEmail(const QString &email)
{
    if (email.size() < 3 || email.size() > 254)
        return false;
    const qsizetype at = email.indexOf(QLatin1Char('@'));
    if (at <= 0 || at != email.lastIndexOf(QLatin1Char('@')) || at > 64)
        return false;
    for (const QChar c : email) {
        if (c.isSpace() || c.category() == QChar::Other_Control)
            return false;
    }
    const QStringView domainPart = QStringView(email).mid(at + 1);
    const qsizetype dot = domainPart.lastIndexOf(QLatin1Char('.'));
    // Needs a dot that is neither first nor last, and no empty labels.
    return dot > 0 && dot < domainPart.size() - 1 && !domainPart.contains(QLatin1String(".."))
           && !domainPart.startsWith(QLatin1Char('.'));
}

bool isHttpUrl(const QString &url)
{
    if (url.size() > 2048)
        return false;
    const QUrl u(url, QUrl::StrictMode);
    if (!u.isValid())
        return false;
    const QString scheme = u.scheme();
    return (scheme == QLatin1String("http") || scheme == QLatin1String("https")) && !u.host().isEmpty();
}

} // namespace bw::domain
