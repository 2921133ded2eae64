#include "server/db/database.h"

#include "server/core/threadrole.h"
#include "server/db/pgconn_p.h"
#include "server/db/sql.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLoggingCategory>
#include <QMutex>
#include <QSet>
#include <QSqlError>

#include <atomic>
#include <utility>
#include <vector>

namespace bw::db {

namespace {

Q_LOGGING_CATEGORY(lcDb, "bw.db")

std::atomic<quint64> g_nextDatabaseId{1};
std::atomic<quint64> g_nextThreadSerial{1};

// A serial per thread that is never reused (thread ids and QThread pointers can be), so a new
// thread can never pick up a dead thread's leftover connection.
quint64 threadSerial()
{
    thread_local const quint64 serial = g_nextThreadSerial.fetch_add(1);
    return serial;
}

// libpq conninfo value quoting; QPSQL turns ';' into ' ', so it cannot appear in values.
QString quoteConnValue(QString value)
{
    value.remove(u';');
    value.replace(u'\\', QStringLiteral("\\\\"));
    value.replace(u'\'', QStringLiteral("\\'"));
    return u'\'' + value + u'\'';
}

} // namespace

struct Database::Registry {
    QMutex mutex;
    QSet<QString> names;

    void add(const QString &name)
    {
        QMutexLocker lock(&mutex);
        names.insert(name);
    }
    void remove(const QString &name)
    {
        QMutexLocker lock(&mutex);
        names.remove(name);
    }
};

namespace {

// Removes, at thread exit, connections the thread forgot to release (pool threads that expire).
struct ThreadExitCleanup {
    std::vector<std::pair<std::weak_ptr<Database::Registry>, QString>> entries;

    ~ThreadExitCleanup()
    {
        // Without an application object (end of main()) the driver plugin may be gone.
        if (!QCoreApplication::instance())
            return;
        for (const auto &[registry, name] : entries) {
            QSqlDatabase::removeDatabase(name);
            if (auto r = registry.lock())
                r->remove(name);
        }
    }
    void forget(const QString &name)
    {
        std::erase_if(entries, [&](const auto &e) { return e.second == name; });
    }
};

ThreadExitCleanup &threadCleanup()
{
    thread_local ThreadExitCleanup cleanup;
    return cleanup;
}

} // namespace

Database::Database(ConnectionSettings settings)
    : m_settings(std::move(settings)), m_prefix(QStringLiteral("bw_db_%1_t").arg(g_nextDatabaseId.fetch_add(1))),
      m_registry(std::make_shared<Registry>())
{
}

Database::~Database()
{
    QSet<QString> left;
    {
        QMutexLocker lock(&m_registry->mutex);
        left = std::exchange(m_registry->names, {});
    }
    for (const QString &name : std::as_const(left)) {
        if (QSqlDatabase::contains(name)) {
            if (name != connectionName())
                qCDebug(lcDb) << "removing connection of a thread that did not release it:" << name;
            QSqlDatabase::removeDatabase(name);
        }
    }
    threadCleanup().forget(connectionName());
}

QString Database::connectionName() const
{
    return m_prefix + QString::number(threadSerial());
}

void Database::configure(QSqlDatabase &db) const
{
    db.setHostName(m_settings.host);
    db.setPort(m_settings.port);
    db.setDatabaseName(m_settings.database);
    db.setUserName(m_settings.user);
    db.setPassword(m_settings.password);
    QStringList opts;
    opts << QStringLiteral("connect_timeout=10");
    if (!m_settings.applicationName.isEmpty())
        opts << QStringLiteral("application_name=") + quoteConnValue(m_settings.applicationName);
    if (!m_settings.sslMode.isEmpty())
        opts << QStringLiteral("sslmode=") + quoteConnValue(m_settings.sslMode);
    // Startup options rather than SET after open: they survive every reconnect, including the
    // silent one exec() does, without exec() having to know this Database.
    QString startup = QStringLiteral("-c statement_timeout=%1 -c idle_in_transaction_session_timeout=%2")
                          .arg(qMax(0, m_settings.statementTimeoutMs))
                          .arg(qMax(0, m_settings.idleInTransactionTimeoutMs));
    if (const QString role = sessionRole(); !role.isEmpty())
        startup += QStringLiteral(" -c role=") + role;
    opts << QStringLiteral("options=") + quoteConnValue(startup);
    db.setConnectOptions(opts.join(u';'));
}

void Database::setSessionRole(const QString &role)
{
    std::lock_guard lock(m_roleMutex);
    m_sessionRole = role;
}

QString Database::sessionRole() const
{
    std::lock_guard lock(m_roleMutex);
    return m_sessionRole;
}

QSqlDatabase Database::connection()
{
    checkSqlThread("bw::db::Database::connection()"); // opening one is already a round trip
    const QString name = connectionName();
    QSqlDatabase db = QSqlDatabase::database(name, false);
    if (!db.isValid()) {
        db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        configure(db);
        m_registry->add(name);
        threadCleanup().entries.emplace_back(m_registry, name);
    }
    if (!detail::connectionOk(db) && !detail::markedInTransaction(db)) {
        db.close();
        if (db.open()) {
            detail::routeNotices(db);
        } else {
            // Throttled: while the server is down every request would log this.
            static std::atomic<qint64> lastLog{0};
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            if (now - lastLog.load() > 10000) {
                lastLog = now;
                qCWarning(lcDb).noquote() << "cannot connect to" << m_settings.redactedUrl() << ":" << db.lastError().text();
            }
        }
    }
    return db;
}

void Database::releaseThisThread()
{
    const QString name = connectionName();
    if (QSqlDatabase::contains(name)) {
        {
            QSqlDatabase db = QSqlDatabase::database(name, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(name);
    }
    m_registry->remove(name);
    threadCleanup().forget(name);
}

const ConnectionSettings &Database::settings() const
{
    return m_settings;
}

Status Database::ping()
{
    auto r = exec(connection(), QStringLiteral("SELECT 1"));
    if (!r)
        return r.error();
    return success();
}

} // namespace bw::db
