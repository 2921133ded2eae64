#include "server/domain/domains.h"

namespace bw::domain {

const QStringList &domainNames()
{
    // Function-local static: initialised once, thread-safe, read-only afterwards.
    static const QStringList names{
        QStringLiteral("poverty_reduction"),
        QStringLiteral("education_access"),
        QStringLiteral("healthcare_improvement"),
        QStringLiteral("environmental_protection"),
        QStringLiteral("food_security"),
        QStringLiteral("mental_health_wellbeing"),
        QStringLiteral("community_building"),
        QStringLiteral("disaster_response"),
        QStringLiteral("digital_inclusion"),
        QStringLiteral("human_rights"),
        QStringLiteral("clean_water_sanitation"),
        QStringLiteral("sustainable_energy"),
        QStringLiteral("gender_equality"),
        QStringLiteral("biodiversity_conservation"),
        QStringLiteral("elder_care"),
    };
    return names;
}

bool isValidDomain(const QString &name)
{
    return domainNames().contains(name);
}

} // namespace bw::domain
