#pragma once
// Small response helpers the content controllers share: bodies whose JSON PostgreSQL already
// built (no parse/serialise round trip), the optional caller of public routes, delete answers.
// Header-only; used on request-pool threads.

#include "server/domain/caller.h"
#include "server/http/envelope.h"

#include <optional>

namespace bw::http::content {

inline std::optional<domain::Caller> callerOf(const Request &req)
{
    return req.caller ? std::optional<domain::Caller>(*req.caller) : std::nullopt;
}

inline Response respondRaw(const Request &req, const Result<QByteArray> &result, int status = 200)
{
    return result ? okRaw(req, *result, status) : error(req, result.error());
}

// 200 {"deleted": true} (api.md §1).
inline Response respondDeleted(const Request &req, const Status &result)
{
    return result ? okRaw(req, QByteArrayLiteral("{\"deleted\":true}")) : error(req, result.error());
}

} // namespace bw::http::content
