#pragma once
// Text preparation for the guardrails: the matching form Layer A runs its patterns on (resists
// trivial evasion) and the cache form whose SHA-256 keys the classifier cache. Pure functions:
// any thread.

#include <QByteArray>
#include <QJsonValue>
#include <QString>

namespace bw::guardrails {

// For Layer A: NFKC, format characters (zero-width, soft hyphen, BOM…) removed, case folded,
// diacritics dropped, common Cyrillic/Greek look-alikes mapped to Latin, leetspeak digits mapped
// (0→o 1→i 3→e 4→a 5→s 7→t, also @→a $→s), runs of single letters split by one separator
// joined ("s.p.y", "s p y" → "spy"), whitespace collapsed. Length may change.
QString normaliseForMatching(const QString &text);

// For the cache key: lower-case, trimmed, whitespace collapsed, markdown punctuation *_~`# removed.
QString normaliseForCache(const QString &text);

// Hex SHA-256 of normaliseForCache(text) + '\n' + contentType.
QString cacheKey(const QString &text, const QString &contentType);

// Every string in a JSON value (object values in key order, array items in order; keys and
// numbers are not included), joined with '\n': the text the guardrails look at.
QString textOf(const QJsonValue &content);
// The same with each string labelled by its path ("title: …", "instructions[0].text: …"): what the
// classifier reads and what the cache key is computed from.
QString labelledTextOf(const QJsonValue &content);

} // namespace bw::guardrails
