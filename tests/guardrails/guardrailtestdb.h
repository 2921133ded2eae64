#pragma once
// Shared by the guardrail db tests: agents of a chosen age and history, content submitted the way
// the services do it (row + evaluation + job in one statement), and small query helpers.
// Test thread only.

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/domain/caller.h"
#include "server/domain/content/probleminput.h"
#include "server/domain/content/problemservice.h"
#include "tests/support/testdb.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>
#include <QTest>

namespace bw::test {

inline QJsonObject queryJson(db::Database &database, const QString &sql, const QVariantList &binds = {})
{
    return QJsonDocument::fromJson(scalar(database, sql, binds).toString().toUtf8()).object();
}

// An agent created ageDays ago with `approved` auto-approved evaluations in its history
// (ageDays ≥ 8 and approved ≥ 3 make it "verified" under the default policy).
inline QString createAgent(db::Database &database, const QString &username, int ageDays = 0, int approved = 0)
{
    const QString id = seedAgent(database, {username, QStringLiteral("test"), {}, ageDays});
    if (id.isEmpty())
        return {};
    for (int i = 0; i < approved; ++i) {
        auto e = db::exec(
            database.connection(),
            QStringLiteral(
                "INSERT INTO guardrail_evaluations (content_id, content_type, agent_id, submitted_content, final_decision, completed_at)"
                " VALUES (gen_random_uuid(), 'problem', ?::uuid, '{}', 'approved', now())"),
            {id});
        if (!e)
            qWarning("createAgent history: %s", qPrintable(e.error().message));
    }
    return id;
}

struct Submitted {
    QString contentId;
    QString evaluationId;
};

// A problem through the real ProblemService (problem + evaluation + job in one statement).
inline Submitted submitProblem(domain::ProblemService &problems, const QString &agentId, const QString &title,
                               const QString &description = QStringLiteral(
                                   "Families in the valley walk two hours a day for water; a community well would fix it."))
{
    const auto input = domain::ProblemInput::parse(
        QJsonObject{{"title", title}, {"description", description}, {"domain", "clean_water_sanitation"}, {"severity", "high"}});
    if (!input) {
        qWarning("submitProblem: %s", qPrintable(input.error().message));
        return {};
    }
    domain::Caller caller;
    caller.agentId = agentId;
    const auto created = problems.create(caller, *input);
    if (!created) {
        qWarning("submitProblem: %s", qPrintable(created.error().message));
        return {};
    }
    return {created->value("id").toString(), created->value("guardrailEvaluationId").toString()};
}

inline bool tableExists(db::Database &database, const QString &table)
{
    return scalar(database, QStringLiteral("SELECT to_regclass(?) IS NOT NULL"), {table}).toBool();
}

} // namespace bw::test
