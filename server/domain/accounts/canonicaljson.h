#pragma once
// Canonical JSON for signatures (api.md §6): object keys sorted recursively (by UTF-16 code units,
// as JavaScript's default sort does), arrays in order, no whitespace, UTF-8. Numbers print as
// JavaScript's JSON.stringify prints them for the values we sign (integers exactly, other numbers
// in shortest round-trip form). Pure functions: any thread.

#include <QByteArray>
#include <QJsonValue>

namespace bw::domain::canonicaljson {

QByteArray serialize(const QJsonValue &value);

// JSON.stringify's string form: ", \ and control characters escaped (\b \f \n \r \t, else \u00XX),
// lone surrogates as \uXXXX, everything else as raw UTF-8.
QByteArray quote(const QString &text);

} // namespace bw::domain::canonicaljson
