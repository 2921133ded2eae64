#include "server/domain/agentratelimit.h"

namespace bw::domain {

int agentRequestLimit(const RateLimitConfig &limits, const QString &claimStatus, std::optional<int> override)
{
    if (override)
        return *override;
    return claimStatus == u"verified"  ? limits.agentVerified
           : claimStatus == u"claimed" ? limits.agentClaimed
                                       : limits.agentPending;
}

QString agentRateLimitKey(const QString &agentId)
{
    return QStringLiteral("agent:") + agentId;
}

} // namespace bw::domain
