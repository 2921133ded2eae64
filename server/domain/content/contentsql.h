#pragma once
// Building blocks shared by the content services (problems edits, solutions, debates, missions):
// bind-value helpers, the guardrail-enqueue CTEs every content write carries, fixed-text PATCH
// statements, and the "outcome + JSON" rows the single-statement writes answer with.
// Pure helpers apart from run(): any thread (SQL runs on the calling thread's connection).

#include "server/core/result.h"

#include "server/db/sql.h"
#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QSqlDatabase>

#include <QString>
#include <QVariant>

#include <optional>

namespace bw::domain::contentsql {

// Typed values for binds (typed NULLs: db::nullText(), db::textOrNull(), db::optionalText()).
using db::nullText;
// As text (cast with ::numeric / ::float8 in SQL): shortest round-trip digits.
QVariant number(const std::optional<double> &d);
QString compact(const QJsonObject &o);
QString compact(const QJsonArray &a);
QJsonArray toArray(const QStringList &list);

// The two CTEs that queue a guardrail evaluation in the same statement as the content write:
//   ev AS (INSERT INTO guardrail_evaluations … SELECT ?::uuid, <contentIdExpr>, '<type>', ?::uuid,
//          <submittedExpr>, 'new' FROM <source> RETURNING id),
//   jb AS (INSERT INTO jobs … 'guardrail-evaluation', 'evaluate', {"evaluationId"} FROM ev)
// Binds, in order: evaluation id, agent id, then any placeholders inside the expressions.
// source is a FROM list (a CTE name, or "(SELECT 1) one"); no row in it → nothing is queued.
QString guardrailEnqueue(const QString &contentType, const QString &source, const QString &contentIdExpr,
                         const QString &submittedExpr);

// An updatable column for PATCH: `valueExpr` holds one '?' (e.g. "?::jsonb").
struct Column {
    const char *name;
    const char *valueExpr;
};
using Assignments = QHash<QString, QVariant>; // column → new value (null QVariant = set NULL)

// "a = CASE WHEN ?::bool THEN <valueExpr> ELSE a END, …" over every column: one statement text
// (one prepared statement) serves every combination of fields a PATCH may carry.
QString setClauses(const QList<Column> &columns);
void bindAssignments(const QList<Column> &columns, const Assignments &values, QVariantList &binds);

// Runs a statement whose single row is (outcome text, json text): "ok" carries the JSON; other
// outcomes name the rule that refused the write (the JSON may carry details). No row is an
// internal error. Data exceptions (class 22: unstorable text, out-of-range numbers) become a 422.
struct Outcome {
    QString outcome;
    QByteArray json;
};
Result<Outcome> runOutcome(QSqlDatabase db, const QString &sql, const QVariantList &binds);

// A single JSON text column of the first row (e.g. a get by id); nullopt when there is no row.
Result<std::optional<QByteArray>> runJsonRow(QSqlDatabase db, const QString &sql, const QVariantList &binds);

// A single row read for owner-aware visibility: (json, owner id, guardrail status, explanation
// JSON or NULL). nullopt when there is no row.
struct OwnedRow {
    QByteArray json;
    QString ownerId;
    QString guardrailStatus;
    QByteArray explanation; // "null" when not evaluated yet
    bool ownedBy(const QString &agentId) const
    {
        return !agentId.isEmpty() && agentId.compare(ownerId, Qt::CaseInsensitive) == 0;
    }
    // The row's JSON object with "guardrailExplanation" appended (the owner's view).
    QByteArray withExplanation() const;
};
Result<std::optional<OwnedRow>> runOwnedRow(QSqlDatabase db, const QString &sql, const QVariantList &binds);

// Maps statement errors of content writes: data exceptions (SQLSTATE class 22) → 422 {body: […]};
// everything else unchanged.
ApiError writeError(const ApiError &error);

} // namespace bw::domain::contentsql
