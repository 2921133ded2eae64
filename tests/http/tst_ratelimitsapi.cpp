// Rate limits over real HTTP with the shared PostgreSQL store (api.md §4): tiers by claim status,
// admin override, the content-creation and registration buckets, X-Forwarded-For only from trusted
// proxies, headers on every non-exempt response, store selection, and failing open.
#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <QUuid>

using namespace bw::test;

namespace {

QByteArray registration(const QString &username)
{
    return QJsonDocument(
               QJsonObject{{"username", username}, {"framework", "custom"}, {"specializations", QJsonArray{"education_access"}}})
        .toJson();
}

QByteArray problem(int i)
{
    return QJsonDocument(QJsonObject{
                             {"title", QStringLiteral("Rate-limited problem report %1").arg(i)},
                             {"description",
                              QStringLiteral("Children in the valley walk two hours to reach the nearest school every day.")},
                             {"domain", "education_access"},
                             {"severity", "high"},
                             {"geographicScope", "local"},
                         })
        .toJson();
}

QString errorCode(const HttpReply &r)
{
    return r.json().value("error").toObject().value("code").toString();
}

// Windows are fixed minutes of the shared clock: a case that counts inside one window waits for a
// fresh one when less than needSeconds remain.
void waitForWindowRoom(int needSeconds)
{
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    const qint64 leftMs = 60000 - nowMs % 60000;
    if (leftMs < needSeconds * 1000LL)
        QTest::qWait(int(leftMs + 100));
}

// The three headers are present, numeric and consistent.
bool hasRateHeaders(const HttpReply &r, QString *why)
{
    bool okLimit = false, okRemaining = false, okReset = false;
    const int limit = r.header("x-ratelimit-limit").toInt(&okLimit);
    const int remaining = r.header("x-ratelimit-remaining").toInt(&okRemaining);
    const qint64 reset = r.header("x-ratelimit-reset").toLongLong(&okReset);
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (!okLimit || !okRemaining || !okReset || limit < 1 || remaining < 0 || remaining > limit || reset < now - 1
        || reset > now + 61) {
        *why =
            QStringLiteral("status %1: limit '%2' remaining '%3' reset '%4'")
                .arg(r.status)
                .arg(QString::fromLatin1(r.header("x-ratelimit-limit")), QString::fromLatin1(r.header("x-ratelimit-remaining")),
                     QString::fromLatin1(r.header("x-ratelimit-reset")));
        return false;
    }
    return true;
}

void verifyRateLimited(const HttpReply &r, int limit)
{
    QCOMPARE(r.status, 429);
    QCOMPARE(errorCode(r), QStringLiteral("RATE_LIMITED"));
    const int retryAfter = r.header("retry-after").toInt();
    QVERIFY(retryAfter >= 1 && retryAfter <= 60);
    const QJsonObject details = r.json().value("error").toObject().value("details").toObject();
    QCOMPARE(details.value("limit").toInt(), limit);
    QCOMPARE(details.value("window").toInt(), 60);
    QVERIFY(qAbs(details.value("retryAfter").toInt() - retryAfter) <= 1);
    QCOMPARE(r.header("x-ratelimit-limit"), QByteArray::number(limit));
    QCOMPARE(r.header("x-ratelimit-remaining"), QByteArray("0"));
}

} // namespace

