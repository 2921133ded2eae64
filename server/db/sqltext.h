#pragma once
// SQL text with the values written in: the one escaper (literal) and the small builders around it.
// Used by db::execCached (sql.h), which sends EXECUTE name(literal, …), and by code that builds a
// whole statement as text (the job queue) so each call is one round trip. Pure functions: any thread.

#include <QDateTime>
#include <QString>
#include <QStringList>
#include <QVariant>
#include <QVariantList>

#include <initializer_list>

namespace bw::db {

// A PostgreSQL literal for v: NULL (an invalid or null QVariant), numbers, true/false, or E'…'
// with ' and \ escaped (E-strings mean the same whatever standard_conforming_strings is).
// U+0000 is dropped: PostgreSQL text cannot hold it, and validation rejects it before SQL anyway.
// Note: a QVariant holding a null QString is *not* null in Qt 6 and gives E''; pass
// QVariant(QMetaType::fromType<QString>()) (see nullText() in sql.h) for a NULL of type text.
QString literal(const QVariant &v);

// Replaces each '?' outside quotes/comments with the next value's literal. Extra or missing
// values are a programming error: returns an empty string (the statement then fails loudly).
QString inlineBinds(const QString &sql, const QVariantList &binds);

// Rewrites '?' placeholders (outside quotes/comments) as $1, $2, … and reports how many there were;
// empty on an unterminated quote.
QString numberPlaceholders(const QString &sql, int *count);

// Replaces %1…%9 in `sql` with args in ONE pass, so text inside an argument (a payload containing
// "%2") is never substituted again — unlike chained QString::arg() calls.
QString format(const QString &sql, std::initializer_list<QString> args);

// A timestamptz literal, or "now()" for an invalid QDateTime.
QString timestampOrNow(const QDateTime &at);

// '{a,b}'-style array literal of quoted strings, e.g. for = ANY(…::uuid[]).
QString textArray(const QStringList &items);

// ISO-8601 UTC with milliseconds, e.g. to_char(x) → "2024-05-01T12:00:00.000Z".
QString isoUtc(const QString &column);

} // namespace bw::db
