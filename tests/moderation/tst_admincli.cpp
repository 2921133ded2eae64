// `betterworld admin create-user | reset-password` as an operator runs them: the real binary
// against an external database, the password on stdin (never on the command line), exit codes
// 0 / 1 (failure) / 2 (usage or invalid input), and the account really works afterwards.

#include "moderationtestdb.h"

#include "server/moderation/adminauthservice.h"
#include "tests/support/pgfixture.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace bw;
using namespace bw::test;

namespace {
struct Run {
    int code = -1;
    QByteArray out, err;
};
} // namespace

class tst_AdminCli final : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    QTemporaryDir m_home;
    QString m_dbName;

    Run run(const QStringList &args, const QByteArray &stdinBytes)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.path() + QStringLiteral("/config"));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_home.path() + QStringLiteral("/data"));
        env.insert(QStringLiteral("BW_SECRETS"), QStringLiteral("file"));
        env.insert(QStringLiteral("BW_DATABASE_URL"), m_pg.url(m_dbName));
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(BW_BINARY), QStringList{QStringLiteral("admin")} + args);
        if (!p.waitForStarted(10000))
            return {};
        p.write(stdinBytes);
        p.closeWriteChannel();
        p.waitForFinished(60000);
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(), p.readAllStandardError()};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_dbName = m_pg.createDatabase(); // empty: the command applies the migrations itself
        QVERIFY(!m_dbName.isEmpty());
    }

    void createUserThenLogin()
    {
        const Run r = run({"create-user", "--email", "ops@example.org", "--role", "admin", "--display-name", "Ops Person"},
                          "a long enough password\n");
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY2(r.out.contains("created admin ops@example.org"), r.out.constData());
        QVERIFY(!r.out.contains("a long enough password"));

        db::Database database(m_pg.settings(m_dbName));
        moderation::AdminAuthService auth(database);
        auto session = auth.login(QStringLiteral("ops@example.org"), QStringLiteral("a long enough password"), {});
        QVERIFY2(session, qPrintable(session ? QString() : session.error().message));
        QCOMPARE(session->caller.role, QStringLiteral("admin"));
        QCOMPARE(session->caller.displayName, QStringLiteral("Ops Person"));
        QCOMPARE(
            scalar(database.connection(), QStringLiteral("SELECT actor_type FROM audit_log WHERE action = 'admin.user_created'"))
                .toString(),
            QStringLiteral("system"));
        database.releaseThisThread();
    }

    void createUserFailures()
    {
        const Run dup = run({"create-user", "--email", "OPS@example.org", "--role", "moderator"}, "another long password\n");
        QCOMPARE(dup.code, 1);
        QVERIFY2(dup.err.contains("already exists"), dup.err.constData());
        const Run weak = run({"create-user", "--email", "weak@example.org", "--role", "moderator"}, "short\n");
        QCOMPARE(weak.code, 2);
        QVERIFY2(weak.err.contains("at least 12"), weak.err.constData());
        const Run none = run({"create-user", "--email", "none@example.org", "--role", "moderator"}, "");
        QCOMPARE(none.code, 2);
        const Run badRole = run({"create-user", "--email", "x@example.org", "--role", "king"}, "a long enough password\n");
        QCOMPARE(badRole.code, 2);
        QVERIFY(badRole.err.contains("usage"));
        const Run badEmail = run({"create-user", "--email", "not-an-email", "--role", "moderator"}, "a long enough password\n");
        QCOMPARE(badEmail.code, 2);
        const Run verb = run({"promote"}, {});
        QCOMPARE(verb.code, 2);
    }

    void resetPassword()
    {
        const Run reset = run({"reset-password", "--email", "ops@example.org"}, "the replacement password\r\n");
        QVERIFY2(reset.code == 0, reset.err.constData());
        QVERIFY2(reset.out.contains("password reset for ops@example.org"), reset.out.constData());
        db::Database database(m_pg.settings(m_dbName));
        moderation::AdminAuthService auth(database);
        QVERIFY(!auth.login(QStringLiteral("ops@example.org"), QStringLiteral("a long enough password"), {}));
        QVERIFY(auth.login(QStringLiteral("ops@example.org"), QStringLiteral("the replacement password"), {}));
        database.releaseThisThread();

        const Run unknown = run({"reset-password", "--email", "nobody@example.org"}, "the replacement password\n");
        QCOMPARE(unknown.code, 1);
        QVERIFY2(unknown.err.contains("no admin user"), unknown.err.constData());
    }
};

QTEST_GUILESS_MAIN(tst_AdminCli)
#include "tst_admincli.moc"
