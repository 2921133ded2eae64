// Recovery from the off-site copy alone, with real processes: `betterworld serve` writes data on
// machine A, `backup create` + `backup offsite` upload to the local S3 server (tests/support/s3server.js,
// SigV4 checked), then a FRESH data directory B — no local backup files, no catalogue — lists the
// store, refuses a copy the storage damaged (database untouched), restores the good one and
// drills it; a restore while B is served refuses at once.
#include "tests/support/cliprocess.h"
#include "tests/support/httpclient.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using namespace bw::test;

namespace {

QByteArray diagnose(const Run &r)
{
    return QByteArray("exit ") + QByteArray::number(r.code) + " after " + QByteArray::number(r.ms) + " ms\nstdout:\n"
           + r.out.right(1500) + "\nstderr:\n" + r.err.right(2500);
}

} // namespace

class tst_OffsiteRestore : public QObject {
    Q_OBJECT
    QTemporaryDir m_home;
    QTemporaryDir m_machineA;
    QTemporaryDir m_machineB;
    QProcess m_s3;
    quint16 m_s3Port = 0;
    QString m_apiKey;
    QString m_goodKey;    // the newest upload: restored and drilled
    QString m_damagedKey; // an older upload the storage corrupted afterwards

    QProcessEnvironment env() const
    {
        QProcessEnvironment e = cleanEnv(m_home.path());
        e.insert(QStringLiteral("BW_S3_ENDPOINT"), QStringLiteral("http://127.0.0.1:%1").arg(m_s3Port));
        e.insert(QStringLiteral("BW_S3_BUCKET"), QStringLiteral("offsite"));
        e.insert(QStringLiteral("BW_S3_REGION"), QStringLiteral("us-east-1"));
        e.insert(QStringLiteral("BW_S3_PREFIX"), QStringLiteral("pilot/"));
        e.insert(QStringLiteral("BW_S3_ACCESS_KEY_ID"), QStringLiteral("test-access"));
        e.insert(QStringLiteral("BW_SECRET_S3_SECRET_ACCESS_KEY"), QStringLiteral("test-secret"));
        return e;
    }
    Run cli(const QString &dataDir, QStringList args)
    {
        args << QStringLiteral("--data-dir") << dataDir;
        return run(args, env(), 180000);
    }
    // Serves `dataDir` and asks whether the agent registered on machine A is known there.
    int agentStatusOn(const QString &dataDir)
    {
        ServeProcess serve;
        if (!serve.start(m_home.path(), dataDir)) {
            qWarning("%s", qPrintable(serve.log()));
            return -1;
        }
        const int status = httpRequest(serve.port, "GET", "/api/v1/agents/me", {}, {{"Authorization", bearer(m_apiKey)}}).status;
        serve.stop();
        return status;
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
        if (node.isEmpty())
            QSKIP("node is not installed (the S3 test server runs on Node.js)");
        m_s3.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_s3.start(node,
                   {QStringLiteral(BW_SOURCE_DIR "/tests/support/s3server.js"), QStringLiteral("--port"), QStringLiteral("0"),
                    QStringLiteral("--access-key"), QStringLiteral("test-access"), QStringLiteral("--secret"),
                    QStringLiteral("test-secret"), QStringLiteral("--bucket"), QStringLiteral("offsite")});
        QVERIFY(m_s3.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(m_s3.canReadLine(), 15000);
        const QByteArray line = m_s3.readLine().trimmed();
        QVERIFY2(line.startsWith("listening "), line.constData());
        m_s3Port = quint16(line.mid(10).toUInt());
        for (QTemporaryDir *d : {&m_machineA, &m_machineB}) // as root the cluster's user must enter them
            QFile::setPermissions(d->path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ExeOther);
    }

    void machineAWritesDataAndCopiesItOffsite()
    {
        ServeProcess serve;
        QVERIFY2(serve.start(m_home.path(), m_machineA.path()), qPrintable(serve.log()));
        const HttpReply reg =
            httpRequest(serve.port, "POST", "/api/v1/auth/agents/register",
                        R"({"username":"offsite_survivor","framework":"custom","specializations":["elder_care"]})");
        QCOMPARE(reg.status, 201);
        m_apiKey = reg.json().value("data").toObject().value("apiKey").toString();
        QVERIFY2(!m_apiKey.isEmpty(), reg.body.constData());
        QVERIFY(serve.stop());

        QStringList keys;
        for (int i = 0; i < 2; ++i) {
            const Run created =
                cli(m_machineA.path(), {QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--json")});
            QVERIFY2(created.code == 0, diagnose(created));
            const QJsonObject b = QJsonDocument::fromJson(created.out).object();
            const Run copied =
                cli(m_machineA.path(), {QStringLiteral("backup"), QStringLiteral("offsite"), b.value("id").toString()});
            QVERIFY2(copied.code == 0 && copied.out.contains("verified"), diagnose(copied));
            keys << QStringLiteral("pilot/") + QFileInfo(b.value("path").toString()).fileName();
            QTest::qWait(20); // distinct upload times: "latest" is well defined
        }
        m_damagedKey = keys.at(0);
        m_goodKey = keys.at(1);
        // The storage rots the older copy after its verified upload.
        const HttpReply tamper =
            httpRequest(m_s3Port, "POST", QByteArray("/_tamper?bucket=offsite&key=") + QUrl::toPercentEncoding(m_damagedKey));
        QCOMPARE(tamper.status, 204);
    }

    void freshMachineListsTheStore()
    {
        QVERIFY(QDir(m_machineB.path()).isEmpty());
        const Run listed = cli(m_machineB.path(), {QStringLiteral("backup"), QStringLiteral("offsite"), QStringLiteral("list"),
                                                   QStringLiteral("--json")});
        QVERIFY2(listed.code == 0, diagnose(listed));
        const QJsonArray list = QJsonDocument::fromJson(listed.out).array();
        QCOMPARE(list.size(), 2);                                           // the manifests are not listed as backups
        QCOMPARE(list.at(0).toObject().value("key").toString(), m_goodKey); // newest first
        for (const QJsonValue &v : list) {
            QCOMPARE(v.toObject().value("sha256").toString().size(), 64);
            QVERIFY(v.toObject().value("hasManifest").toBool());
            QVERIFY(v.toObject().value("sizeBytes").toDouble() > 0);
        }
        const Run text = cli(m_machineB.path(), {QStringLiteral("backup"), QStringLiteral("offsite"), QStringLiteral("list")});
        QVERIFY2(text.code == 0 && text.out.contains(m_goodKey.toUtf8()), diagnose(text));
    }

    void damagedCopyIsRefusedAndNothingChanges()
    {
        const Run r = cli(m_machineB.path(), {QStringLiteral("backup"), QStringLiteral("restore"), QStringLiteral("--offsite"),
                                              m_damagedKey, QStringLiteral("--confirm"), QStringLiteral("betterworld")});
        QVERIFY2(r.code == 1, diagnose(r));
        QVERIFY2(r.err.contains("does not match its recorded checksum") && r.err.contains("untouched"), diagnose(r));
        QVERIFY2(!r.err.contains("[3/"), diagnose(r)); // never got past the download step
        QVERIFY(QDir(m_machineB.filePath(QStringLiteral("offsite-downloads"))).isEmpty());
        QCOMPARE(agentStatusOn(m_machineB.path()), 401); // machine B still has none of A's data
    }

    void wrongConfirmationCostsNoDownload()
    {
        const Run r = cli(m_machineB.path(), {QStringLiteral("backup"), QStringLiteral("restore"), QStringLiteral("--offsite"),
                                              m_goodKey, QStringLiteral("--confirm"), QStringLiteral("nope")});
        QVERIFY2(r.code == 2 && r.err.contains("not confirmed"), diagnose(r));
    }

    void restoreFromTheStoreAlone()
    {
        const Run r = cli(m_machineB.path(), {QStringLiteral("backup"), QStringLiteral("restore"), QStringLiteral("--offsite"),
                                              m_goodKey, QStringLiteral("--confirm"), QStringLiteral("betterworld")});
        QVERIFY2(r.code == 0 && r.out.contains("from the off-site copy"), diagnose(r));
        static const QRegularExpression took(QStringLiteral("succeeded in ([0-9.]+) s"));
        const auto m = took.match(QString::fromUtf8(r.out));
        qInfo("off-site restore: %s s in the service, %lld ms for the whole command", qPrintable(m.captured(1)), r.ms);
        QVERIFY(QDir(m_machineB.filePath(QStringLiteral("offsite-downloads"))).isEmpty()); // the download is gone
        QCOMPARE(agentStatusOn(m_machineB.path()), 200);                                   // A's agent and its key work on B
        // Recorded like any restore: the row names the off-site source.
        const Run list = cli(m_machineB.path(), {QStringLiteral("backup"), QStringLiteral("list"), QStringLiteral("--json")});
        QVERIFY2(list.code == 0, diagnose(list));
    }

    void drillOfTheLatestOffsiteCopyPasses()
    {
        const Run d = cli(m_machineB.path(), {QStringLiteral("backup"), QStringLiteral("drill"), QStringLiteral("--offsite"),
                                              QStringLiteral("--json")});
        QVERIFY2(d.code == 0, diagnose(d));
        const QJsonObject o = QJsonDocument::fromJson(d.out).object();
        QCOMPARE(o.value("key").toString(), m_goodKey);
        QVERIFY(o.value("ok").toBool());
        QVERIFY2(o.value("tablesCompared").toInt() > 5, d.out.constData()); // row counts from the manifest
        qInfo("off-site drill: download %.0f ms, restore %.0f ms, total %.0f ms", o.value("downloadMs").toDouble(),
              o.value("restoreMs").toDouble(), o.value("totalMs").toDouble());
        const Run damaged = cli(m_machineB.path(),
                                {QStringLiteral("backup"), QStringLiteral("drill"), QStringLiteral("--offsite"), m_damagedKey});
        QVERIFY2(damaged.code == 1 && damaged.err.contains("does not match"), diagnose(damaged));
    }

    void restoreWhileServingRefusesAtOnce()
    {
        ServeProcess serve;
        QVERIFY2(serve.start(m_home.path(), m_machineB.path()), qPrintable(serve.log()));
        const Run r = cli(m_machineB.path(), {QStringLiteral("backup"), QStringLiteral("restore"), QStringLiteral("--offsite"),
                                              m_goodKey, QStringLiteral("--confirm"), QStringLiteral("betterworld")});
        QVERIFY(serve.stop());
        QVERIFY2(r.code == 1 && r.err.contains("is serving this data directory"), diagnose(r));
        QVERIFY2(!r.err.contains("Downloading"), diagnose(r));
    }

    void cleanupTestCase()
    {
        if (m_s3.state() != QProcess::NotRunning) {
            m_s3.terminate();
            m_s3.waitForFinished(5000);
        }
    }
};

QTEST_GUILESS_MAIN(tst_OffsiteRestore)
#include "tst_offsiterestore.moc"
