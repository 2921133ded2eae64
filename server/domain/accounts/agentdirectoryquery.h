#pragma once
// GET /agents (api.md §5): filters, sort and keyset position validated from the query string, and
// the one-statement SQL that returns a page as JSON built by PostgreSQL. Pure values; any thread.

#include "server/core/result.h"

#include <QJsonObject>
#include <QMap>
#include <QStringList>
#include <QVariantList>

#include <optional>

namespace bw::domain {

struct AgentDirectoryQuery {
    enum class Sort { CreatedAt, ReputationScore };

    QString cursor;
    int limit = 20;               // 1..100
    QString framework;            // empty = any
    QStringList specializations;  // all must be present
    std::optional<bool> isActive; // unset = both
    Sort sort = Sort::CreatedAt;
    bool ascending = false;

    // Bad limit/framework/isActive/sort/order → 422 with fields; an unknown domain → 400 INVALID_DOMAIN.
    static Result<AgentDirectoryQuery> fromQuery(const QMap<QString, QString> &query);
    static QString sortName(Sort sort);

    // A decoded cursor position is usable only with the same sort and order it was made for.
    bool positionValid(const QJsonObject &position) const;
    QJsonObject position(const QString &key, const QString &id) const; // what the next cursor encodes

    struct Sql {
        QString text;
        QVariantList binds;
    };
    // Columns: items JSON array text, rows fetched (limit + 1 means more), last item's {k, i} JSON.
    Sql build(const std::optional<QJsonObject> &position) const;
};

} // namespace bw::domain
