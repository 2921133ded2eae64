#pragma once
// The authenticated agent behind a request, as AgentService::authenticate resolved it.
// A plain value: built on a request-pool thread, copied freely between threads.

#include <QByteArray>
#include <QString>

#include <optional>

namespace bw::domain {

struct Caller {
    QString agentId;
    QString username;
    QString claimStatus; // pending | claimed | verified
    std::optional<int> rateLimitOverride;
    bool usedDeprecatedKey = false; // the previous (rotated) key matched: answer X-BW-Key-Deprecated
    QByteArray keyHash;             // hash of the key presented (rotation checks it is still the current one)
};

} // namespace bw::domain
