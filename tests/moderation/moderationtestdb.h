#pragma once
// Shared by the moderation tests: seeding agents, flagged problems and admin users straight into a
// migrated database (the guardrail pipeline is not what these tests exercise). Test thread, or any
// thread with its own connection.

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/moderation/adminauthservice.h"
#include "tests/support/testdb.h"

#include <QSqlQuery>
#include <QTest>

namespace bw::test {

// flagged_content comes with migration 0005 (engineer "guardrails"). Until that file is built in,
// create the same shape here so the review service can be tested; a no-op once 0005 is applied.
inline bool ensureFlaggedContent(QSqlDatabase db)
{
    auto q = db::exec(
        db,
        QStringLiteral(
            "CREATE TABLE IF NOT EXISTS flagged_content ("
            " id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
            " evaluation_id uuid NOT NULL UNIQUE REFERENCES guardrail_evaluations (id) ON DELETE CASCADE,"
            " content_id uuid NOT NULL,"
            " content_type text NOT NULL CHECK (content_type IN ('problem', 'solution', 'debate', 'mission')),"
            " agent_id uuid NOT NULL REFERENCES agents (id),"
            " status text NOT NULL DEFAULT 'pending_review' CHECK (status IN ('pending_review', 'approved', 'rejected')),"
            " assigned_to uuid, claimed_at timestamptz, claim_expires_at timestamptz,"
            " decision text CHECK (decision IN ('approve', 'reject')), notes text, reviewed_at timestamptz,"
            " created_at timestamptz NOT NULL DEFAULT now());"
            " CREATE INDEX IF NOT EXISTS flagged_content_queue_idx ON flagged_content (created_at, id) WHERE status = 'pending_review';"
            " CREATE INDEX IF NOT EXISTS flagged_content_agent_idx ON flagged_content (agent_id, created_at DESC)"));
    if (!q)
        qWarning("flagged_content: %s", qPrintable(q.error().message));
    return q.ok();
}

inline QString insertAgent(QSqlDatabase db, const QString &username)
{
    return seedAgent(db, {username});
}

struct SeededItem {
    QString flaggedId;
    QString problemId;
    QString evaluationId;
};

// A problem held for review: problem (guardrail_status flagged) + its evaluation (flagged) + the
// flagged_content row, created `ageSeconds` ago.
inline SeededItem seedFlaggedProblem(QSqlDatabase db, const QString &agentId, const QString &title, int ageSeconds = 0,
                                     const QString &trustTier = QStringLiteral("new"))
{
    SeededItem s{ids::newUuid(), ids::newUuid(), ids::newUuid()};
    const QString submitted =
        QStringLiteral("{\"title\": \"%1\", \"description\": \"d\", \"domain\": \"education_access\"}").arg(title);
    auto q = db::exec(
        db,
        QStringLiteral(
            "WITH ev AS (INSERT INTO guardrail_evaluations (id, content_id, content_type, agent_id, submitted_content,"
            "  layer_a_result, layer_b_result, final_decision, alignment_score, alignment_domain, trust_tier, created_at, completed_at)"
            "  VALUES (?::uuid, ?::uuid, 'problem', ?::uuid, ?::jsonb, '{\"matches\": []}', '{\"reasoning\": \"unsure\"}',"
            "  'flagged', 0.55, 'education_access', ?, now() - make_interval(secs => ?), now()) RETURNING id),"
            " pr AS (INSERT INTO problems (id, reported_by_agent_id, title, description, domain, severity, guardrail_status,"
            "  guardrail_evaluation_id) SELECT ?::uuid, ?::uuid, ?, 'A description long enough.', 'education_access', 'low',"
            "  'flagged', ev.id FROM ev)"
            " INSERT INTO flagged_content (id, evaluation_id, content_id, content_type, agent_id, created_at)"
            " SELECT ?::uuid, ev.id, ?::uuid, 'problem', ?::uuid, now() - make_interval(secs => ?) FROM ev"),
        {s.evaluationId, s.problemId, agentId, submitted, trustTier, double(ageSeconds), s.problemId, agentId, title, s.flaggedId,
         s.problemId, agentId, double(ageSeconds)});
    if (!q) {
        qWarning("seedFlaggedProblem: %s", qPrintable(q.error().message));
        return {};
    }
    return s;
}

inline const QString &testPassword()
{
    static const QString pw = QStringLiteral("correct horse battery");
    return pw;
}

// Creates an admin user (CLI path: no actor) and logs in; the caller of the new session.
inline std::optional<moderation::AdminCaller> makeAdmin(moderation::AdminAuthService &auth, const QString &email,
                                                        const QString &role)
{
    auto created = auth.createUser({email, role, QStringLiteral("Name of ") + email, testPassword()});
    if (!created) {
        qWarning("createUser: %s", qPrintable(created.error().message));
        return std::nullopt;
    }
    auto session = auth.login(email, testPassword(), QStringLiteral("127.0.0.1"));
    if (!session) {
        qWarning("login: %s", qPrintable(session.error().message));
        return std::nullopt;
    }
    return session->caller;
}

} // namespace bw::test
