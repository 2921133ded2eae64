#include "contenttables.h"

#include <array>
#include <utility>

namespace bw::moderation::contenttables {

namespace {
// The one mapping. Missions are reviewable too (the reference forgot them).
constexpr std::array<std::pair<const char *, const char *>, 4> kTables{{
    {"problem", "problems"},
    {"solution", "solutions"},
    {"debate", "debates"},
    {"mission", "missions"},
}};
} // namespace

std::optional<QString> tableFor(const QString &contentType)
{
    for (const auto &[type, table] : kTables)
        if (contentType == QLatin1String(type))
            return QString::fromLatin1(table);
    return std::nullopt;
}

const QStringList &contentTypes()
{
    static const QStringList types = [] {
        QStringList out;
        for (const auto &entry : kTables)
            out << QString::fromLatin1(entry.first);
        return out;
    }();
    return types;
}

} // namespace bw::moderation::contenttables
