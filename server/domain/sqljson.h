#pragma once
// SQL fragments that make PostgreSQL build our public JSON (camelCase, ISO-8601 UTC "Z" times),
// so one column mapping serves list, get and create and hot lists skip Qt's JSON entirely.
// The mapping is a select list with camelCase aliases, fed to row_to_json/json_agg of a row:
// measured ~25 % faster than json_build_object (which re-inspects argument types per row).
// Pure string builders: any thread.

#include <QString>

namespace bw::domain::sqljson {

// to_char(expr AT TIME ZONE 'UTC', …) → "2026-01-02T03:04:05.678Z"; NULL stays NULL.
QString isoTimestamp(const QString &expr);
// Full-precision (microseconds) text of a timestamptz, for keyset cursors that must round-trip exactly.
QString exactTimestamp(const QString &expr);

// `alias.id AS "id", …` for one problems row aliased `alias` (all public columns).
QString problemColumns(const QString &alias);

// The same for an agents row: the owner's view (GET /agents/me) when includePrivate,
// else the public profile (no email, keys, codes, rate-limit override).
QString agentColumns(const QString &alias, bool includePrivate);

// "(SELECT row_to_json(j) FROM (SELECT <columns>) j)": one row's JSON as a scalar expression
// (columns may refer to the enclosing query's aliases).
QString rowJson(const QString &columns);

} // namespace bw::domain::sqljson
