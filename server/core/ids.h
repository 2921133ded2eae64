#pragma once
// UUID helpers: ids are UUIDs everywhere (api.md).

#include <QString>

namespace bw::ids {
QString newUuid();                // lower-case, no braces
bool isUuid(const QString &text); // canonical 8-4-4-4-12 hex form
} // namespace bw::ids
