#include "tests/ops/opstestutil.h"

#include "tests/support/testdb.h"

#include "server/db/database.h"
#include "server/db/sql.h"

#include <QDir>
#include <QProcess>
#include <QTest>

namespace bw::test {

bool runSql(const db::ConnectionSettings &settings, const QString &sql)
{
    db::ConnectionSettings s = settings;
    s.statementTimeoutMs = 0; // seeding and restores may take long
    return execSql(s, sql);
}

QString queryValue(const db::ConnectionSettings &settings, const QString &sql)
{
    db::ConnectionSettings s = settings;
    s.statementTimeoutMs = 0; // checksums over whole databases may take long
    return scalar(s, sql).toString();
}

QJsonObject fingerprint(const db::ConnectionSettings &settings)
{
    db::ConnectionSettings s = settings;
    s.statementTimeoutMs = 0;
    db::Database database(s);
    QJsonObject out;
    {
        auto tables = db::exec(database.connection(),
                               QStringLiteral("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"));
        QStringList names;
        while (tables && tables->next())
            names << tables->value(0).toString();
        for (const QString &t : std::as_const(names)) {
            auto r =
                db::exec(database.connection(),
                         QStringLiteral("SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') "
                                        "FROM public.%1 x")
                             .arg(t));
            if (r && r->next())
                out.insert(t, r->value(0).toString());
        }
    }
    database.releaseThisThread();
    return out;
}

bool seedSample(const db::ConnectionSettings &s, int rows, int bytesPerRow, const QString &table)
{
    const int md5s = qMax(1, bytesPerRow / 32);
    return runSql(s, QStringLiteral("CREATE TABLE IF NOT EXISTS %1 (id bigint PRIMARY KEY, body text, n numeric)").arg(table))
           && runSql(s, QStringLiteral(
                            "INSERT INTO %1 SELECT coalesce((SELECT max(id) FROM %1), 0) + g, "
                            "(SELECT string_agg(md5(random()::text || g::text || k::text), '') FROM generate_series(1, %2) k), "
                            "g * 1.5 FROM generate_series(1, %3) g")
                            .arg(table)
                            .arg(md5s)
                            .arg(rows));
}

OpsConfig testOpsConfig()
{
    OpsConfig c;
    c.minFreeMb = 1;
    c.compressLevel = 1;
    c.restoreJobs = 2;
    return c;
}

SmallDisk::SmallDisk(int megabytes)
{
    m_path = QDir::tempPath()
             + QStringLiteral("/bw-smalldisk-%1-%2").arg(QCoreApplication::applicationPid()).arg(quintptr(this), 0, 16);
    QDir().mkpath(m_path);
    QProcess p;
    p.start(QStringLiteral("mount"), {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                                      QStringLiteral("size=%1m,mode=0700").arg(megabytes), QStringLiteral("tmpfs"), m_path});
    m_ok = p.waitForFinished(10000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    if (!m_ok)
        m_error = QString::fromLocal8Bit(p.readAllStandardError()).trimmed() + p.errorString();
}

SmallDisk::~SmallDisk()
{
    if (m_ok) {
        QProcess p;
        p.start(QStringLiteral("umount"), {m_path});
        p.waitForFinished(10000);
    }
    QDir().rmdir(m_path);
}

} // namespace bw::test
