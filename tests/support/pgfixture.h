#pragma once
// A throw-away PostgreSQL cluster for one test executable: started once (initTestCase), in a
// temporary directory, with the same EmbeddedPostgres code the app uses; gone when the fixture is
// destroyed. Main (test) thread only; the settings it hands out can be used from any thread.
//
//   bw::test::PgFixture m_pg;                          // member of the test class
//   void initTestCase() { QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError())); }
//   const QString db = m_pg.createMigratedDatabase();  // fresh db with all migrations applied
//   bw::db::Database database(m_pg.settings(db));

#include "server/core/result.h"
#include "server/db/connectionsettings.h"

#include <QString>

#include <memory>

namespace bw::db {
class EmbeddedPostgres;
}

namespace bw::test {

class PgFixture final {
public:
    PgFixture();
    ~PgFixture();
    PgFixture(const PgFixture &) = delete;
    PgFixture &operator=(const PgFixture &) = delete;

    // initdb (non-durable, fast) + start + wait. Returns false and sets lastError() on failure.
    bool start();
    QString lastError() const;

    // Connection settings for `db` as the cluster superuser over the private Unix socket.
    db::ConnectionSettings settings(const QString &db) const;
    // postgresql:// URL for `db` (with the password), for tools and URL-based config.
    QString url(const QString &db) const;

    // A fresh, uniquely named, empty database; "" (and a QWARN) on failure.
    QString createDatabase();
    // A fresh database with Migrator::builtIn() applied (copied from a template that is
    // migrated once per executable, so it is fast).
    QString createMigratedDatabase();
    bool dropDatabase(const QString &name);

    // Stops and starts the server (existing connections break) — for reconnect tests.
    Status restart();

    db::EmbeddedPostgres &server();
    QString clusterDir() const;
    QString password() const;

private:
    bool runAdmin(const QString &sql);
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace bw::test
