#include "apiserver.h"

#include "app/runtime.h"
#include "server/core/secretstore.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

namespace bw::test {

ApiServer::ApiServer(PgFixture &pg) : m_pg(pg)
{
    // One access-log line per request would drown the test output.
    QLoggingCategory::setFilterRules(QStringLiteral("bw.http.access.info=false\nbw.db.embedded.info=false"));
}
ApiServer::~ApiServer()
{
    stop();
}

bool ApiServer::start(const std::function<void(Config &)> &tweak)
{
    m_database = m_pg.createMigratedDatabase();
    if (m_database.isEmpty()) {
        m_error = QStringLiteral("cannot create a database");
        return false;
    }
    static QTemporaryDir dataRoot;
    m_dataDir = dataRoot.path() + u'/' + m_database;
    Config config;
    config.dataDir = m_dataDir;
    config.listenHost = QStringLiteral("127.0.0.1");
    config.listenPort = 0;
    config.databaseUrl = m_pg.url(m_database);
    config.requestThreads = 4;
    config.rateLimits.enabled = false; // rate-limit tests switch it on with small limits
    if (tweak)
        tweak(config);
    m_runtime = std::make_unique<app::Runtime>(config, app::Runtime::Options{}, std::make_unique<MemorySecretStore>());
    QSignalSpy ready(m_runtime.get(), &app::Runtime::ready);
    QSignalSpy failed(m_runtime.get(), &app::Runtime::failed);
    m_runtime->start();
    for (int i = 0; i < 300 && ready.isEmpty() && failed.isEmpty(); ++i)
        QTest::qWait(50);
    if (!failed.isEmpty()) {
        m_error = failed.first().first().toString();
        return false;
    }
    if (ready.isEmpty()) {
        m_error = QStringLiteral("server did not become ready in 15 s");
        return false;
    }
    return true;
}

bool ApiServer::stop(int timeoutMs)
{
    if (!m_runtime)
        return true;
    if (m_runtime->isStopped()) {
        m_runtime.reset();
        return true;
    }
    QSignalSpy stopped(m_runtime.get(), &app::Runtime::stopped);
    m_runtime->stop();
    const bool ok = stopped.wait(timeoutMs) || !stopped.isEmpty();
    m_runtime.reset();
    return ok;
}

quint16 ApiServer::port() const
{
    return m_runtime ? m_runtime->port() : 0;
}
app::Runtime &ApiServer::runtime()
{
    return *m_runtime;
}

QPair<QString, QString> ApiServer::registerAgent(const QString &username, const QString &domain)
{
    const QJsonObject body{{QStringLiteral("username"), username},
                           {QStringLiteral("framework"), QStringLiteral("custom")},
                           {QStringLiteral("specializations"), QJsonArray{domain}}};
    const HttpReply reply = httpRequest(port(), "POST", "/api/v1/auth/agents/register", QJsonDocument(body).toJson());
    const QJsonObject data = reply.json().value(QStringLiteral("data")).toObject();
    return {data.value(QStringLiteral("agentId")).toString(), data.value(QStringLiteral("apiKey")).toString()};
}

} // namespace bw::test
