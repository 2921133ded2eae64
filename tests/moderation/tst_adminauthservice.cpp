// AdminAuthService against a real PostgreSQL: creating admin users, Argon2id-hashed passwords,
// login sessions (opaque tokens stored hashed, expiry), lockout after repeated failures, password
// reset (unlocks, ends sessions), deactivation, logout — and the audit rows of each.

#include "moderationtestdb.h"

#include "server/moderation/adminauthservice.h"
#include "server/moderation/passwordhash.h"
#include "tests/support/pgfixture.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QTest>

using namespace bw;
using namespace bw::moderation;
using namespace bw::test;

class tst_AdminAuthService final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void createUserStoresArgon2id();
    void createUserValidation_data();
    void createUserValidation();
    void duplicateEmailIsCaseInsensitive();
    void loginIssuesHashedSession();
    void wrongCredentialsAre401();
    void lockoutAfterRepeatedFailures();
    void distributedGuessingLocksTheAccount();
    void lockExpires();
    void deactivatedAccount();
    void authenticateRejects();
    void expiredSessionIsTokenExpired();
    void resetPasswordUnlocksAndEndsSessions();
    void logoutEndsTheSession();
    void onlyAdminsManageUsers();
    void firstAdministratorOnlyWhileNoAccountExists();

private:
    QSqlDatabase db() { return m_database->connection(); }
    PgFixture m_pg;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<AdminAuthService> m_auth;
};

void tst_AdminAuthService::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<db::Database>(m_pg.settings(name));
    m_auth = std::make_unique<AdminAuthService>(*m_database);
}

void tst_AdminAuthService::cleanupTestCase()
{
    m_auth.reset();
    if (m_database)
        m_database->releaseThisThread();
    m_database.reset();
}

void tst_AdminAuthService::createUserStoresArgon2id()
{
    auto created = m_auth->createUser(
        {QStringLiteral("Mod.One@Example.org"), QStringLiteral("moderator"), QStringLiteral("Mod One"), testPassword()});
    QVERIFY2(created, qPrintable(created ? QString() : created.error().message));
    QCOMPARE(created->value("email").toString(), QStringLiteral("Mod.One@Example.org"));
    QCOMPARE(created->value("role").toString(), QStringLiteral("moderator"));
    QCOMPARE(created->value("displayName").toString(), QStringLiteral("Mod One"));
    QVERIFY(!created->contains("passwordHash"));
    const QString hash =
        scalar(db(), QStringLiteral("SELECT password_hash FROM moderators WHERE id = ?::uuid"), {created->value("id").toString()})
            .toString();
    QVERIFY2(hash.startsWith(QLatin1String("$argon2id$")), qPrintable(hash));
    QVERIFY(password::verify(hash.toLatin1(), testPassword()));
    QVERIFY(!password::verify(hash.toLatin1(), testPassword() + u'x'));
    QVERIFY(!password::needsRehash(hash.toLatin1()));
    // Audited as a system action (the CLI has no logged-in actor).
    QCOMPARE(scalar(db(),
                    QStringLiteral("SELECT actor_type FROM audit_log WHERE action = 'admin.user_created' AND target_id = ?"),
                    {created->value("id").toString()})
                 .toString(),
             QStringLiteral("system"));
}

void tst_AdminAuthService::createUserValidation_data()
{
    QTest::addColumn<QString>("email");
    QTest::addColumn<QString>("role");
    QTest::addColumn<QString>("pw");
    QTest::addColumn<QString>("field");
    // clang-format off
    QTest::newRow("no email") << "" << "admin" << testPassword() << "email";
    QTest::newRow("not an email") << "nobody" << "admin" << testPassword() << "email";
    QTest::newRow("two ats") << "a@b@c" << "admin" << testPassword() << "email";
    QTest::newRow("role") << "x@example.org" << "root" << testPassword() << "role";
    QTest::newRow("short password") << "x@example.org" << "admin" << "short" << "password";
    QTest::newRow("blank password") << "x@example.org" << "admin" << "              " << "password";
    // clang-format on
}

