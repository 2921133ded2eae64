#pragma once
// Shared by the claims and ledger tests: humans and missions written straight into a migrated
// database (human accounts and the agent-side mission flow are not what these tests exercise).
// Test thread, or any thread with its own connection.

#include "server/core/ids.h"
#include "server/db/sql.h"
#include "tests/support/testdb.h"

#include <QSqlDatabase>
#include <QString>

namespace bw::test {

// A human row (password_hash is never checked here). Returns its id, "" on failure (with a warning).
inline QString seedHuman(QSqlDatabase db, const QString &name)
{
    const QString id = ids::newUuid();
    const bool ok = execSql(db,
                            QStringLiteral("INSERT INTO humans (id, email, display_name, password_hash, email_verified_at)"
                                           " VALUES (?::uuid, ?, ?, 'not-a-real-hash', now())"),
                            {id, QString(name + QStringLiteral("@example.org")), name});
    return ok ? id : QString();
}

struct MissionSeed {
    int maxClaims = 1;
    int durationMinutes = 60;
    QString expiresIn = QStringLiteral("30 days"); // an interval
    QString guardrailStatus = QStringLiteral("approved");
    QString status = QStringLiteral("open");
    int tokenReward = 25;
};

// An approved, open mission of agentId (no solution: the column is nullable). Returns its id.
inline QString seedMission(QSqlDatabase db, const QString &agentId, const MissionSeed &m = {})
{
    const QString id = ids::newUuid();
    const bool ok = execSql(
        db,
        QStringLiteral("INSERT INTO missions (id, created_by_agent_id, title, description, domain, estimated_duration_minutes,"
                       " token_reward, max_claims, guardrail_status, status, expires_at)"
                       " VALUES (?::uuid, ?::uuid, 'Plant ten trees in the park', 'Plant and water ten native trees.',"
                       " 'environmental_protection', ?, ?, ?, ?, ?, now() + ?::interval)"),
        {id, agentId, m.durationMinutes, m.tokenReward, m.maxClaims, m.guardrailStatus, m.status, m.expiresIn});
    return ok ? id : QString();
}

} // namespace bw::test
