// People's accounts and sessions over real HTTP against a real PostgreSQL (humans.md §1):
// register → verify (code from the administrators' sink) → login → refresh rotation → reuse
// revokes the family → logout → password reset ends every session; duplicate e-mail, validation,
// the lockout that answers exactly like a wrong password, and the e-mail code rules.
#include "humanstest.h"

#include <QRegularExpression>
#include <QTest>

using namespace bw::test;
using namespace bw::test::humans;

namespace {
const QString kPassword = QStringLiteral("correct horse battery");
}

class tst_HumanAccountsApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    std::unique_ptr<HumansClient> m_client;
    std::unique_ptr<bw::db::Database> m_db;
    quint16 port() const { return m_server->port(); }
    HumansClient &client() { return *m_client; }

    QVariant sql(const QString &statement, const QVariantList &binds = {}) { return scalar(*m_db, statement, binds); }
    int auditCount(const QString &action, const QString &humanId)
    {
        return sql("SELECT count(*)::int FROM audit_log WHERE action = ? AND target_type = 'human' AND target_id = ?",
                   {action, humanId})
            .toInt();
    }
    QString humanId(const QString &email)
    {
        return sql("SELECT id::text FROM humans WHERE lower(email) = lower(?)", {email}).toString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
        m_client = std::make_unique<HumansClient>(*m_server);
        m_db = std::make_unique<bw::db::Database>(m_pg.settings(m_server->database()));
    }
    void cleanupTestCase()
    {
        m_db->releaseThisThread();
        m_db.reset();
        QVERIFY(m_server->stop());
    }

    void registerVerifyLoginRefreshLogout()
    {
        const QString email = QStringLiteral("Grace.Hopper@Example.org");
        HttpReply r = client().registerHuman(email, kPassword, "Grace");
        QCOMPARE(r.status, 201);
        const QString id = data(r).value("humanId").toString();
        QCOMPARE(id, humanId(email));

        // Not verified yet: the right password gets 403 EMAIL_NOT_VERIFIED.
        r = client().login(email, kPassword);
        QCOMPARE(r.status, 403);
        QCOMPARE(errorCode(r), QStringLiteral("EMAIL_NOT_VERIFIED"));

        // The sink holds the code for administrators; it is stored hashed and never returned.
        const QString code = client().heldCode(email);
        QVERIFY2(QRegularExpression("^\\d{6}$").match(code).hasMatch(), qPrintable(code));
        QVERIFY(!sql("SELECT code_hash FROM human_email_codes WHERE human_id = ?::uuid", {id}).toString().contains(code));
        const double ttl =
            sql("SELECT extract(epoch FROM expires_at - now()) FROM human_email_codes WHERE human_id = ?::uuid", {id}).toDouble();
        QVERIFY2(ttl > 890 && ttl <= 900, qPrintable(QString::number(ttl)));
        r = client().verify(email.toLower(), code); // any case of the address
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("emailVerified").toBool(), true);
        QVERIFY(client().heldCode(email).isEmpty());        // used: no longer held
        QCOMPARE(client().verify(email, code).status, 422); // and spent

        r = client().login(email, kPassword);
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("expiresIn").toInt(), 900);
        QCOMPARE(r.header("cache-control"), QByteArray("no-store"));
        const Session first = HumansClient::sessionOf(r);
        QVERIFY(first.access.startsWith("bwh_"));
        QVERIFY(first.refresh.startsWith("bwr_"));
        QCOMPARE(int(first.access.size()), 68);
        QVERIFY(first.access != first.refresh);
        const double accessTtl =
            sql("SELECT extract(epoch FROM max(expires_at) - now()) FROM human_access_tokens WHERE human_id = ?::uuid", {id})
                .toDouble();
        QVERIFY2(accessTtl > 0 && accessTtl <= 900, qPrintable(QString::number(accessTtl)));
        const double refreshDays = sql("SELECT extract(epoch FROM max(r.expires_at) - now()) / 86400 FROM human_refresh_tokens r"
                                       " JOIN human_sessions s ON s.id = r.session_id WHERE s.human_id = ?::uuid",
                                       {id})
                                       .toDouble();
        QVERIFY2(refreshDays > 29.9 && refreshDays <= 30, qPrintable(QString::number(refreshDays)));
        // Only hashes are stored.
        QCOMPARE(sql("SELECT count(*)::int FROM human_access_tokens WHERE token_hash = ?", {first.access}).toInt(), 0);

        r = call(port(), "GET", "/api/v1/humans/me", first.access);
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("id").toString(), id);
        QCOMPARE(data(r).value("email").toString(), email);
        QCOMPARE(data(r).value("displayName").toString(), QStringLiteral("Grace"));
        QCOMPARE(data(r).value("emailVerified").toBool(), true);
        QVERIFY(!data(r).contains("passwordHash"));

        // Refresh rotates: a new pair; the new access token works.
        r = post(port(), "/api/v1/auth/refresh", {{"refreshToken", first.refresh}});
        QCOMPARE(r.status, 200);
        const Session second = HumansClient::sessionOf(r);
        QVERIFY(second.refresh.startsWith("bwr_") && second.refresh != first.refresh);
        QVERIFY(second.access != first.access);
        QCOMPARE(call(port(), "GET", "/api/v1/humans/me", second.access).status, 200);
        r = post(port(), "/api/v1/auth/refresh", {{"refreshToken", second.refresh}});
        QCOMPARE(r.status, 200);
        const Session third = HumansClient::sessionOf(r);

        // The spent first refresh token comes back: stolen-token detection revokes the whole family.
        r = post(port(), "/api/v1/auth/refresh", {{"refreshToken", first.refresh}});
        QCOMPARE(r.status, 401);
        QCOMPARE(auditCount("human.refresh_reuse", id), 1);
        QCOMPARE(post(port(), "/api/v1/auth/refresh", {{"refreshToken", third.refresh}}).status, 401);
        for (const QString &token : {first.access, second.access, third.access})
            QCOMPARE(call(port(), "GET", "/api/v1/humans/me", token).status, 401);

        // A new login; logout ends that family: its access and refresh tokens stop working.
        const Session other = HumansClient::sessionOf(client().login(email, kPassword));
        const Session current = HumansClient::sessionOf(client().login(email, kPassword));
        r = post(port(), "/api/v1/auth/logout", {}, current.access);
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("loggedOut").toBool(), true);
        QCOMPARE(call(port(), "GET", "/api/v1/humans/me", current.access).status, 401);
        QCOMPARE(post(port(), "/api/v1/auth/refresh", {{"refreshToken", current.refresh}}).status, 401);
        // Only that family: the other session goes on.
        QCOMPARE(call(port(), "GET", "/api/v1/humans/me", other.access).status, 200);
        QCOMPARE(post(port(), "/api/v1/auth/logout", {}).status, 401); // logout needs a human token
    }

    void expiredAccessToken()
    {
        const Session s = client().signUp("expiry@example.org");
        QVERIFY(!s.access.isEmpty());
        QVERIFY(execSql(*m_db, "UPDATE human_access_tokens SET expires_at = now() - interval '1 second'"
                               " WHERE human_id = (SELECT id FROM humans WHERE email = 'expiry@example.org')"));
        const HttpReply r = call(port(), "GET", "/api/v1/humans/me", s.access);
        QCOMPARE(r.status, 401);
        QCOMPARE(errorCode(r), QStringLiteral("TOKEN_EXPIRED"));
        QCOMPARE(post(port(), "/api/v1/auth/refresh", {{"refreshToken", s.refresh}}).status, 200); // the cure
    }

    void duplicateEmailIsCaseInsensitive()
    {
        QCOMPARE(client().registerHuman("Dup@Example.org", kPassword).status, 201);
        const HttpReply r = client().registerHuman("dup@example.ORG", kPassword);
        QCOMPARE(r.status, 409);
        QCOMPARE(errorCode(r), QStringLiteral("CONFLICT"));
        QCOMPARE(sql("SELECT count(*)::int FROM humans WHERE lower(email) = 'dup@example.org'").toInt(), 1);
    }

    void registrationValidation_data()
    {
        QTest::addColumn<QJsonObject>("body");
        QTest::addColumn<QString>("field");
        const QJsonObject good{{"email", "valid@example.org"}, {"password", kPassword}, {"displayName", "Val"}};
        const auto with = [&](const char *key, const QJsonValue &v) {
            QJsonObject o = good;
            o.insert(QLatin1String(key), v);
            return o;
        };
        const auto without = [&](const char *key) {
            QJsonObject o = good;
            o.remove(QLatin1String(key));
            return o;
        };
        QTest::newRow("password 11") << with("password", "abcdefghijk") << "password";
        QTest::newRow("password 129") << with("password", QString(129, u'x')) << "password";
        QTest::newRow("password is the email") << with("password", "VALID@example.org") << "password";
        QTest::newRow("password missing") << without("password") << "password";
        QTest::newRow("password not a string") << with("password", 123456789012345.0) << "password";
        QTest::newRow("email missing") << without("email") << "email";
        QTest::newRow("email shape") << with("email", "not-an-address") << "email";
        QTest::newRow("displayName empty") << with("displayName", "") << "displayName";
        QTest::newRow("displayName blank") << with("displayName", "   ") << "displayName";
        QTest::newRow("displayName 101") << with("displayName", QString(101, u'n')) << "displayName";
        QTest::newRow("displayName missing") << without("displayName") << "displayName";
    }
    void registrationValidation()
    {
        QFETCH(QJsonObject, body);
        QFETCH(QString, field);
        const HttpReply r = post(port(), "/api/v1/auth/register", body);
        QCOMPARE(r.status, 422);
        QCOMPARE(errorCode(r), QStringLiteral("VALIDATION_ERROR"));
        QVERIFY2(errorFields(r).contains(field), r.body.constData());
        QCOMPARE(sql("SELECT count(*)::int FROM humans WHERE email = 'valid@example.org'").toInt(), 0);
    }

    void boundaryLengthsAreAccepted()
    {
        QCOMPARE(client().registerHuman("len12@example.org", QString(12, u'p'), QString(1, u'n')).status, 201);
        QCOMPARE(client().registerHuman("len128@example.org", QString(128, u'p'), QString(100, u'n')).status, 201);
    }

    // Unknown e-mail, wrong password and a locked account: one answer, byte for byte (but the requestId).
    void lockoutAnswersLikeAWrongPassword()
    {
        const QString email = QStringLiteral("locked@example.org");
        QVERIFY(!client().signUp(email).access.isEmpty());
        const QString id = humanId(email);
        const HttpReply unknown = client().login("nobody@example.org", kPassword);
        QCOMPARE(unknown.status, 401);
        const QJsonObject expected = errorOf(unknown);
        QCOMPARE(expected.value("code").toString(), QStringLiteral("UNAUTHORIZED"));

        for (int i = 1; i <= 5; ++i) {
            const HttpReply wrong = client().login(email, "wrong password number " + QString::number(i));
            QCOMPARE(wrong.status, 401);
            QCOMPARE(errorOf(wrong), expected);
            QCOMPARE(sql("SELECT locked_until IS NOT NULL FROM humans WHERE id = ?::uuid", {id}).toBool(), i == 5);
        }
        const double lockedFor =
            sql("SELECT extract(epoch FROM locked_until - now()) FROM humans WHERE id = ?::uuid", {id}).toDouble();
        QVERIFY2(lockedFor > 890 && lockedFor <= 900, qPrintable(QString::number(lockedFor)));
        QCOMPARE(auditCount("human.locked", id), 1);

        // Locked: the right password gets exactly the wrong-password answer.
        const HttpReply locked = client().login(email, kPassword);
        QCOMPARE(locked.status, 401);
        QCOMPARE(errorOf(locked), expected);
        QCOMPARE(locked.header("retry-after"), QByteArray());

        // Once the lock has run out, the right password works again.
        QVERIFY(execSql(*m_db, "UPDATE humans SET locked_until = now() - interval '1 second' WHERE id = ?::uuid", {id}));
        QCOMPARE(client().login(email, kPassword).status, 200);
    }

    void failuresOutsideTheWindowDoNotLock()
    {
        const QString email = QStringLiteral("window@example.org");
        QVERIFY(!client().signUp(email).access.isEmpty());
        const QString id = humanId(email);
        for (int i = 0; i < 4; ++i)
            QCOMPARE(client().login(email, "not the password").status, 401);
        // The window opened 16 minutes ago: the next failure starts a new one instead of locking.
        QVERIFY(execSql(*m_db, "UPDATE humans SET failed_login_window_start = now() - interval '16 minutes' WHERE id = ?::uuid",
                        {id}));
        QCOMPARE(client().login(email, "not the password").status, 401);
        QCOMPARE(sql("SELECT failed_logins FROM humans WHERE id = ?::uuid", {id}).toInt(), 1);
        QVERIFY(sql("SELECT locked_until IS NULL FROM humans WHERE id = ?::uuid", {id}).toBool());
        QCOMPARE(client().login(email, kPassword).status, 200);
    }

    void passwordResetEndsEverySession()
    {
        const QString email = QStringLiteral("reset@example.org");
        const Session one = client().signUp(email);
        QVERIFY(!one.access.isEmpty());
        const Session two = HumansClient::sessionOf(client().login(email, kPassword));
        const QString id = humanId(email);

        HttpReply r = post(port(), "/api/v1/auth/password-reset", {{"email", email}});
        QCOMPARE(r.status, 202);
        // An unknown address gets the same answer.
        const HttpReply unknown = post(port(), "/api/v1/auth/password-reset", {{"email", "ghost@example.org"}});
        QCOMPARE(unknown.status, 202);
        QCOMPARE(data(unknown), data(r));
        const QString code = client().heldCode(email, "reset");
        QVERIFY2(QRegularExpression("^\\d{6}$").match(code).hasMatch(), qPrintable(code));
        QVERIFY(!r.body.contains(code.toLatin1()));

        const QString newPassword = QStringLiteral("a brand new passphrase");
        const QString wrong = code == u"000000" ? QStringLiteral("111111") : QStringLiteral("000000");
        r = post(port(), "/api/v1/auth/password-reset", {{"email", email}, {"code", wrong}, {"newPassword", newPassword}});
        QCOMPARE(r.status, 422);
        QVERIFY(errorFields(r).contains("code"));
        r = post(port(), "/api/v1/auth/password-reset", {{"email", email}, {"code", code}, {"newPassword", "short"}});
        QCOMPARE(r.status, 422);
        QVERIFY(errorFields(r).contains("newPassword"));
        QCOMPARE(call(port(), "GET", "/api/v1/humans/me", one.access).status, 200); // nothing changed yet

        r = post(port(), "/api/v1/auth/password-reset", {{"email", email}, {"code", code}, {"newPassword", newPassword}});
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("sessionsRevoked").toInt(), 2);
        QCOMPARE(auditCount("human.password_reset", id), 1);
        for (const Session &s : {one, two}) {
            QCOMPARE(call(port(), "GET", "/api/v1/humans/me", s.access).status, 401);
            QCOMPARE(post(port(), "/api/v1/auth/refresh", {{"refreshToken", s.refresh}}).status, 401);
        }
        QCOMPARE(client().login(email, kPassword).status, 401);
        QCOMPARE(client().login(email, newPassword).status, 200);
        // The code is spent.
        r = post(port(), "/api/v1/auth/password-reset", {{"email", email}, {"code", code}, {"newPassword", newPassword}});
        QCOMPARE(r.status, 422);
    }

    void passwordResetLiftsALock()
    {
        const QString email = QStringLiteral("relock@example.org");
        QVERIFY(!client().signUp(email).access.isEmpty());
        for (int i = 0; i < 5; ++i)
            QCOMPARE(client().login(email, "not the password").status, 401);
        QVERIFY(sql("SELECT locked_until > now() FROM humans WHERE lower(email) = ?", {email}).toBool());
        QCOMPARE(post(port(), "/api/v1/auth/password-reset", {{"email", email}}).status, 202);
        const QString code = client().heldCode(email, "reset");
        const QString newPassword = QStringLiteral("unlocked at last, yes");
        QCOMPARE(
            post(port(), "/api/v1/auth/password-reset", {{"email", email}, {"code", code}, {"newPassword", newPassword}}).status,
            200);
        QCOMPARE(client().login(email, newPassword).status, 200);
    }

    void verificationCodeDiesAfterFiveWrongTries()
    {
        const QString email = QStringLiteral("tries@example.org");
        QCOMPARE(client().registerHuman(email, kPassword).status, 201);
        const QString code = client().heldCode(email);
        const QString wrong = code == u"000000" ? QStringLiteral("111111") : QStringLiteral("000000");
        for (int i = 0; i < 5; ++i) {
            const HttpReply r = client().verify(email, wrong);
            QCOMPARE(r.status, 422);
            QVERIFY(errorFields(r).contains("code"));
        }
        QCOMPARE(client().verify(email, code).status, 422); // too late: the code is dead
        // A fresh code works.
        QCOMPARE(post(port(), "/api/v1/auth/resend-code", {{"email", email}}).status, 202);
        const QString fresh = client().heldCode(email);
        QVERIFY(!fresh.isEmpty());
        QCOMPARE(client().verify(email, fresh).status, 200);
    }

    void codeFormatAndUnknownAddresses()
    {
        QCOMPARE(client().registerHuman("format@example.org", kPassword).status, 201);
        for (const QJsonValue &bad : {QJsonValue("12345"), QJsonValue("1234567"), QJsonValue("12a456"), QJsonValue()}) {
            const HttpReply r = client().verify("format@example.org", bad);
            QCOMPARE(r.status, 422);
            QVERIFY(errorFields(r).contains("code"));
        }
        QCOMPARE(sql("SELECT max(tries) FROM human_email_codes c JOIN humans h ON h.id = c.human_id"
                     " WHERE h.email = 'format@example.org'")
                     .toInt(),
                 0); // malformed input uses no try
        // An unknown address: the same 422 as a wrong code.
        const HttpReply r = client().verify("ghost@example.org", "123456");
        QCOMPARE(r.status, 422);
        QVERIFY(errorFields(r).contains("code"));
    }

    void resendIsCappedAtThreePerHour()
    {
        const QString email = QStringLiteral("resend@example.org");
        QCOMPARE(client().registerHuman(email, kPassword).status, 201);
        const QString id = humanId(email);
        HttpReply first;
        for (int i = 0; i < 4; ++i) {
            const HttpReply r = post(port(), "/api/v1/auth/resend-code", {{"email", email}});
            QCOMPARE(r.status, 202);
            QCOMPARE(data(r).value("expiresIn").toInt(), 900);
            if (i == 0)
                first = r;
            else
                QCOMPARE(data(r), data(first)); // the cap does not show: no oracle
        }
        // Registration + 3 resends; the fourth sent nothing.
        QCOMPARE(sql("SELECT count(*)::int FROM human_email_codes WHERE human_id = ?::uuid", {id}).toInt(), 4);
        QCOMPARE(
            sql("SELECT count(*)::int FROM human_email_codes WHERE human_id = ?::uuid AND held_code IS NOT NULL", {id}).toInt(),
            1); // only the newest is held
        const HttpReply ghost = post(port(), "/api/v1/auth/resend-code", {{"email", "ghost@example.org"}});
        QCOMPARE(ghost.status, 202);
        QCOMPARE(data(ghost), data(first));
    }
};

QTEST_GUILESS_MAIN(tst_HumanAccountsApi)
#include "tst_humanaccountsapi.moc"