void tst_AdminAuthService::createUserValidation()
{
    QFETCH(QString, email);
    QFETCH(QString, role);
    QFETCH(QString, pw);
    QFETCH(QString, field);
    auto r = m_auth->createUser({email, role, {}, pw});
    QVERIFY(!r);
    QCOMPARE(r.error().kind, ErrorKind::Validation);
    QVERIFY(r.error().details.value("fields").toObject().contains(field));
}

void tst_AdminAuthService::duplicateEmailIsCaseInsensitive()
{
    QVERIFY(m_auth->createUser({QStringLiteral("dup@example.org"), QStringLiteral("admin"), {}, testPassword()}));
    auto again = m_auth->createUser({QStringLiteral("DUP@example.ORG"), QStringLiteral("moderator"), {}, testPassword()});
    QVERIFY(!again);
    QCOMPARE(again.error().kind, ErrorKind::Conflict);
    QCOMPARE(again.error().status(), 409);
}

void tst_AdminAuthService::loginIssuesHashedSession()
{
    QVERIFY(m_auth->createUser(
        {QStringLiteral("login@example.org"), QStringLiteral("admin"), QStringLiteral("Lo Gin"), testPassword()}));
    QElapsedTimer t;
    t.start();
    auto s = m_auth->login(QStringLiteral("LOGIN@example.org"), testPassword(), QStringLiteral("10.1.2.3"));
    const qint64 ms = t.elapsed();
    QVERIFY2(s, qPrintable(s ? QString() : s.error().message));
    qInfo("login with Argon2id verification: %lld ms", ms);
    QCOMPARE(s->token.size(), 64);
    QCOMPARE(s->caller.role, QStringLiteral("admin"));
    QCOMPARE(s->caller.displayName, QStringLiteral("Lo Gin"));
    const qint64 ttl = QDateTime::currentDateTimeUtc().secsTo(s->expiresAt);
    QVERIFY2(ttl > 12 * 3600 - 60 && ttl <= 12 * 3600, qPrintable(QString::number(ttl)));
    // Only the SHA-256 of the token is stored.
    const QString sha = QString::fromLatin1(QCryptographicHash::hash(s->token.toLatin1(), QCryptographicHash::Sha256).toHex());
    QCOMPARE(scalar(db(), QStringLiteral("SELECT count(*) FROM admin_sessions WHERE token_hash = ?"), {sha}).toInt(), 1);
    QCOMPARE(scalar(db(), QStringLiteral("SELECT count(*) FROM admin_sessions WHERE token_hash = ?"), {s->token}).toInt(), 0);
    QCOMPARE(scalar(db(), QStringLiteral("SELECT host(ip) FROM admin_sessions WHERE token_hash = ?"), {sha}).toString(),
             QStringLiteral("10.1.2.3"));

    auto who = m_auth->authenticate(s->token, QStringLiteral("10.9.9.9"));
    QVERIFY(who);
    QCOMPARE(who->moderatorId, s->caller.moderatorId);
    QCOMPARE(who->sessionId, s->caller.sessionId);
    QCOMPARE(who->ip, QStringLiteral("10.9.9.9"));
    QVERIFY(
        !scalar(db(), QStringLiteral("SELECT last_login_at FROM moderators WHERE id = ?::uuid"), {who->moderatorId}).isNull());
    QCOMPARE(scalar(db(), QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'admin.login' AND actor_id = ?::uuid"),
                    {who->moderatorId})
                 .toInt(),
             1);
    auto profile = m_auth->profile(*who);
    QVERIFY(profile);
    QCOMPARE(profile->value("email").toString(), QStringLiteral("login@example.org"));
}

void tst_AdminAuthService::wrongCredentialsAre401()
{
    QVERIFY(m_auth->createUser({QStringLiteral("wrong@example.org"), QStringLiteral("moderator"), {}, testPassword()}));
    auto badPw = m_auth->login(QStringLiteral("wrong@example.org"), QStringLiteral("not the password!"), {});
    auto noUser = m_auth->login(QStringLiteral("ghost@example.org"), testPassword(), {});
    QCOMPARE(badPw.error().kind, ErrorKind::Unauthorized);
    QCOMPARE(noUser.error().kind, ErrorKind::Unauthorized);
    QCOMPARE(badPw.error().message, noUser.error().message); // no account-existence oracle
    auto missing = m_auth->login({}, {}, {});
    QCOMPARE(missing.error().kind, ErrorKind::Validation);
}

