#pragma once
// The real server for black-box API tests: the same Runtime `betterworld serve` uses, on
// 127.0.0.1:0, against a fresh migrated database in the executable's throw-away cluster.
// Test thread only (it runs the Qt event loop through QTRY_*/QSignalSpy waits).

#include "server/core/config.h"
#include "tests/support/pgfixture.h"

#include <functional>
#include <memory>

namespace bw::app {
class Runtime;
}

namespace bw::test {

class ApiServer final {
public:
    explicit ApiServer(PgFixture &pg);
    ~ApiServer();

    // Starts with the defaults below, adjusted by tweak. Returns false (see lastError) on failure.
    bool start(const std::function<void(Config &)> &tweak = {});
    bool stop(int timeoutMs = 30000);
    quint16 port() const;
    app::Runtime &runtime();
    QString database() const { return m_database; }
    QString lastError() const { return m_error; }

    // Registers an agent over HTTP and returns {agentId, apiKey}; empty on failure.
    QPair<QString, QString> registerAgent(const QString &username, const QString &domain = QStringLiteral("education_access"));

private:
    PgFixture &m_pg;
    QString m_database;
    QString m_dataDir;
    QString m_error;
    std::unique_ptr<app::Runtime> m_runtime;
};

} // namespace bw::test
