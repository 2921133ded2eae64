#pragma once
// Runs the domain's SQL in one round trip per call: each distinct statement text is PREPAREd once
// per connection, then called as EXECUTE name(literal, …) with escaped literals. (QPSQL's own
// prepared path costs three round trips per call — PREPARE, EXECUTE, DEALLOCATE — and re-plans
// every time; planning alone was ~half of a 20-row list query.) Any thread; state is per thread.

#include "server/core/result.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QVariant>
#include <QVariantList>

namespace bw::domain::sqlliteral {

// A PostgreSQL literal for v: NULL, numbers, true/false, or E'…' with ' and \ escaped
// (E-strings mean the same whatever standard_conforming_strings is). Strings must not contain
// U+0000 (validation rejects it; PostgreSQL text cannot hold it).
QString literal(const QVariant &v);

// Replaces each '?' outside quotes/comments with the next value's literal. Extra or missing
// values are a programming error: returns an empty string (the statement then fails loudly).
QString inlineBinds(const QString &sql, const QVariantList &binds);

// Rewrites '?' placeholders (outside quotes/comments) as $1, $2, … and reports how many there were;
// empty on an unterminated quote.
QString numberPlaceholders(const QString &sql, int *count);

// Runs sql with binds on db (the calling thread's connection) through the per-connection
// prepared-statement cache; re-prepares transparently after a reconnect. Errors as db::exec.
Result<QSqlQuery> run(QSqlDatabase db, const QString &sql, const QVariantList &binds = {});

} // namespace bw::domain::sqlliteral
