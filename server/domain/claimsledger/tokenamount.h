#pragma once
// ImpactToken amounts as exact decimal text (numeric(20,8) in SQL): never a double. Reads an
// amount from a JSON body — a string such as "12.5", or a whole JSON number (exact below 2^53);
// fractional JSON numbers are refused because they arrive as binary floating point. Pure: any thread.

#include "server/core/result.h"

#include <QJsonValue>
#include <QString>

#include <optional>

namespace bw::domain::tokenamount {

inline constexpr int kMaxIntegerDigits = 12; // numeric(20,8)
inline constexpr int kMaxDecimals = 8;

enum class Sign { Positive, NonZero }; // NonZero: signed (administrator adjustments)

// The amount as decimal text ("-3", "0.25"), or nullopt with *why set.
std::optional<QString> parse(const QJsonValue &value, Sign sign, QString *why);
// The same check for text that is already a decimal string (service entry points).
bool isValid(const QString &text, Sign sign);
bool isNegative(const QString &text);
// "-" prepended or removed.
QString negated(const QString &text);

} // namespace bw::domain::tokenamount
