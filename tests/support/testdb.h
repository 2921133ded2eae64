#pragma once
// Test-data helpers every database test shares: one SQL value, one statement, one seeded agent.
// Test thread only (they use the calling thread's connection, or open a short-lived one).
// Errors become a qWarning and an invalid/empty result, so QCOMPARE/QVERIFY report them.

#include "server/db/connectionsettings.h"

#include <QSqlDatabase>
#include <QString>
#include <QVariant>
#include <QVariantList>

namespace bw::db {
class Database;
}

namespace bw::test {

// The first column of the first row (invalid QVariant on error or no row).
QVariant scalar(QSqlDatabase db, const QString &sql, const QVariantList &binds = {});
QVariant scalar(db::Database &database, const QString &sql, const QVariantList &binds = {});
// On a connection of its own, opened and closed for this one statement.
QVariant scalar(const db::ConnectionSettings &settings, const QString &sql, const QVariantList &binds = {});

// Runs one statement (or, without binds, several separated by ';'); false + warning on error.
bool execSql(QSqlDatabase db, const QString &sql, const QVariantList &binds = {});
bool execSql(db::Database &database, const QString &sql, const QVariantList &binds = {});
// On a connection of its own, opened and closed for this one statement.
bool execSql(const db::ConnectionSettings &settings, const QString &sql, const QVariantList &binds = {});

// An agent row written directly (no API, no key that works): what tests of panels, queues and
// services need when the agent itself is not under test.
struct AgentSeed {
    QString username;
    QString framework = QStringLiteral("custom");
    QString email;   // empty → NULL
    int ageDays = 0; // created_at = now() - ageDays
    QString id;      // empty → a new UUID
};
// Returns the agent's id, or "" (with a warning) when the insert failed.
QString seedAgent(QSqlDatabase db, const AgentSeed &agent);
QString seedAgent(db::Database &database, const AgentSeed &agent);

} // namespace bw::test
