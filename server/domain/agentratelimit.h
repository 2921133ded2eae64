#pragma once
// The per-agent request limit (api.md rate limits): the claim-status tier's limit, or the
// administrator's override. One rule for the HTTP pipeline's agent bucket and the console's agent
// view. Pure functions; any thread.

#include "server/core/config.h"

#include <QString>

#include <optional>

namespace bw::domain {

// Requests per RateLimitConfig::windowSeconds for an agent with this claim status (pending |
// claimed | verified; anything else counts as pending), unless `override` is set.
int agentRequestLimit(const RateLimitConfig &limits, const QString &claimStatus, std::optional<int> override);

// The rate limiter's bucket key for an agent's requests ("agent:<id>").
QString agentRateLimitKey(const QString &agentId);

} // namespace bw::domain
