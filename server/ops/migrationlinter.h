#pragma once
// Lints migration files for steps that are unsafe on a live database (the seed's safety rules):
// dropping or renaming a column the running code may still read, NOT NULL columns without a
// default, non-concurrent CREATE INDEX on a table over 100k live rows, in-place type changes.
// Checks against the live database when given one (row estimates, column comments,
// pg_stat_statements). A "-- lint: allow <rule> <reason>" comment before a statement accepts it.
// Plain functions; run on a worker thread (SQL on the caller's connection).

#include "server/core/result.h"
#include "server/db/migrator.h"

#include <QJsonObject>
#include <QList>
#include <QSqlDatabase>
#include <QString>

namespace bw::ops {

struct LintFinding {
    QString file;
    int line = 0;
    QString rule;     // drop_column | rename_column | not_null_without_default | index_not_concurrent | type_change
    QString severity; // block | warn | allowed
    QString message;
    QString statement;      // first 200 characters
    QString toText() const; // "0011_x.sql:3: [block] drop_column: …"
    QJsonObject toJson() const;
};

struct SqlStatement {
    QString text; // comments removed, string literal contents blanked
    QString raw;
    int line = 1;         // first line of the statement in the file
    QStringList comments; // comments that precede or sit inside the statement
};

struct LintOptions {
    qint64 largeTableRows = 100000;
};

class MigrationLinter final {
public:
    // db may be an invalid QSqlDatabase: static checks only (every table counts as large).
    static Result<QList<LintFinding>> lint(const QList<db::MigrationFile> &files, QSqlDatabase db,
                                           const LintOptions &options = {});
    static QList<SqlStatement> split(const QString &sql);
    static bool blocks(const QList<LintFinding> &findings);
};

} // namespace bw::ops
