#pragma once
// The public JSON of solutions, debates and missions as PostgreSQL select lists (camelCase
// aliases fed to row_to_json/json_agg, like sqljson.h does for problems), plus the
// "submitted content" each guardrail evaluation records. Pure string builders: any thread.

#include <QString>

namespace bw::domain::contentjson {

// Every column of a solutions row aliased `alias`.
QString solutionColumns(const QString &alias);

// A debates row; the author object {id, username, displayName} comes from the two expressions.
QString debateColumns(const QString &alias, const QString &usernameExpr, const QString &displayNameExpr);

// A missions row as its creator sees it: exact coordinates, guardrail fields, version.
QString missionOwnerColumns(const QString &alias);
// A missions row as everyone else sees it: coordinates rounded to 2 decimals (≈ 1 km) as
// approximateLatitude/Longitude. listView: description cut to 200 characters, no instructions
// or evidence requirements (the marketplace cards).
QString missionPublicColumns(const QString &alias, bool listView);

// {finalDecision, layerAResult, layerBResult} of evaluation alias `e`, or NULL before any result:
// shown to the owner of non-approved content.
QString guardrailExplanation(const QString &e);

// What the guardrail evaluates, built from the stored row (camelCase, nulls dropped), as jsonb.
QString problemSubmitted(const QString &alias);
QString solutionSubmitted(const QString &alias);
QString debateSubmitted(const QString &alias);
QString missionSubmitted(const QString &alias);

} // namespace bw::domain::contentjson