void tst_AdminAuthService::lockoutAfterRepeatedFailures()
{
    const QString attacker = QStringLiteral("198.51.100.7");
    const QString owner = QStringLiteral("203.0.113.20");
    QVERIFY(m_auth->createUser({QStringLiteral("lock@example.org"), QStringLiteral("moderator"), {}, testPassword()}));
    QVERIFY(m_auth->login(QStringLiteral("lock@example.org"), testPassword(), attacker));
    for (int i = 0; i < 4; ++i)
        QCOMPARE(
            m_auth->login(QStringLiteral("lock@example.org"), QStringLiteral("wrong password %1").arg(i), attacker).error().kind,
            ErrorKind::Unauthorized);
    // Still not paused after 4: the right password works and resets the count.
    QVERIFY(m_auth->login(QStringLiteral("lock@example.org"), testPassword(), attacker));
    for (int i = 0; i < 5; ++i)
        QVERIFY(!m_auth->login(QStringLiteral("lock@example.org"), QStringLiteral("wrong password %1").arg(i), attacker));

    // The source that guessed is paused — answered exactly like a wrong password or an unknown email
    // (no oracle) — even with the right password…
    const auto paused = m_auth->login(QStringLiteral("lock@example.org"), testPassword(), attacker);
    QVERIFY(!paused);
    const auto unknown = m_auth->login(QStringLiteral("nobody-here@example.org"), testPassword(), attacker);
    QCOMPARE(paused.error().kind, unknown.error().kind);
    QCOMPARE(paused.error().message, unknown.error().message);
    QCOMPARE(paused.error().details, unknown.error().details);
    // …while the owner signing in from elsewhere (or at the console) is not locked out by it.
    QVERIFY(m_auth->login(QStringLiteral("lock@example.org"), testPassword(), owner));
    QVERIFY(m_auth->login(QStringLiteral("lock@example.org"), testPassword(), {}));
    QVERIFY(!m_auth->login(QStringLiteral("lock@example.org"), testPassword(), attacker)); // still paused

    const QString id =
        scalar(db(), QStringLiteral("SELECT id::text FROM moderators WHERE email = 'lock@example.org'")).toString();
    QCOMPARE(
        scalar(db(), QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'admin.login_failed' AND target_id = ?"), {id})
            .toInt(),
        11);
    QCOMPARE(scalar(db(),
                    QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'admin.login_failed' AND target_id = ?"
                                   " AND after->>'locked' = 'true'"),
                    {id})
                 .toInt(),
             1);
}

// Guessing from many sources locks the account itself (10× the per-source limit), still silently.
void tst_AdminAuthService::distributedGuessingLocksTheAccount()
{
    AdminAuthService strict(*m_database, AdminAuthService::Options{.lockoutFailures = 1});
    QVERIFY(strict.createUser({QStringLiteral("spread@example.org"), QStringLiteral("moderator"), {}, testPassword()}));
    for (int i = 0; i < 10; ++i)
        QVERIFY(!strict.login(QStringLiteral("spread@example.org"), QStringLiteral("wrong wrong wrong"),
                              QStringLiteral("192.0.2.%1").arg(i + 1)));
    const auto locked = strict.login(QStringLiteral("spread@example.org"), testPassword(), QStringLiteral("192.0.2.200"));
    QVERIFY(!locked);
    QCOMPARE(locked.error().message, QStringLiteral("Invalid email or password"));
    QVERIFY(strict.resetPassword(QStringLiteral("spread@example.org"), QStringLiteral("another fine passphrase")));
    QVERIFY(strict.login(QStringLiteral("spread@example.org"), QStringLiteral("another fine passphrase"),
                         QStringLiteral("192.0.2.1"))); // the reset clears both kinds of pause
}

