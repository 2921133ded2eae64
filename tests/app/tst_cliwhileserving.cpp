// The operations CLI while `betterworld serve` runs on the same data directory: every command works
// through the running server's embedded PostgreSQL at once (no 15 s wait, no second cluster), the
// ones that need the database to themselves refuse at once and say what to do, a second `serve`
// refuses at once, and the running server never notices.
#include "tests/support/cliprocess.h"
#include "tests/support/httpclient.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace bw::test;

namespace {
QByteArray diagnose(const Run &r)
{
    return QByteArray("exit ") + QByteArray::number(r.code) + " after " + QByteArray::number(r.ms) + " ms\nstdout:\n"
           + r.out.right(1500) + "\nstderr:\n" + r.err.right(2500);
}
} // namespace

class tst_CliWhileServing : public QObject {
    Q_OBJECT
    QTemporaryDir m_home;
    QTemporaryDir m_data;
    ServeProcess m_serve;
    qint64 m_postmaster = 0;

    Run cli(QStringList args, const QByteArray &stdinText = {})
    {
        args << QStringLiteral("--data-dir") << m_data.path();
        return run(args, cleanEnv(m_home.path()), 120000, stdinText);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_serve.start(m_home.path(), m_data.path()), qPrintable(m_serve.log()));
        m_postmaster = postmasterPid(m_data.path());
        QVERIFY(m_postmaster > 0);
    }

    void backupsWhileServing()
    {
        const Run empty = cli({QStringLiteral("backup"), QStringLiteral("list")});
        QVERIFY2(empty.code == 0, diagnose(empty));

        const Run created = cli({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--json")});
        QVERIFY2(created.code == 0, diagnose(created));
        const QString id = QJsonDocument::fromJson(created.out).object().value(QStringLiteral("id")).toString();
        QVERIFY2(!id.isEmpty(), created.out.constData());

        const Run listed = cli({QStringLiteral("backup"), QStringLiteral("list"), QStringLiteral("--json")});
        QVERIFY2(listed.code == 0, diagnose(listed));
        const QJsonArray list = QJsonDocument::fromJson(listed.out).array();
        QVERIFY(std::any_of(list.begin(), list.end(), [&](const QJsonValue &b) {
            return b.toObject().value(QStringLiteral("id")).toString() == id
                   && b.toObject().value(QStringLiteral("status")).toString() == u"completed";
        }));

        const Run verified = cli({QStringLiteral("backup"), QStringLiteral("verify"), id});
        QVERIFY2(verified.code == 0 && verified.out.contains("OK"), diagnose(verified));

        const Run archive =
            cli({QStringLiteral("backup"), QStringLiteral("archive"), QStringLiteral("status"), QStringLiteral("--json")});
        const QJsonObject status = QJsonDocument::fromJson(archive.out).object();
        QVERIFY2(status.contains(QStringLiteral("enabled")), diagnose(archive));
    }

    void migrationsAndAccountsWhileServing()
    {
        const Run status = cli({QStringLiteral("migrate"), QStringLiteral("status")});
        QVERIFY2(status.code == 0 && status.out.contains("applied") && !status.out.contains("pending"), diagnose(status));
        const Run up = cli({QStringLiteral("migrate"), QStringLiteral("up")});
        QVERIFY2(up.code == 0 && up.out.contains("up to date"), diagnose(up));

        const Run user = cli({QStringLiteral("admin"), QStringLiteral("create-user"), QStringLiteral("--email"),
                              QStringLiteral("ops@example.org"), QStringLiteral("--role"), QStringLiteral("admin")},
                             "correct horse battery staple 42\n");
        QVERIFY2(user.code == 0, diagnose(user));
        // Written through the running server's database: the server lets the new administrator in.
        const HttpReply login = httpRequest(m_serve.port, "POST", "/api/v1/admin/auth/login",
                                            R"({"email":"ops@example.org","password":"correct horse battery staple 42"})");
        QVERIFY2(login.status == 200, login.body.constData());
    }

    void restoreRefusesAtOnceAndSaysWhatToDo()
    {
        const Run restore = cli(
            {QStringLiteral("backup"), QStringLiteral("restore"), QStringLiteral("--confirm"), QStringLiteral("betterworld")});
        QVERIFY2(restore.code == 1, diagnose(restore));
        QVERIFY2(restore.err.contains("is serving this data directory") && restore.err.contains("Stop it"), diagnose(restore));
        QVERIFY2(restore.err.contains(QByteArray::number(m_serve.process.processId())), diagnose(restore));
    }

    void secondServeRefusesAtOnce()
    {
        const Run second = run({QStringLiteral("serve"), QStringLiteral("--data-dir"), m_data.path(), QStringLiteral("--listen"),
                                QStringLiteral("127.0.0.1:%1").arg(freePort())},
                               cleanEnv(m_home.path()), 60000);
        QVERIFY2(second.code == 1, diagnose(second));
        QVERIFY2(second.err.contains("already running"), diagnose(second));
        // At once: the old code waited 15 s for the "orphan" to go away first.
        QVERIFY2(second.ms < 10000, diagnose(second));
    }

    void theServerNeverNoticed()
    {
        QCOMPARE(postmasterPid(m_data.path()), m_postmaster);
        QCOMPARE(httpRequest(m_serve.port, "GET", "/ready").status, 200);
        const HttpReply reg = httpRequest(m_serve.port, "POST", "/api/v1/auth/agents/register",
                                          R"({"username":"afterthecli","framework":"custom","specializations":["elder_care"]})");
        QCOMPARE(reg.status, 201);
    }

    void cleanupTestCase() { QVERIFY2(m_serve.stop(), qPrintable(m_serve.log())); }
};

QTEST_GUILESS_MAIN(tst_CliWhileServing)
#include "tst_cliwhileserving.moc"
