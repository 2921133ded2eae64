#pragma once
// Parameters of GET /problems (api.md §2, §7), validated from the query string. Pure value; any thread.

#include "server/core/result.h"

#include <QMap>
#include <QString>

namespace bw::domain {

struct ProblemQuery {
    enum class Sort { Recent, Upvotes, Solutions };

    QString cursor;    // opaque; decoded and verified by ProblemService::list
    int limit = 20;    // 1..100
    QString domain;    // empty = any
    QString severity;  // empty = any
    QString status;    // empty = any
    bool mine = false; // the caller's own problems in any guardrail state (needs a caller)
    Sort sort = Sort::Recent;

    static constexpr int kDefaultLimit = 20;
    static constexpr int kMaxLimit = 100;

    // Bad limit/sort/severity/status/mine → 422 with fields; unknown domain → 400 INVALID_DOMAIN.
    static Result<ProblemQuery> fromQuery(const QMap<QString, QString> &query);

    static QString sortName(Sort sort);
    static const QStringList &statuses();
};

} // namespace bw::domain
