// E-mail verification over real HTTP (api.md §5): the sink (no SMTP: the code is held for
// administrators, never returned to the agent), a real local SMTP server with STARTTLS and AUTH,
// wrong tries, expiry, the resend limit and the claim status that results.
#include "accountstest.h"
#include "tests/support/smtpserver.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace bw::test;
using namespace bw::test::accounts;

class tst_VerificationApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    std::unique_ptr<bw::db::Database> m_db;
    quint16 port() const { return m_server->port(); }

    Agent registerWithEmail(const QString &username)
    {
        QJsonObject body = registration(username);
        body.insert("email", QString(username + "@example.org"));
        return registerAgent(port(), body);
    }
    // What the administrator sees in the Agents panel (the sink's newest held code).
    QString heldCode(bw::db::Database &database, const QString &agentId)
    {
        return scalar(database,
                      "SELECT held_code FROM agent_verification_deliveries WHERE agent_id = ?::uuid"
                      " AND held_code IS NOT NULL ORDER BY created_at DESC LIMIT 1",
                      {agentId})
            .toString();
    }
    static HttpReply verify(quint16 port, const QString &key, const QJsonValue &code)
    {
        return call(port, "POST", "/api/v1/auth/agents/verify", key, json({{"verificationCode", code}}));
    }
    static QString wrongCode(const QString &code)
    {
        return code == u"000000" ? QStringLiteral("111111") : QStringLiteral("000000");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
        m_db = std::make_unique<bw::db::Database>(m_pg.settings(m_server->database()));
    }
    void cleanupTestCase()
    {
        m_db->releaseThisThread();
        m_db.reset();
        QVERIFY(m_server->stop());
    }

    void sinkHoldsTheCodeForAdministrators()
    {
        const Agent a = registerWithEmail("sink_agent");
        QVERIFY(!a.key.isEmpty());
        const QString code = heldCode(*m_db, a.id);
        QVERIFY2(QRegularExpression("^\\d{6}$").match(code).hasMatch(), qPrintable(code));
        // Stored hashed in the agent row; the code itself is nowhere the agent can read it.
        const QString hash = scalar(*m_db, "SELECT verification_code_hash FROM agents WHERE id = ?::uuid", {a.id}).toString();
        QCOMPARE(hash.size(), 64);
        QVERIFY(!hash.contains(code));
        const HttpReply me = call(port(), "GET", "/api/v1/agents/me", a.key);
        QVERIFY(!me.body.contains(code.toLatin1()));
        QCOMPARE(data(me).value("claimStatus").toString(), QStringLiteral("pending"));
        QCOMPARE(scalar(*m_db,
                        "SELECT status || '/' || channel || '/' || reason FROM agent_verification_deliveries"
                        " WHERE agent_id = ?::uuid",
                        {a.id})
                     .toString(),
                 QStringLiteral("held/sink/registration"));

        const HttpReply ok = verify(port(), a.key, code);
        QCOMPARE(ok.status, 200);
        QCOMPARE(data(ok).value("claimStatus").toString(), QStringLiteral("verified"));
        QVERIFY(!data(ok).value("message").toString().isEmpty());
        QCOMPARE(data(call(port(), "GET", "/api/v1/agents/me", a.key)).value("claimStatus").toString(),
                 QStringLiteral("verified"));
        // Used: no longer held, hash cleared.
        QVERIFY(heldCode(*m_db, a.id).isEmpty());
        QVERIFY(scalar(*m_db, "SELECT verification_code_hash FROM agents WHERE id = ?::uuid", {a.id}).isNull());

        // Already verified: a conflict, and no more codes.
        HttpReply again = verify(port(), a.key, code);
        QCOMPARE(again.status, 409);
        QCOMPARE(errorCode(again), QStringLiteral("ALREADY_CLAIMED"));
        again = call(port(), "POST", "/api/v1/auth/agents/verify/resend", a.key);
        QCOMPARE(again.status, 409);
    }

    void codeFormat_data()
    {
        QTest::addColumn<QJsonValue>("code");
        QTest::newRow("five digits") << QJsonValue("12345");
        QTest::newRow("seven digits") << QJsonValue("1234567");
        QTest::newRow("letters") << QJsonValue("12a456");
        QTest::newRow("empty") << QJsonValue("");
        QTest::newRow("null") << QJsonValue(QJsonValue::Null);
        QTest::newRow("fraction") << QJsonValue(1234.5);
        QTest::newRow("object") << QJsonValue(QJsonObject{{"x", 1}});
    }
    void codeFormat()
    {
        QFETCH(QJsonValue, code);
        static const Agent a = registerWithEmail("format_agent");
        const HttpReply r = verify(port(), a.key, code);
        QCOMPARE(r.status, 422);
        QCOMPARE(errorCode(r), QStringLiteral("VALIDATION_ERROR"));
        QVERIFY(errorFields(r).contains("verificationCode"));
        // Malformed input does not use up a try.
        QCOMPARE(scalar(*m_db, "SELECT verification_tries FROM agents WHERE id = ?::uuid", {a.id}).toInt(), 0);
    }

    void codeMayBeSentAsANumber()
    {
        const Agent a = registerWithEmail("number_agent");
        const QString code = heldCode(*m_db, a.id);
        const HttpReply r = verify(port(), a.key, QJsonValue(code.toDouble())); // leading zeros restored
        QCOMPARE(r.status, 200);
    }

    void atMostFiveWrongTries()
    {
        const Agent a = registerWithEmail("tries_agent");
        const QString code = heldCode(*m_db, a.id);
        for (int i = 1; i <= 5; ++i) {
            const HttpReply r = verify(port(), a.key, wrongCode(code));
            QCOMPARE(r.status, 422);
            QVERIFY(errorFields(r).contains("verificationCode"));
        }
        QCOMPARE(scalar(*m_db, "SELECT verification_tries FROM agents WHERE id = ?::uuid", {a.id}).toInt(), 5);
        // The right code no longer helps: that code is spent.
        HttpReply r = verify(port(), a.key, code);
        QCOMPARE(r.status, 422);
        QVERIFY2(errorFields(r).value("verificationCode").toArray().first().toString().contains("Too many"), r.body.constData());
        // A new code resets the count.
        QCOMPARE(call(port(), "POST", "/api/v1/auth/agents/verify/resend", a.key).status, 200);
        const QString fresh = heldCode(*m_db, a.id);
        QVERIFY(!fresh.isEmpty());
        QCOMPARE(verify(port(), a.key, fresh).status, 200);
    }

    void expiredCode()
    {
        const Agent a = registerWithEmail("expiry_agent");
        const QString code = heldCode(*m_db, a.id);
        const double ttl = scalar(*m_db,
                                  "SELECT extract(epoch FROM verification_code_expires_at - now()) FROM agents"
                                  " WHERE id = ?::uuid",
                                  {a.id})
                               .toDouble();
        QVERIFY2(ttl > 890 && ttl <= 900, qPrintable(QString::number(ttl))); // 15 minutes
        QVERIFY(sql(*m_db, "UPDATE agents SET verification_code_expires_at = now() - interval '1 second' WHERE id = ?::uuid",
                    {a.id}));
        const HttpReply r = verify(port(), a.key, code);
        QCOMPARE(r.status, 422);
        QVERIFY2(errorFields(r).value("verificationCode").toArray().first().toString().contains("expired"), r.body.constData());
    }

    void resendLimit()
    {
        const Agent a = registerWithEmail("resend_agent");
        QString previous = heldCode(*m_db, a.id);
        for (int i = 0; i < 3; ++i) {
            const HttpReply r = call(port(), "POST", "/api/v1/auth/agents/verify/resend", a.key);
            QCOMPARE(r.status, 200);
            QCOMPARE(data(r).value("expiresIn").toInt(), 900);
            QVERIFY(!data(r).value("message").toString().isEmpty());
            QVERIFY(!r.body.contains(heldCode(*m_db, a.id).toLatin1())); // never returned to the agent
        }
        // Only the newest code is held; older ones were superseded (and no longer verify).
        QCOMPARE(scalar(*m_db,
                        "SELECT count(*) FROM agent_verification_deliveries WHERE agent_id = ?::uuid AND held_code IS NOT NULL",
                        {a.id})
                     .toInt(),
                 1);
        QCOMPARE(scalar(*m_db,
                        "SELECT count(*) FROM agent_verification_deliveries WHERE agent_id = ?::uuid AND status = 'superseded'",
                        {a.id})
                     .toInt(),
                 3);
        if (previous != heldCode(*m_db, a.id))
            QCOMPARE(verify(port(), a.key, previous).status, 422);

        const HttpReply limited = call(port(), "POST", "/api/v1/auth/agents/verify/resend", a.key);
        QCOMPARE(limited.status, 429);
        QCOMPARE(errorCode(limited), QStringLiteral("RATE_LIMITED"));
        const int retryAfter = limited.header("retry-after").toInt();
        QVERIFY2(retryAfter > 3500 && retryAfter <= 3600, limited.header("retry-after").constData());
        const QJsonObject details = limited.json().value("error").toObject().value("details").toObject();
        QCOMPARE(details.value("limit").toInt(), 3);
        QCOMPARE(details.value("window").toInt(), 3600);

        // An hour later the window has moved on.
        QVERIFY(sql(*m_db,
                    "UPDATE agent_verification_deliveries SET created_at = created_at - interval '61 minutes'"
                    " WHERE agent_id = ?::uuid",
                    {a.id}));
        QCOMPARE(call(port(), "POST", "/api/v1/auth/agents/verify/resend", a.key).status, 200);
    }

    void withoutEmail()
    {
        const Agent a = registerAgent(port(), registration("no_email_agent"));
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM agent_verification_deliveries WHERE agent_id = ?::uuid", {a.id}).toInt(), 0);
        HttpReply r = call(port(), "POST", "/api/v1/auth/agents/verify/resend", a.key);
        QCOMPARE(r.status, 422);
        QVERIFY(errorFields(r).contains("email"));
        r = verify(port(), a.key, "123456");
        QCOMPARE(r.status, 422);
        QVERIFY(errorFields(r).value("verificationCode").toArray().first().toString().contains("No verification code"));
    }

    void verificationRaisesTheRateLimitTier()
    {
        ApiServer limited(m_pg);
        QVERIFY2(limited.start([](bw::Config &c) {
            c.rateLimits.enabled = true;
            c.rateLimits.agentPending = 30;
            c.rateLimits.agentVerified = 60;
        }),
                 qPrintable(limited.lastError()));
        bw::db::Database database(m_pg.settings(limited.database()));
        QJsonObject body = registration("tier_agent");
        body.insert("email", "tier@example.org");
        const Agent a = registerAgent(limited.port(), body);
        HttpReply r = call(limited.port(), "GET", "/api/v1/agents/me", a.key);
        QCOMPARE(r.header("x-ratelimit-limit"), QByteArray("30"));
        QCOMPARE(verify(limited.port(), a.key, heldCode(database, a.id)).status, 200);
        r = call(limited.port(), "GET", "/api/v1/agents/me", a.key);
        QCOMPARE(r.header("x-ratelimit-limit"), QByteArray("60"));
        database.releaseThisThread();
        QVERIFY(limited.stop());
    }

    void realSmtpServer()
    {
        QTemporaryDir dir;
        QString cert, key, error;
        QVERIFY2(SmtpTestServer::makeCertificate(dir.path(), &cert, &key, &error), qPrintable(error));
        SmtpTestServer::Options options;
        options.certFile = cert;
        options.keyFile = key;
        options.username = QStringLiteral("bw-mailer");
        options.password = QStringLiteral("smtp pass 123");
        SmtpTestServer smtp(options);
        QVERIFY2(smtp.start(), qPrintable(smtp.lastError()));

        // The password comes from the secret store; the environment is its override.
        qputenv("BW_SECRET_SMTP_PASSWORD", "smtp pass 123");
        ApiServer server(m_pg);
        QVERIFY2(server.start([&](bw::Config &c) {
            c.smtp.host = QStringLiteral("localhost");
            c.smtp.port = smtp.port();
            c.smtp.username = QStringLiteral("bw-mailer");
            c.smtp.from = QStringLiteral("BetterWorld <noreply@bw.test>");
            c.smtp.caFile = cert;
            c.smtp.timeoutMs = 5000;
        }),
                 qPrintable(server.lastError()));
        qunsetenv("BW_SECRET_SMTP_PASSWORD");
        bw::db::Database database(m_pg.settings(server.database()));

        QJsonObject body = registration("smtp_agent");
        body.insert("email", "smtp_agent@example.org");
        const HttpReply reg = call(server.port(), "POST", "/api/v1/auth/agents/register", {}, json(body));
        QCOMPARE(reg.status, 201);
        const Agent a{data(reg).value("agentId").toString(), data(reg).value("apiKey").toString(), {}};
        QVERIFY2(smtp.waitForMessages(1, 15000), qPrintable(smtp.transcript().join(" | ")));
        const auto mail = smtp.messages().first();
        QVERIFY(mail.overTls);
        QCOMPARE(mail.authenticatedUser, QStringLiteral("bw-mailer"));
        QCOMPARE(mail.recipients, QStringList{"smtp_agent@example.org"});
        const auto match = QRegularExpression("code is (\\d{6})").match(QString::fromUtf8(mail.body()));
        QVERIFY2(match.hasMatch(), mail.data.constData());
        const QString code = match.captured(1);
        QVERIFY(!reg.body.contains(code.toLatin1()));
        // Delivered over SMTP: nothing held for administrators; the outcome is recorded.
        QVERIFY(heldCode(database, a.id).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar(database, "SELECT status FROM agent_verification_deliveries WHERE agent_id = ?::uuid", {a.id}).toString(),
            QStringLiteral("sent"), 5000);

        const HttpReply resend = call(server.port(), "POST", "/api/v1/auth/agents/verify/resend", a.key);
        QCOMPARE(resend.status, 200);
        QVERIFY(data(resend).value("message").toString().contains("email"));
        QVERIFY(smtp.waitForMessages(2, 15000));
        const QString second =
            QRegularExpression("code is (\\d{6})").match(QString::fromUtf8(smtp.messages().at(1).body())).captured(1);
        QCOMPARE(verify(server.port(), a.key, second).status, 200);

        // A refusing server: registration still succeeds, the failure is recorded for administrators.
        smtp.stop();
        SmtpTestServer::Options refusing = options;
        refusing.rejectRecipientCode = 550;
        SmtpTestServer bad(refusing);
        QVERIFY(bad.start());
        database.releaseThisThread();
        QVERIFY(server.stop());
        qputenv("BW_SECRET_SMTP_PASSWORD", "smtp pass 123");
        ApiServer server2(m_pg);
        QVERIFY2(server2.start([&](bw::Config &c) {
            c.smtp.host = QStringLiteral("127.0.0.1");
            c.smtp.port = bad.port();
            c.smtp.username = QStringLiteral("bw-mailer");
            c.smtp.caFile = cert;
            c.smtp.timeoutMs = 5000;
        }),
                 qPrintable(server2.lastError()));
        qunsetenv("BW_SECRET_SMTP_PASSWORD");
        bw::db::Database database2(m_pg.settings(server2.database()));
        QJsonObject body2 = registration("smtp_refused");
        body2.insert("email", "refused@example.org");
        const HttpReply reg2 = call(server2.port(), "POST", "/api/v1/auth/agents/register", {}, json(body2));
        QCOMPARE(reg2.status, 201);
        const QString id2 = data(reg2).value("agentId").toString();
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar(database2, "SELECT status FROM agent_verification_deliveries WHERE agent_id = ?::uuid", {id2}).toString(),
            QStringLiteral("failed"), 15000);
        QVERIFY(scalar(database2, "SELECT error FROM agent_verification_deliveries WHERE agent_id = ?::uuid", {id2})
                    .toString()
                    .contains("550"));
        database2.releaseThisThread();
        QVERIFY(server2.stop());
    }
};

QTEST_GUILESS_MAIN(tst_VerificationApi)
#include "tst_verificationapi.moc"
