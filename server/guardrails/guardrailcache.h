#pragma once
// The Layer B cache in PostgreSQL (guardrail_cache), shared by all nodes: key = SHA-256 of the
// normalised content + content type (textnormaliser.h), value = the validated classifier result.
// Free functions on the calling thread's connection; one round trip each.

#include "server/core/result.h"

#include <QJsonObject>
#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace bw::guardrails::cache {

// A live entry (and counts the hit), or nullopt.
Result<std::optional<QJsonObject>> lookup(QSqlDatabase db, const QString &key);
// Inserts or replaces the entry, valid for ttlSeconds.
Status store(QSqlDatabase db, const QString &key, const QJsonObject &result, int ttlSeconds);
// Deletes up to `limit` expired entries; returns how many.
Result<int> prune(QSqlDatabase db, int limit = 1000);

} // namespace bw::guardrails::cache
