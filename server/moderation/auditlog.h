#pragma once
// The append-only audit log (audit_log, migration 0001): one row per admin action, written in the
// same transaction as the change it describes, and the filtered, keyset-paginated read behind
// GET /admin/audit-log. Stateless helpers; each call uses the connection it is given (the calling
// thread's), so they run wherever the action runs (request pool, desktop worker, CLI worker).

#include "admincaller.h"

#include "server/core/result.h"
#include "server/db/sql.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QMap>
#include <QSqlDatabase>
#include <QString>

#include <optional>
#include <utility>

namespace bw {
class CursorCodec;
}

namespace bw::moderation {

struct AuditEntry {
    QString actorType = QStringLiteral("moderator"); // moderator | agent | system
    QString actorId;                                 // uuid or "" (NULL)
    QString action;                                  // e.g. "flagged.review"
    QString targetType;                              // e.g. "flagged_content"
    QString targetId;
    QJsonValue before = QJsonValue::Null;
    QJsonValue after = QJsonValue::Null;
    QString ip; // "" or not an address → NULL

    static AuditEntry byModerator(const AdminCaller &actor, const QString &action, const QString &targetType,
                                  const QString &targetId);
    static AuditEntry bySystem(const QString &action, const QString &targetType, const QString &targetId);
};

struct AuditQuery {
    QString actorType;
    QString actorId;
    QString action;
    QString targetType;
    QString targetId;
    QString cursor;
    int limit = 20;

    // From GET query parameters; invalid values → 422 with the offending fields.
    static Result<AuditQuery> fromQuery(const QMap<QString, QString> &query);
};

// One page of JSON items built by PostgreSQL (same shape as the other list endpoints).
struct JsonPage {
    QByteArray itemsJson = QByteArrayLiteral("[]");
    bool hasMore = false;
    QString nextCursor;
    int count = 0;
};

namespace audit {

// Inserts one row on db (inside the caller's transaction when one is open).
Status append(QSqlDatabase db, const AuditEntry &entry);

// An admin action and its audit row in one transaction (db::inTransaction): change(entry) makes the
// change and fills in entry (returning Result<T> or Status); when it succeeds the row is appended,
// then COMMIT. A failed change, append or COMMIT rolls everything back and is returned.
template <typename Fn>
auto inTransaction(QSqlDatabase db, Fn &&change) -> decltype(change(std::declval<AuditEntry &>()))
{
    using R = decltype(change(std::declval<AuditEntry &>()));
    return db::inTransaction(db, [&]() -> R {
        AuditEntry entry;
        R result = change(entry);
        if (!result)
            return result;
        if (Status s = append(db, entry); !s)
            return s.error();
        return result;
    });
}

// Newest first; keyset on (at, id).
Result<JsonPage> list(QSqlDatabase db, const CursorCodec &codec, const AuditQuery &query);

// The rows about one target, oldest first (the detail view's history); at most 200.
Result<QJsonValue> forTarget(QSqlDatabase db, const QString &targetType, const QString &targetId);

// An IP string suitable for an inet column, or "" when it is not an address.
QString inetOrEmpty(const QString &ip);

} // namespace audit

} // namespace bw::moderation
