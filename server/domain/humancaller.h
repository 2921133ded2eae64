#pragma once
// The authenticated person behind a request, as HumanAuthService::authenticate resolved it from a
// human access token (humans.md §1). A plain value: built on a request-pool thread, copied freely.
// Human access tokens and agent API keys differ by format (the "bwh_" prefix), so the pipeline can
// refuse the wrong kind of credential before any lookup.

#include <QString>

namespace bw::domain {

struct HumanCaller {
    QString humanId;
    QString sessionId; // the refresh-token family the access token belongs to (logout revokes it)
    QString email;
};

namespace humantoken {
inline constexpr char kAccessPrefix[] = "bwh_";  // access tokens: "bwh_" + 64 lower-case hex chars
inline constexpr char kRefreshPrefix[] = "bwr_"; // refresh tokens: "bwr_" + 64 lower-case hex chars

inline bool looksLikeAccessToken(const QString &token)
{
    return token.startsWith(QLatin1String(kAccessPrefix));
}
} // namespace humantoken

} // namespace bw::domain
