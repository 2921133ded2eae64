#pragma once
// Applies the append-only SQL migrations (migrations/NNNN_name.sql, embedded as resources) and
// reports their state. A plain value; each call runs on the calling thread's connection.

#include "server/core/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QSqlDatabase>
#include <QString>

namespace bw::db {

struct MigrationFile {
    int version = 0;
    QString name; // "core" for 0001_core.sql
    QByteArray sql;
    QString checksum; // sha256 hex of sql (computed by Migrator when empty)

    QString fileName() const; // "0001_core.sql"
};

struct MigrationState {
    int version = 0;
    QString name;
    bool applied = false;
    QDateTime appliedAt;
    qint64 durationMs = 0;
    bool checksumMismatch = false; // applied, but the file changed since
    bool unknown = false;          // recorded in the database but not in this build (newer version ran)
};

class Migrator final {
public:
    explicit Migrator(QList<MigrationFile> files);                         // sorted by version here
    static QList<MigrationFile> builtIn();                                 // :/migrations/NNNN_name.sql, ordered
    static Result<QList<MigrationFile>> fromDirectory(const QString &dir); // NNNN_name.sql files
    static QString checksumOf(const QByteArray &sql);

    const QList<MigrationFile> &files() const { return m_files; }

    // One entry per file (plus "unknown" rows recorded by a newer build), ordered by version.
    Result<QList<MigrationState>> status(QSqlDatabase db) const;
    // Holds a session advisory lock (fixed key) for the whole run, so concurrent migrators apply
    // each file exactly once; creates schema_migrations if missing; fails naming the file if an
    // applied file's checksum changed; applies each pending file in its own transaction (no
    // statement_timeout) and records it. Returns the versions applied now.
    // Must not be called inside a Transaction.
    Result<QList<int>> up(QSqlDatabase db) const;
    // True when every file is applied with a matching checksum (used by /ready).
    Result<bool> isUpToDate(QSqlDatabase db) const;
    // up()'s lock, for a caller that does more under it (the startup guard: snapshot, then up(),
    // once across nodes starting together). Session-level and re-entrant, so up() inside works.
    // Waits without statement_timeout.
    static Status lock(QSqlDatabase db);
    static void unlock(QSqlDatabase db);

private:
    QList<MigrationFile> m_files;
};

} // namespace bw::db