void tst_AdminAuthService::lockExpires()
{
    AdminAuthService quick(*m_database, AdminAuthService::Options{.lockoutFailures = 2});
    QVERIFY(quick.createUser({QStringLiteral("quick@example.org"), QStringLiteral("moderator"), {}, testPassword()}));
    QVERIFY(!quick.login(QStringLiteral("quick@example.org"), QStringLiteral("wrong wrong wrong"), {}));
    QVERIFY(!quick.login(QStringLiteral("quick@example.org"), QStringLiteral("wrong wrong wrong"), {}));
    QVERIFY(!quick.login(QStringLiteral("quick@example.org"), testPassword(), {})); // paused
    // 15 minutes later (the pause's window moved back rather than waited for):
    QVERIFY(db::exec(db(), QStringLiteral("UPDATE rate_limit_counters SET window_start = window_start - 901"
                                          " WHERE key LIKE 'admin-login-failures:%'"))
                .ok());
    QVERIFY(quick.login(QStringLiteral("quick@example.org"), testPassword(), {}));
}

void tst_AdminAuthService::deactivatedAccount()
{
    auto created = m_auth->createUser({QStringLiteral("gone@example.org"), QStringLiteral("moderator"), {}, testPassword()});
    QVERIFY(created);
    auto session = m_auth->login(QStringLiteral("gone@example.org"), testPassword(), {});
    QVERIFY(session);
    QVERIFY(db::exec(db(), QStringLiteral("UPDATE moderators SET is_active = false WHERE email = 'gone@example.org'")).ok());
    QCOMPARE(m_auth->authenticate(session->token, {}).error().kind, ErrorKind::Forbidden);
    QCOMPARE(m_auth->login(QStringLiteral("gone@example.org"), testPassword(), {}).error().kind, ErrorKind::Forbidden);
    // A wrong password still says only "invalid": deactivation is not revealed without the password.
    QCOMPARE(m_auth->login(QStringLiteral("gone@example.org"), QStringLiteral("wrong wrong wrong"), {}).error().kind,
             ErrorKind::Unauthorized);
}

void tst_AdminAuthService::authenticateRejects()
{
    for (const QString &token : {QString(), QStringLiteral("abc"), QString(64, u'g'), QString(64, u'A'), QString(64, u'a')}) {
        auto r = m_auth->authenticate(token, {});
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Unauthorized);
    }
}

void tst_AdminAuthService::expiredSessionIsTokenExpired()
{
    AdminAuthService shortLived(*m_database, AdminAuthService::Options{.sessionTtl = std::chrono::seconds(1)});
    QVERIFY(shortLived.createUser({QStringLiteral("brief@example.org"), QStringLiteral("admin"), {}, testPassword()}));
    auto s = shortLived.login(QStringLiteral("brief@example.org"), testPassword(), {});
    QVERIFY(s);
    QVERIFY(shortLived.authenticate(s->token, {}));
    QTest::qWait(1200);
    auto expired = shortLived.authenticate(s->token, {});
    QVERIFY(!expired);
    QCOMPARE(expired.error().kind, ErrorKind::TokenExpired);
    QCOMPARE(expired.error().status(), 401);
}

void tst_AdminAuthService::resetPasswordUnlocksAndEndsSessions()
{
    AdminAuthService strict(*m_database, AdminAuthService::Options{.lockoutFailures = 1});
    QVERIFY(strict.createUser({QStringLiteral("reset@example.org"), QStringLiteral("moderator"), {}, testPassword()}));
    auto s1 = strict.login(QStringLiteral("reset@example.org"), testPassword(), {});
    auto s2 = strict.login(QStringLiteral("reset@example.org"), testPassword(), {});
    QVERIFY(s1 && s2);
    QVERIFY(!strict.login(QStringLiteral("reset@example.org"), QStringLiteral("wrong wrong wrong"), {})); // now locked
    const QString fresh = QStringLiteral("a brand new passphrase");
    auto reset = strict.resetPassword(QStringLiteral("RESET@example.org"), fresh);
    QVERIFY2(reset, qPrintable(reset ? QString() : reset.error().message));
    QCOMPARE(reset->value("sessionsRevoked").toInt(), 2);
    QCOMPARE(strict.authenticate(s1->token, {}).error().kind, ErrorKind::Unauthorized);
    QVERIFY(strict.login(QStringLiteral("reset@example.org"), fresh, {})); // unlocked, new password
    QCOMPARE(strict.login(QStringLiteral("reset@example.org"), testPassword(), {}).error().kind, ErrorKind::Unauthorized);
    QCOMPARE(strict.resetPassword(QStringLiteral("nobody@example.org"), fresh).error().kind, ErrorKind::NotFound);
    QCOMPARE(strict.resetPassword(QStringLiteral("reset@example.org"), QStringLiteral("short")).error().kind,
             ErrorKind::Validation);
}

