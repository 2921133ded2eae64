// The ImpactToken admin API over real HTTP (humans.md §6): audited adjustments (201, replay 200
// with nothing moved, never below zero, validation), a human's balance and transfers, the ledger
// verification (clean, then a row broken on purpose), administrators only; and the server
// registering the claims-expiry and ledger-verify schedules.

#include "moderationtestdb.h"

#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <QUrl>

using namespace bw;
using namespace bw::test;

namespace {
QString errorCode(const HttpReply &r)
{
    return r.json().value("error").toObject().value("code").toString();
}
QJsonObject data(const HttpReply &r)
{
    return r.json().value("data").toObject();
}
QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}
} // namespace

class tst_AdminTokensApi final : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    std::unique_ptr<db::Database> m_db;
    QString m_adminToken, m_moderatorToken, m_human;
    QSqlDatabase db() { return m_db->connection(); }

    HttpReply call(const QByteArray &method, const QByteArray &target, const QString &token, const QByteArray &body = {})
    {
        QList<QPair<QByteArray, QByteArray>> headers{{QByteArray("Authorization"), bearer(token)}};
        if (!body.isEmpty())
            headers << qMakePair(QByteArray("Content-Type"), QByteArray("application/json"));
        return httpRequest(m_server->port(), method, target, body, headers);
    }
    HttpReply adjust(const QJsonObject &body, const QString &human = {})
    {
        return call("POST", "/api/v1/admin/humans/" + (human.isEmpty() ? m_human : human).toLatin1() + "/tokens/adjust",
                    m_adminToken, json(body));
    }
    QString login(const QString &email)
    {
        const HttpReply r = httpRequest(m_server->port(), "POST", "/api/v1/admin/auth/login",
                                        json({{"email", email}, {"password", testPassword()}}));
        return data(r).value("token").toString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
        m_db = std::make_unique<db::Database>(m_pg.settings(m_server->database()));
        moderation::AdminAuthService auth(*m_db);
        QVERIFY(auth.createUser(
            {QStringLiteral("admin@example.org"), QStringLiteral("admin"), QStringLiteral("Ada"), testPassword()}));
        QVERIFY(auth.createUser({QStringLiteral("mod@example.org"), QStringLiteral("moderator"), {}, testPassword()}));
        m_adminToken = login(QStringLiteral("admin@example.org"));
        m_moderatorToken = login(QStringLiteral("mod@example.org"));
        QVERIFY(!m_adminToken.isEmpty() && !m_moderatorToken.isEmpty());
        m_human = ids::newUuid();
        QVERIFY(execSql(db(),
                        QStringLiteral("INSERT INTO humans (id, email, display_name, password_hash)"
                                       " VALUES (?::uuid, 'pat@example.org', 'Pat', 'x')"),
                        {m_human}));
    }
    void cleanupTestCase()
    {
        if (m_db)
            m_db->releaseThisThread();
        m_db.reset();
        QVERIFY(m_server->stop());
    }

    void schedulesAreRegistered()
    {
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar(db(), QStringLiteral("SELECT string_agg(name || ' ' || cron, ',' ORDER BY name) FROM job_schedules"
                                        " WHERE name IN ('claims-expiry', 'ledger-verify')"))
                .toString(),
            QStringLiteral("claims-expiry 30 2 * * *,ledger-verify 0 4 * * 1"), 20000);
    }

    void adjustIsAuditedAndIdempotent()
    {
        const QJsonObject grant{{"amount", "12.5"}, {"reason", "Welcome grant for the pilot"}, {"idempotencyKey", "adj-1"}};
        const HttpReply created = adjust(grant);
        QCOMPARE(created.status, 201);
        const QJsonObject receipt = data(created);
        QCOMPARE(receipt.value("amount").toString(), QStringLiteral("12.50000000"));
        QCOMPARE(receipt.value("balanceAfter").toString(), QStringLiteral("12.50000000"));
        QCOMPARE(receipt.value("type").toString(), QStringLiteral("adjustment"));
        QCOMPARE(receipt.value("replayed").toBool(), false);

        const HttpReply replay = adjust(grant);
        QCOMPARE(replay.status, 200);
        QCOMPARE(data(replay).value("transactionId").toString(), receipt.value("transactionId").toString());
        QCOMPARE(data(replay).value("replayed").toBool(), true);

        // One audit row (the replay wrote none), with the balance before and after.
        QCOMPARE(scalar(db(), QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'tokens.adjust' AND target_id = ?"),
                        {m_human})
                     .toInt(),
                 1);
        const QJsonObject after =
            QJsonDocument::fromJson(
                scalar(db(), QStringLiteral("SELECT after::text FROM audit_log WHERE action = 'tokens.adjust'"))
                    .toString()
                    .toUtf8())
                .object();
        QCOMPARE(after.value("balance").toString(), QStringLiteral("12.50000000"));
        QCOMPARE(after.value("reason").toString(), QStringLiteral("Welcome grant for the pilot"));
        QCOMPARE(
            scalar(db(), QStringLiteral("SELECT before->>'balance' FROM audit_log WHERE action = 'tokens.adjust'")).toString(),
            QStringLiteral("0.00000000"));

        // A correction is a new (negative) transaction; never below zero.
        const HttpReply tooMuch =
            adjust({{"amount", "-13"}, {"reason", "Correct a mistaken grant"}, {"idempotencyKey", "adj-2"}});
        QCOMPARE(tooMuch.status, 409);
        QCOMPARE(errorCode(tooMuch), QStringLiteral("INSUFFICIENT_BALANCE"));
        const HttpReply corrected =
            adjust({{"amount", "-2.5"}, {"reason", "Correct a mistaken grant"}, {"idempotencyKey", "adj-3"}});
        QCOMPARE(corrected.status, 201);
        QCOMPARE(data(corrected).value("balanceAfter").toString(), QStringLiteral("10.00000000"));
    }

    void adjustValidation()
    {
        const HttpReply bad = adjust({{"amount", 0.5}, {"reason", "short"}});
        QCOMPARE(bad.status, 422);
        const QJsonObject fields = bad.json().value("error").toObject().value("details").toObject().value("fields").toObject();
        QVERIFY(fields.contains("amount"));
        QVERIFY(fields.contains("reason"));
        QVERIFY(fields.contains("idempotencyKey"));
        QCOMPARE(adjust({{"amount", "1"}, {"reason", "A grant for nobody"}, {"idempotencyKey", "adj-x"}}, ids::newUuid()).status,
                 404);
    }

    void adminsOnly()
    {
        const QByteArray body = json({{"amount", "1"}, {"reason", "Moderators may not do this"}, {"idempotencyKey", "adj-m"}});
        QCOMPARE(call("POST", "/api/v1/admin/humans/" + m_human.toLatin1() + "/tokens/adjust", m_moderatorToken, body).status,
                 403);
        QCOMPARE(call("GET", "/api/v1/admin/humans/" + m_human.toLatin1() + "/tokens", m_moderatorToken).status, 403);
        QCOMPARE(call("GET", "/api/v1/admin/ledger/verify", m_moderatorToken).status, 403);
        QCOMPARE(httpRequest(m_server->port(), "GET", "/api/v1/admin/ledger/verify").status, 401);
    }

    void balanceAndTransactions()
    {
        const HttpReply r = call("GET", "/api/v1/admin/humans/" + m_human.toLatin1() + "/tokens?limit=1", m_adminToken);
        QCOMPARE(r.status, 200);
        const QJsonObject d = data(r);
        QCOMPARE(d.value("balance").toString(), QStringLiteral("10.00000000"));
        QCOMPARE(d.value("earnedTotal").toString(), QStringLiteral("12.50000000"));
        QCOMPARE(d.value("spentTotal").toString(), QStringLiteral("2.50000000"));
        const QJsonArray items = d.value("transactions").toArray();
        QCOMPARE(items.size(), 1);
        QCOMPARE(items.at(0).toObject().value("amount").toString(), QStringLiteral("-2.50000000")); // newest first
        const QJsonObject meta = r.json().value("meta").toObject();
        QVERIFY(meta.value("hasMore").toBool());
        const HttpReply next = call("GET",
                                    "/api/v1/admin/humans/" + m_human.toLatin1() + "/tokens?limit=1&cursor="
                                        + QUrl::toPercentEncoding(meta.value("nextCursor").toString()),
                                    m_adminToken);
        QCOMPARE(next.status, 200);
        QCOMPARE(data(next).value("transactions").toArray().at(0).toObject().value("amount").toString(),
                 QStringLiteral("12.50000000"));
        QCOMPARE(call("GET", "/api/v1/admin/humans/" + ids::newUuid().toLatin1() + "/tokens", m_adminToken).status, 404);
    }

    // Last: it breaks the ledger.
    void verifyOverHttp()
    {
        HttpReply r = call("GET", "/api/v1/admin/ledger/verify", m_adminToken);
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("clean").toBool(), true);
        QVERIFY(execSql(db(),
                        QStringLiteral("UPDATE token_accounts SET balance = balance + 1, earned_total = earned_total + 1"
                                       " WHERE human_id = ?::uuid"),
                        {m_human}));
        r = call("GET", "/api/v1/admin/ledger/verify", m_adminToken);
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("clean").toBool(), false);
        QStringList kinds;
        for (const QJsonValue &v : data(r).value("violations").toArray())
            kinds << v.toObject().value("kind").toString();
        QVERIFY2(kinds.contains(QStringLiteral("balance_mismatch")), qPrintable(kinds.join(u',')));
    }
};

QTEST_GUILESS_MAIN(tst_AdminTokensApi)
#include "tst_admintokensapi.moc"
