// The real `betterworld` binary as a user runs it: help, exit codes for bad settings, `serve` on the
// embedded database (first run, restart, SIGTERM drain, kill -9 recovery) and `migrate status|up`.
#include "tests/support/cliprocess.h"
#include "tests/support/httpclient.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace bw::test;

class tst_CliProcess : public QObject {
    Q_OBJECT
    QTemporaryDir m_home;

private Q_SLOTS:
    void helpAndVersion()
    {
        Run r = run({QStringLiteral("--help")}, cleanEnv(m_home.path()));
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("serve"));
        QVERIFY(r.out.contains("migrate"));
        QVERIFY(r.out.contains("BW_DATABASE_URL"));
        r = run({QStringLiteral("--version")}, cleanEnv(m_home.path()));
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.startsWith("betterworld "));
    }

    void invalidSettingsExitWithCode2_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("envName");
        QTest::addColumn<QString>("envValue");
        QTest::addColumn<QByteArray>("mentions");
        // clang-format off
        QTest::newRow("bad listen flag") << QStringList{"serve", "--listen", "nonsense"} << QString() << QString() << QByteArray("server/listen");
        QTest::newRow("bad env") << QStringList{"serve"} << "BW_IO_THREADS" << "0" << QByteArray("BW_IO_THREADS");
        QTest::newRow("unknown command") << QStringList{"fly"} << QString() << QString() << QByteArray("unknown command");
        QTest::newRow("bad migrate verb") << QStringList{"migrate", "sideways"} << QString() << QString() << QByteArray("migrate status|up");
        QTest::newRow("unknown option") << QStringList{"serve", "--frobnicate"} << QString() << QString() << QByteArray("frobnicate");
        QTest::newRow("bad --set") << QStringList{"serve", "--set", "rate_limit/public=-3"} << QString() << QString() << QByteArray("rate_limit/public");
        QTest::newRow("missing config file") << QStringList{"serve", "--config", "/nonexistent/bw.conf"} << QString() << QString() << QByteArray("does not exist");
        // clang-format on
    }
    void invalidSettingsExitWithCode2()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, envName);
        QFETCH(QString, envValue);
        QFETCH(QByteArray, mentions);
        QProcessEnvironment env = cleanEnv(m_home.path());
        if (!envName.isEmpty())
            env.insert(envName, envValue);
        const Run r = run(args, env);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(mentions), r.err.constData());
        QVERIFY(!r.err.contains("Segmentation"));
    }

    void invalidConfigFileExitsWithCode2()
    {
        const QString file = m_home.path() + QStringLiteral("/bad.conf");
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[server]\nlisten=127.0.0.1:99999\n");
        f.close();
        const Run r = run({QStringLiteral("serve"), QStringLiteral("--config"), file}, cleanEnv(m_home.path()));
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains("bad.conf"));
    }

    void missingPostgresBinariesNameThePackage()
    {
        QTemporaryDir data;
        QProcessEnvironment env = cleanEnv(m_home.path());
        env.insert(QStringLiteral("BW_PG_BINDIR"), QStringLiteral("/nonexistent/bin"));
        const Run r = run({QStringLiteral("serve"), QStringLiteral("--data-dir"), data.path(), QStringLiteral("--listen"),
                           QStringLiteral("127.0.0.1:%1").arg(freePort())},
                          env);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("postgresql"), r.err.right(600).constData());
    }

    void serveEmbeddedLifecycle()
    {
        QTemporaryDir data;
        // As root the embedded cluster runs as 'postgres', which must be able to enter the data dir.
        QFile::setPermissions(data.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ExeOther);
        const quint16 port = freePort();
        const QStringList args{QStringLiteral("serve"), QStringLiteral("--data-dir"), data.path(), QStringLiteral("--listen"),
                               QStringLiteral("127.0.0.1:%1").arg(port)};
        const QProcessEnvironment env = cleanEnv(m_home.path());

        // First run: initdb + migrations.
        QProcess server;
        server.setProcessEnvironment(env);
        server.start(betterworldBinary(), args);
        qint64 firstMs = 0;
        QVERIFY2(waitReady(server, port, 60000, &firstMs), server.readAllStandardError().right(2000).constData());
        qInfo("first run to /ready: %lld ms", firstMs);
        const HttpReply ready = httpRequest(port, "GET", "/ready");
        const QJsonObject checks = ready.json().value("data").toObject().value("checks").toObject();
        QCOMPARE(checks.value("database").toString(), QStringLiteral("ok"));
        QCOMPARE(checks.value("migrations").toString(), QStringLiteral("ok"));
        QVERIFY(QFile::exists(data.path() + QStringLiteral("/secrets.json")));
        QCOMPARE(QFile::permissions(data.path() + QStringLiteral("/secrets.json")) & (QFile::ReadOther | QFile::ReadGroup),
                 QFile::Permissions());
        QVERIFY(QFile::exists(data.path() + QStringLiteral("/logs/betterworld.log")));

        // Acknowledged write, then SIGTERM: clean exit within the drain limit.
        const HttpReply reg = httpRequest(port, "POST", "/api/v1/auth/agents/register",
                                          R"({"username":"survivor","framework":"custom","specializations":["elder_care"]})");
        QCOMPARE(reg.status, 201);
        ::kill(pid_t(server.processId()), SIGTERM);
        QVERIFY(server.waitForFinished(30000));
        QCOMPARE(server.exitStatus(), QProcess::NormalExit);
        QCOMPARE(server.exitCode(), 0);
        QVERIFY(!QFile::exists(data.path() + QStringLiteral("/postgres/postmaster.pid")));

        // Second run on the existing cluster; then kill -9 (no cleanup at all).
        server.start(betterworldBinary(), args);
        qint64 secondMs = 0;
        QVERIFY(waitReady(server, port, 30000, &secondMs));
        qInfo("existing cluster to /ready: %lld ms", secondMs);
        const QString key = reg.json().value("data").toObject().value("apiKey").toString();
        QCOMPARE(httpRequest(port, "GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(key)}}).status, 200);
        server.kill();
        QVERIFY(server.waitForFinished(10000));

        // Third run recovers (stale pid, crash recovery) and still has the acknowledged write.
        QTest::qWait(500); // the orphaned postgres gets SIGINT via PDEATHSIG and shuts down
        server.start(betterworldBinary(), args);
        QVERIFY2(waitReady(server, port, 60000), server.readAllStandardError().right(2000).constData());
        QCOMPARE(httpRequest(port, "GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(key)}}).status, 200);
        ::kill(pid_t(server.processId()), SIGTERM);
        QVERIFY(server.waitForFinished(30000));
        QCOMPARE(server.exitCode(), 0);

        // migrate status on the same data dir: everything applied.
        const Run status =
            run({QStringLiteral("migrate"), QStringLiteral("status"), QStringLiteral("--data-dir"), data.path()}, env);
        QCOMPARE(status.code, 0);
        QVERIFY2(status.out.contains("0001") && status.out.contains("applied"), status.out.constData());
        QVERIFY(!status.out.contains("pending"));
        const Run up = run({QStringLiteral("migrate"), QStringLiteral("up"), QStringLiteral("--data-dir"), data.path()}, env);
        QCOMPARE(up.code, 0);
        QVERIFY(up.out.contains("up to date"));
    }
};

QTEST_GUILESS_MAIN(tst_CliProcess)
#include "tst_cliprocess.moc"