void tst_AdminAuthService::logoutEndsTheSession()
{
    QVERIFY(m_auth->createUser({QStringLiteral("bye@example.org"), QStringLiteral("moderator"), {}, testPassword()}));
    auto s = m_auth->login(QStringLiteral("bye@example.org"), testPassword(), {});
    QVERIFY(s);
    auto other = m_auth->login(QStringLiteral("bye@example.org"), testPassword(), {});
    QVERIFY(other);
    QVERIFY(m_auth->logout(s->caller));
    QCOMPARE(m_auth->authenticate(s->token, {}).error().kind, ErrorKind::Unauthorized);
    QVERIFY(m_auth->authenticate(other->token, {})); // only that session
    QCOMPARE(scalar(db(), QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'admin.logout' AND actor_id = ?::uuid"),
                    {s->caller.moderatorId})
                 .toInt(),
             1);
}

void tst_AdminAuthService::onlyAdminsManageUsers()
{
    auto mod = makeAdmin(*m_auth, QStringLiteral("plain@example.org"), QStringLiteral("moderator"));
    auto admin = makeAdmin(*m_auth, QStringLiteral("boss@example.org"), QStringLiteral("admin"));
    QVERIFY(mod && admin);
    QCOMPARE(
        m_auth->createUser({QStringLiteral("new1@example.org"), QStringLiteral("admin"), {}, testPassword()}, *mod).error().kind,
        ErrorKind::Forbidden);
    auto byAdmin =
        m_auth->createUser({QStringLiteral("new2@example.org"), QStringLiteral("moderator"), {}, testPassword()}, *admin);
    QVERIFY(byAdmin);
    QCOMPARE(scalar(db(),
                    QStringLiteral("SELECT actor_id::text FROM audit_log WHERE action = 'admin.user_created' AND target_id = ?"),
                    {byAdmin->value("id").toString()})
                 .toString(),
             admin->moderatorId);
    QCOMPARE(m_auth->resetPassword(QStringLiteral("new2@example.org"), testPassword(), *mod).error().kind, ErrorKind::Forbidden);
}

void tst_AdminAuthService::firstAdministratorOnlyWhileNoAccountExists()
{
    // Its own empty database: the suite's one has accounts by now.
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    {
        db::Database database(m_pg.settings(name));
        AdminAuthService auth(database);
        auto before = auth.hasAccounts();
        QVERIFY(before);
        QVERIFY(!*before);

        auto session =
            auth.createFirstAdministrator(QStringLiteral("first@example.org"), QStringLiteral("First"), testPassword());
        QVERIFY2(session, qPrintable(session ? QString() : session.error().message));
        QCOMPARE(session->caller.email, QStringLiteral("first@example.org"));
        QVERIFY(session->caller.isAdmin());
        QVERIFY(!session->token.isEmpty());
        auto after = auth.hasAccounts();
        QVERIFY(after && *after);
        QCOMPARE(scalar(database.connection(), QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'admin.user_created'"
                                                              " AND actor_type = 'system'"))
                     .toInt(),
                 1);

        auto second = auth.createFirstAdministrator(QStringLiteral("second@example.org"), QString(), testPassword());
        QVERIFY(!second);
        QCOMPARE(second.error().kind, ErrorKind::Conflict);
        QCOMPARE(scalar(database.connection(), QStringLiteral("SELECT count(*) FROM moderators")).toInt(), 1);
        database.releaseThisThread();
    }
}

QTEST_GUILESS_MAIN(tst_AdminAuthService)
#include "tst_adminauthservice.moc"
