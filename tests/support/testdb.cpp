#include "tests/support/testdb.h"

#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"

namespace bw::test {

QVariant scalar(QSqlDatabase db, const QString &sql, const QVariantList &binds)
{
    auto q = db::exec(db, sql, binds);
    if (!q) {
        qWarning("scalar: %s: %s", qPrintable(sql.left(120)), qPrintable(q.error().message));
        return {};
    }
    return q->next() ? q->value(0) : QVariant();
}

QVariant scalar(db::Database &database, const QString &sql, const QVariantList &binds)
{
    return scalar(database.connection(), sql, binds);
}

QVariant scalar(const db::ConnectionSettings &settings, const QString &sql, const QVariantList &binds)
{
    db::Database database(settings);
    const QVariant value = scalar(database.connection(), sql, binds);
    database.releaseThisThread();
    return value;
}

bool execSql(QSqlDatabase db, const QString &sql, const QVariantList &binds)
{
    auto q = db::exec(db, sql, binds);
    if (!q)
        qWarning("execSql: %s: %s", qPrintable(sql.left(120)), qPrintable(q.error().message));
    return q.ok();
}

bool execSql(db::Database &database, const QString &sql, const QVariantList &binds)
{
    return execSql(database.connection(), sql, binds);
}

bool execSql(const db::ConnectionSettings &settings, const QString &sql, const QVariantList &binds)
{
    db::Database database(settings);
    const bool ok = execSql(database.connection(), sql, binds);
    database.releaseThisThread();
    return ok;
}

QString seedAgent(QSqlDatabase db, const AgentSeed &agent)
{
    const QString id = agent.id.isEmpty() ? ids::newUuid() : agent.id;
    // A hash and prefix no real key produces (md5 of the id), unique per agent.
    const bool ok =
        execSql(db,
                QStringLiteral("INSERT INTO agents (id, username, framework, email, api_key_hash, api_key_prefix, created_at)"
                               " VALUES (?::uuid, ?, ?, nullif(?, ''), md5(?), left(md5(?), 12),"
                               " now() - make_interval(days => ?))"),
                {id, agent.username, agent.framework, agent.email, id, id, agent.ageDays});
    return ok ? id : QString();
}

QString seedAgent(db::Database &database, const AgentSeed &agent)
{
    return seedAgent(database.connection(), agent);
}

} // namespace bw::test