class tst_RateLimitsApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server; // postgres store, spec limits, generous registration
    int m_serial = 0;

    std::unique_ptr<ApiServer> startServer(const std::function<void(bw::Config &)> &tweak)
    {
        auto server = std::make_unique<ApiServer>(m_pg);
        const bool ok = server->start([&](bw::Config &c) {
            c.rateLimits.enabled = true;
            c.rateLimits.store = qEnvironmentVariable("RL_STORE", QStringLiteral("postgres")); // TEMP
            if (tweak)
                tweak(c);
        });
        if (!ok)
            qWarning("server did not start: %s", qPrintable(server->lastError()));
        return ok ? std::move(server) : nullptr;
    }

    bool sql(ApiServer &server, const QString &statement, qint64 *scalar = nullptr)
    {
        bw::db::Database db(m_pg.settings(server.database()));
        bool ok = false;
        {
            auto q = bw::db::exec(db.connection(), statement);
            ok = bool(q);
            if (ok && scalar)
                *scalar = q->next() ? q->value(0).toLongLong() : -1;
            if (!q)
                qWarning("%s", qPrintable(q.error().message));
        } // the query goes before its connection
        db.releaseThisThread();
        return ok;
    }

    // A registered agent with the given claim status and override, not yet seen by the auth cache.
    QString agentKey(ApiServer &server, const QString &claimStatus, int override = 0)
    {
        const auto [id, key] = server.registerAgent(QStringLiteral("rl_%1_%2").arg(claimStatus).arg(++m_serial));
        if (key.isEmpty())
            return {};
        const QString overrideSql = override > 0 ? QString::number(override) : QStringLiteral("NULL");
        if (!sql(server, QStringLiteral("UPDATE agents SET claim_status = '%1', rate_limit_override = %2 WHERE id = '%3'")
                             .arg(claimStatus, overrideSql, id)))
            return {};
        return key;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = startServer([](bw::Config &c) { c.rateLimits.registrationPerIp = 1000; });
        QVERIFY(m_server);
    }
    void cleanupTestCase() { QVERIFY(m_server->stop()); }

    void agentTiers_data()
    {
        QTest::addColumn<QString>("claimStatus");
        QTest::addColumn<int>("override");
        QTest::addColumn<int>("expected");
        QTest::newRow("pending") << "pending" << 0 << 30;
        QTest::newRow("claimed") << "claimed" << 0 << 45;
        QTest::newRow("verified") << "verified" << 0 << 60;
        QTest::newRow("override below tier") << "verified" << 7 << 7;
        QTest::newRow("override above tier") << "pending" << 75 << 75;
    }
    void agentTiers()
    {
        QFETCH(QString, claimStatus);
        QFETCH(int, override);
        QFETCH(int, expected);
        const QString key = agentKey(*m_server, claimStatus, override);
        QVERIFY(!key.isEmpty());
        waitForWindowRoom(20);
        int ok = 0;
        for (int i = 0; i < expected + 2; ++i) {
            const HttpReply r = httpRequest(m_server->port(), "GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(key)}});
            if (r.status == 200) {
                ++ok;
                QCOMPARE(r.header("x-ratelimit-limit"), QByteArray::number(expected));
                QCOMPARE(r.header("x-ratelimit-remaining"), QByteArray::number(expected - ok));
            } else {
                QCOMPARE(ok, expected); // refusals only after the limit
                verifyRateLimited(r, expected);
            }
        }
        QCOMPARE(ok, expected);
        // Counted per agent, not per IP: anonymous traffic from the same address is unaffected.
        QCOMPARE(httpRequest(m_server->port(), "GET", "/api/v1/problems").status, 200);
    }

    void contentCreationBucket()
    {
        const QString key = agentKey(*m_server, QStringLiteral("verified"));
        QVERIFY(!key.isEmpty());
        waitForWindowRoom(20);
        int created = 0;
        for (int i = 0; i < 22; ++i) {
            const HttpReply r =
                httpRequest(m_server->port(), "POST", "/api/v1/problems", problem(i), {{"Authorization", bearer(key)}});
            if (r.status == 201) {
                ++created;
                // The tightest bucket is shown: content (20), not the agent's 60.
                QCOMPARE(r.header("x-ratelimit-limit"), QByteArray("20"));
                QCOMPARE(r.header("x-ratelimit-remaining"), QByteArray::number(20 - created));
            } else {
                verifyRateLimited(r, 20);
            }
        }
        QCOMPARE(created, 20);
        // Reads still work: the agent bucket (60) has room — 22 posts + this read.
        const HttpReply me = httpRequest(m_server->port(), "GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(key)}});
        QCOMPARE(me.status, 200);
        QCOMPARE(me.header("x-ratelimit-limit"), QByteArray("60"));
        QCOMPARE(me.header("x-ratelimit-remaining"), QByteArray::number(60 - 23));
    }

    void registrationPerIp()
    {
        auto server = startServer({});
        QVERIFY(server);
        waitForWindowRoom(20);
        int created = 0;
        for (int i = 0; i < 12; ++i) {
            const HttpReply r = httpRequest(server->port(), "POST", "/api/v1/auth/agents/register",
                                            registration(QStringLiteral("reg_ip_%1").arg(i)));
            if (r.status == 201) {
                ++created;
                QCOMPARE(r.header("x-ratelimit-limit"), QByteArray("10"));
            } else {
                verifyRateLimited(r, 10);
            }
        }
        QCOMPARE(created, 10);
        qint64 stored = 0;
        QVERIFY(
            sql(*server, QStringLiteral("SELECT count FROM rate_limit_counters WHERE key = 'registration:127.0.0.1'"), &stored));
        QVERIFY(stored >= 11);
        QVERIFY(server->stop());
    }

    void forwardedForOnlyFromTrustedProxies()
    {
        // Not a trusted proxy: X-Forwarded-For is ignored, every request is the socket peer's.
        auto untrusted = startServer([](bw::Config &c) { c.rateLimits.publicPerIp = 3; });
        QVERIFY(untrusted);
        waitForWindowRoom(20);
        int ok = 0;
        for (int i = 0; i < 5; ++i)
            ok += httpRequest(untrusted->port(), "GET", "/api/v1/problems", {},
                              {{"X-Forwarded-For", QByteArray("198.51.100.") + QByteArray::number(i + 1)}})
                      .status
                  == 200;
        QCOMPARE(ok, 3);
        QVERIFY(untrusted->stop());

        // 127.0.0.1 is a trusted proxy: the client is the right-most untrusted hop.
        auto trusted = startServer([](bw::Config &c) {
            c.rateLimits.publicPerIp = 3;
            c.trustedProxies = {QStringLiteral("127.0.0.1")};
        });
        QVERIFY(trusted);
        waitForWindowRoom(20);
        auto get = [&](const QByteArray &xff) {
            return httpRequest(trusted->port(), "GET", "/api/v1/problems", {},
                               xff.isEmpty() ? QList<QPair<QByteArray, QByteArray>>{}
                                             : QList<QPair<QByteArray, QByteArray>>{{"X-Forwarded-For", xff}});
        };
        for (int i = 0; i < 3; ++i) {
            const HttpReply r = get("198.51.100.7");
            QCOMPARE(r.status, 200);
            QCOMPARE(r.header("x-ratelimit-remaining"), QByteArray::number(2 - i));
        }
        verifyRateLimited(get("198.51.100.7"), 3);
        verifyRateLimited(get("203.0.113.1, 198.51.100.7, 127.0.0.1"), 3); // spoofed left part ignored
        QCOMPARE(get("198.51.100.8").status, 200);
        QCOMPARE(get("").status, 200); // the proxy itself
        qint64 keys = 0;
        QVERIFY(sql(*trusted,
                    QStringLiteral("SELECT count(*) FROM rate_limit_counters WHERE key IN "
                                   "('ip:198.51.100.7', 'ip:198.51.100.8', 'ip:127.0.0.1')"),
                    &keys));
        QCOMPARE(keys, 3);
        QVERIFY(trusted->stop());
    }

    void headersOnEveryNonExemptResponse()
    {
        const QString key = agentKey(*m_server, QStringLiteral("verified"));
        QVERIFY(!key.isEmpty());
        waitForWindowRoom(10);
        const QByteArray auth = bearer(key);
        struct Case {
            QByteArray method, target, body;
            QList<QPair<QByteArray, QByteArray>> headers;
            int status;
        };
        const QList<Case> cases = {
            {"GET", "/api/v1/problems", {}, {}, 200},
            {"GET", "/api/v1/problems?limit=1", {}, {{"Authorization", auth}}, 200},
            {"GET", "/api/v1/agents/me", {}, {{"Authorization", auth}}, 200},
            {"GET", "/api/v1/problems/" + QUuid::createUuid().toByteArray(QUuid::WithoutBraces), {}, {}, 404},
            {"GET", "/api/v1/problems?cursor=tampered", {}, {}, 400},
            {"POST", "/api/v1/problems", "{not json", {{"Authorization", auth}}, 400},
            {"POST", "/api/v1/problems", "{}", {{"Authorization", auth}}, 422},
            {"GET", "/api/v1/agents/me", {}, {}, 401},
            {"GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(QString(64, u'c'))}}, 401},
            {"POST", "/api/v1/auth/agents/register", registration(QStringLiteral("hdr_agent")), {}, 201},
            {"POST", "/api/v1/auth/agents/register", registration(QStringLiteral("hdr_agent")), {}, 409},
        };
        for (const Case &c : cases) {
            const HttpReply r = httpRequest(m_server->port(), c.method, c.target, c.body, c.headers);
            QVERIFY2(r.status == c.status, qPrintable(QStringLiteral("%1 %2 → %3")
                                                          .arg(QString::fromLatin1(c.method), QString::fromLatin1(c.target))
                                                          .arg(r.status)));
            QString why;
            QVERIFY2(hasRateHeaders(r, &why), qPrintable(QString::fromLatin1(c.method + ' ' + c.target) + u' ' + why));
        }
        // Exempt: probes and metrics carry no rate-limit headers and are never refused.
        for (const QByteArray &target : {QByteArray("/health"), QByteArray("/ready"), QByteArray("/metrics")}) {
            const HttpReply r = httpRequest(m_server->port(), "GET", target);
            QCOMPARE(r.status, 200);
            QVERIFY(r.header("x-ratelimit-limit").isEmpty());
        }
    }

    void storeFollowsTheSetting_data()
    {
        QTest::addColumn<QString>("store");
        QTest::addColumn<bool>("shared");
        QTest::newRow("auto, external database") << "auto" << true;
        QTest::newRow("postgres") << "postgres" << true;
        QTest::newRow("memory") << "memory" << false;
    }
    void storeFollowsTheSetting()
    {
        QFETCH(QString, store);
        QFETCH(bool, shared);
        auto server = startServer([&](bw::Config &c) { c.rateLimits.store = store; });
        QVERIFY(server);
        const HttpReply r = httpRequest(server->port(), "GET", "/api/v1/problems");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-ratelimit-limit"), QByteArray("30"));
        qint64 rows = -1;
        QVERIFY(sql(*server, QStringLiteral("SELECT count(*) FROM rate_limit_counters"), &rows));
        QCOMPARE(rows > 0, shared);
        const QByteArray metrics = httpRequest(server->port(), "GET", "/metrics").body;
        QCOMPARE(metrics.contains("rate_limit_store_seconds_count"), shared);
        QVERIFY(server->stop());
    }

    // The store breaks (schema change, database trouble): requests are still answered and still
    // limited per node; the failure is visible in /metrics; the store is used again once it works.
    void failsOpenToPerNodeLimits()
    {
        auto server = startServer([](bw::Config &c) { c.rateLimits.publicPerIp = 4; });
        QVERIFY(server);
        waitForWindowRoom(20);
        QCOMPARE(httpRequest(server->port(), "GET", "/api/v1/problems").header("x-ratelimit-remaining"), QByteArray("3"));
        QVERIFY(sql(*server, QStringLiteral("ALTER TABLE rate_limit_counters RENAME COLUMN count TO count_off")));
        int ok = 0;
        for (int i = 0; i < 6; ++i) {
            const HttpReply r = httpRequest(server->port(), "GET", "/api/v1/problems");
            QString why;
            QVERIFY2(hasRateHeaders(r, &why), qPrintable(why));
            if (r.status == 200)
                ++ok;
            else
                verifyRateLimited(r, 4);
        }
        QCOMPARE(ok, 4); // the per-node fallback starts its own count
        const QByteArray metrics = httpRequest(server->port(), "GET", "/metrics").body;
        QVERIFY(metrics.contains("rate_limit_store_errors_total "));
        QVERIFY(!metrics.contains("rate_limit_store_errors_total 0\n"));
        QVERIFY(sql(*server, QStringLiteral("ALTER TABLE rate_limit_counters RENAME COLUMN count_off TO count")));
        QTest::qWait(1200); // PgRateLimiter::Options::retryStoreAfter
        const HttpReply back = httpRequest(server->port(), "GET", "/api/v1/problems");
        QCOMPARE(back.status, 200);
        QCOMPARE(back.header("x-ratelimit-remaining"), QByteArray("2")); // the shared count again: 2nd hit
        QVERIFY(server->stop());
    }
};

QTEST_GUILESS_MAIN(tst_RateLimitsApi)
#include "tst_ratelimitsapi.moc"
