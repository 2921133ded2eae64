#pragma once
// One line to add a route only people may call (humans.md): the pipeline has already checked the
// human access token (an agent key gets 403, none 401) and applied the per-human rate limit; the
// handler receives the authenticated HumanCaller. Example:
//   addHumanRoute(router, "POST", "/api/v1/missions/:id/claim", [&](Request &req, const HumanCaller &me) { … });

#include "server/domain/humancaller.h"
#include "server/http/router.h"

namespace bw::http {

using HumanHandler = std::function<Response(Request &, const domain::HumanCaller &)>;

inline void addHumanRoute(Router &router, const QByteArray &method, const QString &pattern, HumanHandler handler,
                          RateClass rate = RateClass::Standard, qint64 maxBodyBytes = -1)
{
    router.add(method, pattern, RouteOptions{Auth::Human, rate, true, maxBodyBytes},
               [handler = std::move(handler)](Request &req) { return handler(req, *req.human); });
}

} // namespace bw::http
