#pragma once
// Typed, bounded reads of request-body fields that record every problem in a FieldErrors
// instead of stopping at the first, so a 422 lists all of them. Used on request-pool threads.

#include "server/core/result.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace bw::domain {

class FieldReader final {
public:
    // prefix is prepended to field names in errors (e.g. "selfAudit.").
    FieldReader(const QJsonObject &object, FieldErrors &errors, QString prefix = {});

    bool present(const QString &field) const; // present and not null

    // Lengths are UTF-16 code units, as the reference API (JavaScript) counts them.
    std::optional<QString> string(const QString &field, bool required, int minLength, int maxLength);
    std::optional<QString> oneOf(const QString &field, bool required, const QStringList &allowed);
    std::optional<double> number(const QString &field, bool required, double min, double max);
    std::optional<bool> boolean(const QString &field, bool required);
    std::optional<QJsonArray> array(const QString &field, bool required, int minItems, int maxItems);
    std::optional<QJsonObject> object(const QString &field, bool required);

    void add(const QString &field, const QString &message) { m_errors.add(m_prefix + field, message); }

private:
    // The value if present and non-null; records "Required" when required and absent.
    std::optional<QJsonValue> value(const QString &field, bool required);

    const QJsonObject &m_object;
    FieldErrors &m_errors;
    QString m_prefix;
};

// Simple, permissive syntax checks (no regex: cheap and safe to share between threads).
bool looksLikeEmail(const QString &email);
bool isHttpUrl(const QString &url);

} // namespace bw::domain
