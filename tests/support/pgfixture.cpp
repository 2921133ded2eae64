#include "tests/support/pgfixture.h"

#include "server/db/database.h"
#include "server/db/embeddedpostgres.h"
#include "server/db/migrator.h"
#include "server/db/sql.h"

#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

namespace bw::test {

namespace {
constexpr auto kTemplate = "bw_migrated_template";
constexpr int kReadyTimeoutMs = 30000;
} // namespace

struct PgFixture::Private {
    QTemporaryDir tmp; // declared before server: removed after the server stopped
    std::unique_ptr<db::EmbeddedPostgres> server;
    QString password;
    QString lastError;
    int counter = 0;
    bool templateReady = false;
};

PgFixture::PgFixture() : d(std::make_unique<Private>()) {}

PgFixture::~PgFixture()
{
    if (d->server)
        (void)d->server->stop(10000);
}

bool PgFixture::start()
{
    if (d->server && d->server->isRunning())
        return true;
    if (!d->tmp.isValid()) {
        d->lastError = QStringLiteral("cannot create a temporary directory: %1").arg(d->tmp.errorString());
        return false;
    }
    // QTemporaryDir is 0700; when we are root the cluster runs as 'postgres', which must enter it.
    QFile::setPermissions(d->tmp.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                             | QFileDevice::ExeGroup | QFileDevice::ExeOther);
    db::EmbeddedPostgresOptions o;
    o.clusterDir = d->tmp.filePath(QStringLiteral("cluster"));
    o.durable = false;      // tests do not need fsync; much faster
    o.maxConnections = 100; // request pools of several tests' servers
    o.sharedBuffers = QStringLiteral("32MB");
    d->server = std::make_unique<db::EmbeddedPostgres>(o);
    d->password = QString::number(QRandomGenerator::system()->generate64(), 16);

    Status s = d->server->prepare(d->password);
    if (s)
        s = d->server->start();
    if (s)
        s = d->server->waitUntilReady(kReadyTimeoutMs);
    if (!s) {
        d->lastError = s.error().message;
        return false;
    }
    return true;
}

QString PgFixture::lastError() const
{
    return d->lastError;
}

db::ConnectionSettings PgFixture::settings(const QString &db) const
{
    db::ConnectionSettings s = d->server->connectionSettings(d->password);
    s.database = db;
    return s;
}

QString PgFixture::url(const QString &db) const
{
    return settings(db).toUrl();
}

bool PgFixture::runAdmin(const QString &sql)
{
    // CREATE DATABASE … TEMPLATE copies every migrated table through the WAL: seconds on a
    // loaded machine, beyond the application's 5 s statement_timeout.
    db::ConnectionSettings adminSettings = settings(QStringLiteral("postgres"));
    adminSettings.statementTimeoutMs = 300000;
    db::Database admin(adminSettings);
    bool ok = false;
    {
        auto r = db::exec(admin.connection(), sql);
        ok = r.ok();
        if (!ok) {
            d->lastError = r.error().message;
            QWARN(qPrintable(QStringLiteral("PgFixture: %1: %2").arg(sql, d->lastError)));
        }
    }
    admin.releaseThisThread();
    return ok;
}

QString PgFixture::createDatabase()
{
    const QString name = QStringLiteral("t%1_%2").arg(QCoreApplication::applicationPid()).arg(++d->counter);
    return runAdmin(QStringLiteral("CREATE DATABASE %1").arg(name)) ? name : QString();
}

QString PgFixture::createMigratedDatabase()
{
    const QString tmpl = QLatin1StringView(kTemplate);
    if (!d->templateReady) {
        if (!runAdmin(QStringLiteral("CREATE DATABASE %1").arg(tmpl)))
            return {};
        db::Database database(settings(tmpl));
        bool ok = false;
        {
            auto r = db::Migrator(db::Migrator::builtIn()).up(database.connection());
            ok = r.ok();
            if (!ok) {
                d->lastError = r.error().message;
                QWARN(qPrintable(QStringLiteral("PgFixture: migrating the template failed: %1").arg(d->lastError)));
            }
        }
        database.releaseThisThread(); // a template must have no connections when copied
        if (!ok)
            return {};
        d->templateReady = true;
    }
    const QString name = QStringLiteral("t%1_%2").arg(QCoreApplication::applicationPid()).arg(++d->counter);
    return runAdmin(QStringLiteral("CREATE DATABASE %1 TEMPLATE %2").arg(name, tmpl)) ? name : QString();
}

bool PgFixture::dropDatabase(const QString &name)
{
    return runAdmin(QStringLiteral("DROP DATABASE IF EXISTS \"%1\" WITH (FORCE)").arg(name));
}

Status PgFixture::restart()
{
    if (!d->server)
        return ApiError::internal(QStringLiteral("PgFixture::start() was not called"));
    if (Status s = d->server->stop(); !s)
        return s;
    if (Status s = d->server->start(); !s)
        return s;
    return d->server->waitUntilReady(kReadyTimeoutMs);
}

db::EmbeddedPostgres &PgFixture::server()
{
    return *d->server;
}

QString PgFixture::clusterDir() const
{
    return d->server ? d->server->options().clusterDir : QString();
}

QString PgFixture::password() const
{
    return d->password;
}

} // namespace bw::test
