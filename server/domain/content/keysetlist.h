#pragma once
// Generic keyset ("seek") pagination for the content lists: one statement that returns the page's
// JSON array (built by PostgreSQL), the fetched row count and the last shown row's keys, plus the
// signed-cursor handling around it. Cursors carry {l: list, o: sort, k: [key texts]} so a cursor
// from another list or sort is INVALID_CURSOR. Pure builders + one run() on the calling thread.

#include "server/core/result.h"
#include "server/db/cursorsource.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QSqlDatabase>
#include <QString>
#include <QVariantList>

#include <memory>
#include <optional>

namespace bw {
class CursorCodec;
namespace db {
class Database;
}
} // namespace bw

namespace bw::domain {

struct Page; // problemservice.h

struct KeyPart {
    enum class Kind { Timestamp, Numeric, Float, Integer, Uuid };
    QString expr; // over the table alias, e.g. "s.created_at" or "m.public_earth <-> ll_to_earth(?, ?)"
    Kind kind = Kind::Timestamp;
    QVariantList binds; // for placeholders inside expr (repeated wherever expr appears)
};

struct KeysetSpec {
    QString list;   // cursor scope ("solutions", "missions.market", …)
    QString sort;   // sort name, checked against the cursor
    QString from;   // "solutions s" (joins allowed)
    QString select; // "s.*" plus extra columns aliased without clashes
    QVariantList selectBinds;
    QString where; // conditions joined with AND; may be empty
    QVariantList whereBinds;
    QList<KeyPart> keys;    // the ORDER BY; the last key must be unique (the id)
    bool descending = true; // every key in the same direction (row comparison)
    QString itemColumns;    // JSON select list over the page row alias "pg" (selected columns + _k0…)
    int limit = 20;         // 1..100 (validated by the caller; inlined)

    // Nearest-first lists (keys = distance, id; ascending). PostgreSQL 15 cannot append the id
    // tie-break to a GiST KNN scan (it would sort every row in the radius instead), so the page
    // takes two index scans: KNN finds the (limit+1)-th distance (the "edge"), then a box search
    // fetches every row within that distance, sorted by (distance, id) — exact, and bounded by
    // limit + ties. knnBox is the index condition for that search, %1 standing for the edge
    // distance expression, e.g. "earth_box(ll_to_earth(?, ?), sec_to_gc(%1) + 1) @> m.public_earth".
    QString knnBox;
    QVariantList knnBoxBinds;
    // Conditions for one of the two scans only (joined with `where`). The edge scan should bound
    // itself with a box the planner estimates generously (cube's && rather than @>: PostgreSQL
    // has no statistics for cube and uses constant selectivities), so that it prefers the KNN
    // index scan that stops after limit + 1 rows over reading the whole box and sorting it.
    QString knnEdgeWhere;
    QVariantList knnEdgeWhereBinds;
    QString knnPageWhere;
    QVariantList knnPageWhereBinds;
};

struct KeysetSql {
    QString sql;
    QVariantList binds;

    // position: the verified cursor's key texts, or nullopt for the first page.
    static KeysetSql build(const KeysetSpec &spec, const std::optional<QJsonArray> &position);
    // The key texts of a decoded cursor when it belongs to this list and sort; nullopt otherwise.
    static std::optional<QJsonArray> positionOf(const KeysetSpec &spec, const QJsonObject &decoded);
};

// The installation's cursor codec (one loader for every list: server/db/cursorsource.h).
using db::CursorSource;

// Decodes the cursor (bad → 400 INVALID_CURSOR), runs the page statement, encodes the next cursor.
Result<Page> runKeysetPage(QSqlDatabase db, CursorSource &cursors, const KeysetSpec &spec, const QString &cursor);

} // namespace bw::domain
