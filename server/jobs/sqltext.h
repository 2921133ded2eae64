#pragma once
// Builds the queue's SQL as plain text with escaped literals, so every statement is one round trip
// (db::exec with binds costs PREPARE + EXECUTE + DEALLOCATE). Private to bw_jobs; any thread.

#include <QDateTime>
#include <QString>
#include <QStringList>

#include <initializer_list>

namespace bw::jobs::sqltext {

// E'…' with \ and ' escaped (valid whatever standard_conforming_strings is); U+0000 is dropped
// (PostgreSQL text cannot hold it). A null QString → NULL.
QString lit(const QString &text);
// A timestamptz literal, or "now()" for a null QDateTime.
QString timestampOrNow(const QDateTime &at);
// '{a,b}'-style array literal of quoted strings, e.g. for = ANY(…::uuid[]).
QString textArray(const QStringList &items);
// Replaces %1…%9 in `sql` with args in ONE pass, so text inside an argument (a payload containing
// "%2") is never substituted again — unlike chained QString::arg() calls.
QString format(const QString &sql, std::initializer_list<QString> args);
QString num(qint64 n);
// ISO-8601 UTC with milliseconds, e.g. to_char(x) → "2024-05-01T12:00:00.000Z".
QString isoUtc(const QString &column);

} // namespace bw::jobs::sqltext
