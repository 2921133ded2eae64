#include "server/db/migrator.h"

#include "server/db/pgconn_p.h"
#include "server/db/sql.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QScopeGuard>

#include <algorithm>

// Q_INIT_RESOURCE must be used outside namespaces. It also forces the linker to keep the
// resource object of the static bw_db library.
static void initMigrationResources()
{
    Q_INIT_RESOURCE(bw_migrations);
}

namespace bw::db {

namespace {

Q_LOGGING_CATEGORY(lcMigrations, "bw.db.migrations")

constexpr qlonglong kAdvisoryLockKey = 0x42574D4947524154; // "BWMIGRAT"

struct Applied {
    QString name;
    QString checksum;
    QDateTime appliedAt;
    qint64 durationMs = 0;
};

Result<bool> tableExists(QSqlDatabase &db)
{
    auto q = exec(db, QStringLiteral("SELECT to_regclass('public.schema_migrations') IS NOT NULL"));
    if (!q)
        return q.error();
    return q->next() && q->value(0).toBool();
}

Result<QHash<int, Applied>> readApplied(QSqlDatabase &db)
{
    QHash<int, Applied> rows;
    auto exists = tableExists(db);
    if (!exists)
        return exists.error();
    if (!*exists)
        return rows;
    auto q = exec(db, QStringLiteral("SELECT version, name, checksum, applied_at, duration_ms FROM schema_migrations"));
    if (!q)
        return q.error();
    while (q->next())
        rows.insert(q->value(0).toInt(),
                    Applied{q->value(1).toString(), q->value(2).toString(), q->value(3).toDateTime(), q->value(4).toLongLong()});
    return rows;
}

ApiError migrationError(const QString &message, const QString &state = QString())
{
    QJsonObject details;
    if (!state.isEmpty())
        details.insert(QStringLiteral("sqlState"), state);
    return ApiError::make(ErrorKind::Internal, message, details);
}

} // namespace

QString MigrationFile::fileName() const
{
    return QStringLiteral("%1_%2.sql").arg(version, 4, 10, QLatin1Char('0')).arg(name);
}

Migrator::Migrator(QList<MigrationFile> files) : m_files(std::move(files))
{
    for (MigrationFile &f : m_files) {
        if (f.checksum.isEmpty())
            f.checksum = checksumOf(f.sql);
    }
    std::sort(m_files.begin(), m_files.end(),
              [](const MigrationFile &a, const MigrationFile &b) { return a.version < b.version; });
}

QString Migrator::checksumOf(const QByteArray &sql)
{
    return QString::fromLatin1(QCryptographicHash::hash(sql, QCryptographicHash::Sha256).toHex());
}

QList<MigrationFile> Migrator::builtIn()
{
    initMigrationResources();
    auto files = fromDirectory(QStringLiteral(":/migrations"));
    // The list is fixed at build time; a broken one is a build defect, not a runtime condition.
    if (!files || files->isEmpty())
        qFatal("built-in migrations are missing or invalid: %s",
               qPrintable(files ? QStringLiteral("none found") : files.error().message));
    return *files;
}

Result<QList<MigrationFile>> Migrator::fromDirectory(const QString &dirPath)
{
    static const QRegularExpression nameRx(QStringLiteral("^(\\d{4,})_([A-Za-z0-9_]+)\\.sql$"));
    const QDir dir(dirPath);
    if (!dir.exists())
        return ApiError::internal(QStringLiteral("Migration directory %1 does not exist").arg(dirPath));
    QList<MigrationFile> files;
    QHash<int, QString> seen;
    const QStringList names = dir.entryList({QStringLiteral("*.sql")}, QDir::Files, QDir::Name);
    for (const QString &fileName : names) {
        const auto m = nameRx.match(fileName);
        if (!m.hasMatch())
            return ApiError::internal(QStringLiteral("Migration file %1 is not named NNNN_name.sql").arg(dir.filePath(fileName)));
        const int version = m.captured(1).toInt();
        if (seen.contains(version))
            return ApiError::internal(
                QStringLiteral("Migrations %1 and %2 share version %3").arg(seen.value(version), fileName).arg(version));
        seen.insert(version, fileName);
        QFile f(dir.filePath(fileName));
        if (!f.open(QIODevice::ReadOnly))
            return ApiError::internal(QStringLiteral("Cannot read %1: %2").arg(f.fileName(), f.errorString()));
        MigrationFile file{version, m.captured(2), f.readAll(), {}};
        file.checksum = checksumOf(file.sql);
        files << file;
    }
    std::sort(files.begin(), files.end(), [](const MigrationFile &a, const MigrationFile &b) { return a.version < b.version; });
    return files;
}

Result<QList<MigrationState>> Migrator::status(QSqlDatabase db) const
{
    auto applied = readApplied(db);
    if (!applied)
        return applied.error();
    QList<MigrationState> states;
    for (const MigrationFile &f : m_files) {
        MigrationState s{f.version, f.name};
        if (const auto it = applied->constFind(f.version); it != applied->cend()) {
            s.applied = true;
            s.appliedAt = it->appliedAt;
            s.durationMs = it->durationMs;
            s.checksumMismatch = it->checksum != f.checksum;
            applied->erase(it);
        }
        states << s;
    }
    for (auto it = applied->cbegin(); it != applied->cend(); ++it)
        states << MigrationState{it.key(), it->name, true, it->appliedAt, it->durationMs, false, true};
    std::sort(states.begin(), states.end(),
              [](const MigrationState &a, const MigrationState &b) { return a.version < b.version; });
    return states;
}

Result<bool> Migrator::isUpToDate(QSqlDatabase db) const
{
    auto states = status(db);
    if (!states)
        return states.error();
    return std::all_of(states->cbegin(), states->cend(),
                       [](const MigrationState &s) { return s.unknown || (s.applied && !s.checksumMismatch); });
}

Result<QList<int>> Migrator::up(QSqlDatabase db) const
{
    if (detail::markedInTransaction(db))
        return migrationError(QStringLiteral("Migrator::up() cannot run inside a transaction"));

    // Migrations may legitimately run longer than the request statement_timeout, and waiting for
    // another node's migrator is normal; both settings are restored afterwards.
    auto saved = exec(db, QStringLiteral("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')"));
    if (!saved)
        return saved.error();
    saved->next();
    const QString savedStatementTimeout = saved->value(0).toString();
    const QString savedLockTimeout = saved->value(1).toString();
    if (auto r = exec(db, QStringLiteral("SELECT set_config('statement_timeout', '0', false), "
                                         "set_config('lock_timeout', '300s', false)"));
        !r)
        return r.error();
    bool locked = false;
    const auto restore = qScopeGuard([&] {
        if (locked)
            (void)exec(db, QStringLiteral("SELECT pg_advisory_unlock(?)"), {kAdvisoryLockKey});
        (void)exec(db, QStringLiteral("SELECT set_config('statement_timeout', ?, false), set_config('lock_timeout', ?, false)"),
                   {savedStatementTimeout, savedLockTimeout});
    });
    if (auto r = exec(db, QStringLiteral("SELECT pg_advisory_lock(?)"), {kAdvisoryLockKey}); !r)
        return migrationError(QStringLiteral("Cannot take the migration lock: %1").arg(r.error().message), sqlState(r.error()));
    locked = true;
    // DDL below should wait for table locks like any session would.
    if (auto r = exec(db, QStringLiteral("SELECT set_config('lock_timeout', ?, false)"), {savedLockTimeout}); !r)
        return r.error();

    auto exists = tableExists(db); // checked under the lock, so no race with another migrator
    if (!exists)
        return exists.error();
    if (!*exists) {
        if (auto r = exec(db, QStringLiteral("CREATE TABLE schema_migrations ("
                                             " version integer PRIMARY KEY,"
                                             " name text NOT NULL,"
                                             " checksum text NOT NULL,"
                                             " applied_at timestamptz NOT NULL DEFAULT now(),"
                                             " duration_ms bigint NOT NULL DEFAULT 0)"));
            !r)
            return r.error();
    }

    auto applied = readApplied(db);
    if (!applied)
        return applied.error();
    for (const MigrationFile &f : m_files) {
        const auto it = applied->constFind(f.version);
        if (it != applied->cend() && it->checksum != f.checksum)
            return migrationError(QStringLiteral("Migration %1 was changed after it was applied (checksum in the database "
                                                 "%2, file %3). Migrations are append-only: restore the file and add "
                                                 "a new migration instead.")
                                      .arg(f.fileName(), it->checksum.left(12), f.checksum.left(12)));
    }
    for (auto it = applied->cbegin(); it != applied->cend(); ++it) {
        const bool known =
            std::any_of(m_files.cbegin(), m_files.cend(), [&](const MigrationFile &f) { return f.version == it.key(); });
        if (!known)
            qCWarning(lcMigrations) << "database has migration" << it.key() << it->name
                                    << "that this build does not know (a newer version migrated it)";
    }

    QList<int> done;
    for (const MigrationFile &f : m_files) {
        if (applied->contains(f.version))
            continue;
        QElapsedTimer timer;
        timer.start();
        Transaction tx(db);
        if (Status s = tx.begin_status(); !s)
            return s.error();
        const detail::ScriptError e = detail::execScript(db, f.sql);
        if (!e.message.isEmpty()) {
            const QString sql = QString::fromUtf8(f.sql);
            const int line = e.position > 0 ? int(QStringView(sql).left(e.position - 1).count(u'\n')) + 1 : 0;
            return migrationError(
                QStringLiteral("Migration %1 failed%2: %3")
                    .arg(f.fileName(), line > 0 ? QStringLiteral(" at line %1").arg(line) : QString(), e.message),
                e.sqlState);
        }
        const qint64 ms = timer.elapsed();
        if (auto r = exec(db,
                          QStringLiteral("INSERT INTO schema_migrations (version, name, checksum, duration_ms) "
                                         "VALUES (?, ?, ?, ?)"),
                          {f.version, f.name, f.checksum, ms});
            !r)
            return r.error();
        if (Status s = tx.commit(); !s)
            return migrationError(QStringLiteral("Migration %1 could not be committed: %2").arg(f.fileName(), s.error().message),
                                  sqlState(s.error()));
        qCInfo(lcMigrations).noquote() << "applied" << f.fileName() << "in" << ms << "ms";
        done << f.version;
    }
    return done;
}

Status Migrator::lock(QSqlDatabase db)
{
    if (auto r = exec(db, QStringLiteral("SET statement_timeout = 0")); !r)
        return r.error();
    auto locked = exec(db, QStringLiteral("SELECT pg_advisory_lock(?)"), {kAdvisoryLockKey});
    (void)exec(db, QStringLiteral("RESET statement_timeout")); // back to the connection's own
    if (!locked)
        return migrationError(QStringLiteral("Cannot take the migration lock: %1").arg(locked.error().message),
                              sqlState(locked.error()));
    return success();
}

void Migrator::unlock(QSqlDatabase db)
{
    (void)exec(db, QStringLiteral("SELECT pg_advisory_unlock(?)"), {kAdvisoryLockKey});
}

} // namespace bw::db
