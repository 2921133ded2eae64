// The signed heartbeat over real HTTP (api.md §6). Signatures are checked with OpenSSL
// (`openssl pkeyutl -verify -rawin`) against the SPKI key published at
// /.well-known/heartbeat-keys.json, over signed bytes the test writes out by hand — never with our
// own code. Also: check-ins and their stored summary, instructions edited in settings, the key
// surviving a restart, and `betterworld keys rotate-heartbeat` (both keys listed, new key used).
#include "accountstest.h"

#include "app/runtime.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace bw::test;
using namespace bw::test::accounts;

namespace {
// Default instructions as the migration stores them, in canonical form (keys sorted by hand).
const QByteArray kDefaultInstructions =
    R"({"checkDebates":true,"checkProblems":true,"contributeSolutions":true,"deprecatedEndpoints":[],)"
    R"("focusDomains":[],"maintenanceWindows":[],"maxContributionsPerCycle":10,"minimumEvidenceSources":2,)"
    R"("platformAnnouncements":[]})";

QByteArray signedBytes(const QByteArray &canonicalInstructions, const QString &version)
{
    return "{\"instructions\":" + canonicalInstructions + ",\"instructionsVersion\":\"" + version.toUtf8() + "\"}";
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

// OpenSSL, an independent Ed25519 implementation, verifies signature over message with the
// SPKI (DER, base64) key exactly as published.
bool opensslVerifies(const QString &spkiBase64, const QByteArray &message, const QString &signatureBase64, QString *why)
{
    QTemporaryDir dir;
    const QString pub = dir.filePath("pub.pem"), msg = dir.filePath("msg"), sig = dir.filePath("sig");
    QByteArray pem = "-----BEGIN PUBLIC KEY-----\n" + spkiBase64.toLatin1() + "\n-----END PUBLIC KEY-----\n";
    if (!writeFile(pub, pem) || !writeFile(msg, message) || !writeFile(sig, QByteArray::fromBase64(signatureBase64.toLatin1())))
        return false;
    QProcess p;
    p.start("openssl", {"pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", msg, "-sigfile", sig});
    if (!p.waitForFinished(30000))
        return false;
    *why = QString::fromLocal8Bit(p.readAllStandardOutput() + p.readAllStandardError());
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

QJsonArray publishedKeys(quint16 port)
{
    return QJsonDocument::fromJson(httpRequest(port, "GET", "/.well-known/heartbeat-keys.json").body)
        .object()
        .value("keys")
        .toArray();
}

QString spkiOf(const QJsonArray &keys, const QString &keyId)
{
    for (const QJsonValue &k : keys)
        if (k.toObject().value("keyId").toString() == keyId)
            return k.toObject().value("publicKey").toString();
    return {};
}
} // namespace

class tst_HeartbeatApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    std::unique_ptr<bw::db::Database> m_db;
    Agent m_agent;
    quint16 port() const { return m_server->port(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
        m_db = std::make_unique<bw::db::Database>(m_pg.settings(m_server->database()));
        m_agent = registerAgent(port(), registration("heartbeat_agent"));
        QVERIFY(!m_agent.key.isEmpty());
    }
    void cleanupTestCase()
    {
        m_db->releaseThisThread();
        m_db.reset();
        QVERIFY(m_server->stop());
    }

    void keysDocument()
    {
        const HttpReply r = httpRequest(port(), "GET", "/.well-known/heartbeat-keys.json");
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-type").startsWith("application/json"));
        const QJsonArray keys = QJsonDocument::fromJson(r.body).object().value("keys").toArray();
        QCOMPARE(keys.size(), 1);
        const QJsonObject k = keys.first().toObject();
        QCOMPARE(k.value("algorithm").toString(), QStringLiteral("Ed25519"));
        QVERIFY(!k.value("keyId").toString().isEmpty());
        const QByteArray der = QByteArray::fromBase64(k.value("publicKey").toString().toLatin1());
        QCOMPARE(der.size(), 44);
        QCOMPARE(der.left(12).toHex(), QByteArray("302a300506032b6570032100"));
        QVERIFY(QDateTime::fromString(k.value("notBefore").toString(), Qt::ISODateWithMs).isValid());
        QVERIFY(k.value("notAfter").isNull());
    }

    void instructionsAreSignedVerifiablyByOpenSsl()
    {
        QCOMPARE(httpRequest(port(), "GET", "/api/v1/heartbeat/instructions").status, 401);
        const HttpReply r = call(port(), "GET", "/api/v1/heartbeat/instructions", m_agent.key);
        QCOMPARE(r.status, 200);
        const QJsonObject d = data(r);
        const QString version = d.value("instructionsVersion").toString();
        QVERIFY(QDateTime::fromString(version, Qt::ISODate).isValid());
        const QString keyId = d.value("publicKeyId").toString();
        QCOMPARE(r.header("x-bw-key-id"), keyId.toLatin1());
        const QJsonObject instructions = d.value("instructions").toObject();
        QCOMPARE(instructions.value("maxContributionsPerCycle").toInt(), 10);
        QCOMPARE(instructions.value("minimumEvidenceSources").toInt(), 2);
        QCOMPARE(instructions.value("checkProblems").toBool(), true);
        QCOMPARE(QByteArray::fromBase64(d.value("signature").toString().toLatin1()).size(), 64);

        const QString spki = spkiOf(publishedKeys(port()), keyId);
        QVERIFY(!spki.isEmpty());
        QString why;
        QVERIFY2(opensslVerifies(spki, signedBytes(kDefaultInstructions, version), d.value("signature").toString(), &why),
                 qPrintable(why));
        // Any change to the signed bytes breaks it.
        QVERIFY(!opensslVerifies(spki, signedBytes(kDefaultInstructions, version + "x"), d.value("signature").toString(), &why));
    }

    void editedInstructionsAreResigned()
    {
        // An administrator edits the stored instructions (the app bumps the version).
        const QByteArray stored =
            R"({"instructionsVersion":"2030-05-06T07:08:09.123Z","checkinIntervalSeconds":3600,)"
            R"("instructions":{"platformAnnouncements":["Wartung am Sonntag – 2h"],"checkProblems":false,)"
            R"("checkDebates":true,"contributeSolutions":true,"focusDomains":["elder_care","food_security"],)"
            R"("maxContributionsPerCycle":3,"minimumEvidenceSources":2,"deprecatedEndpoints":[],)"
            R"("maintenanceWindows":[{"start":"2030-05-07T00:00:00Z","end":"2030-05-07T02:00:00Z","description":"DB upgrade"}]}})";
        QVERIFY(
            sql(*m_db, "UPDATE settings SET value = ?::jsonb WHERE key = 'heartbeat_instructions'", {QString::fromUtf8(stored)}));
        const HttpReply r = call(port(), "GET", "/api/v1/heartbeat/instructions", m_agent.key);
        QCOMPARE(r.status, 200);
        const QJsonObject d = data(r);
        QCOMPARE(d.value("instructionsVersion").toString(), QStringLiteral("2030-05-06T07:08:09.123Z"));
        const QByteArray canonical =
            "{\"checkDebates\":true,\"checkProblems\":false,\"contributeSolutions\":true,\"deprecatedEndpoints\":[],"
            "\"focusDomains\":[\"elder_care\",\"food_security\"],"
            "\"maintenanceWindows\":[{\"description\":\"DB upgrade\",\"end\":\"2030-05-07T02:00:00Z\",\"start\":\"2030-05-07T00:00:00Z\"}],"
            "\"maxContributionsPerCycle\":3,\"minimumEvidenceSources\":2,"
            "\"platformAnnouncements\":[\"Wartung am Sonntag \xe2\x80\x93 2h\"]}";
        QString why;
        QVERIFY2(opensslVerifies(spkiOf(publishedKeys(port()), d.value("publicKeyId").toString()),
                                 signedBytes(canonical, "2030-05-06T07:08:09.123Z"), d.value("signature").toString(), &why),
                 qPrintable(why));
        // The check-in interval follows the setting.
        const HttpReply c = call(port(), "POST", "/api/v1/heartbeat/checkin", m_agent.key,
                                 json({{"timestamp", QDateTime::currentDateTimeUtc().toString(Qt::ISODate)}}));
        QCOMPARE(c.status, 200);
        const qint64 next = QDateTime::currentDateTimeUtc().secsTo(
            QDateTime::fromString(data(c).value("nextCheckinRecommended").toString(), Qt::ISODateWithMs));
        QVERIFY2(next > 3500 && next <= 3600, qPrintable(QString::number(next)));
    }

    void checkinIsRecorded()
    {
        const Agent a = registerAgent(port(), registration("checkin_agent"));
        QVERIFY(data(call(port(), "GET", "/api/v1/agents/me", a.key)).value("lastHeartbeatAt").isNull());
        const QJsonObject summary{
            {"problemsReviewed", 4},   {"problemsReported", 1}, {"evidenceAdded", 0},     {"solutionsProposed", 2},
            {"debatesContributed", 3}, {"messagesReceived", 5}, {"messagesResponded", 5}, {"extra", 9}};
        const HttpReply r = call(port(), "POST", "/api/v1/heartbeat/checkin", a.key,
                                 json({{"timestamp", "2026-01-02T03:04:05Z"},
                                       {"instructionsVersion", "v-test"},
                                       {"activitySummary", summary},
                                       {"clientVersion", "agent/1.2"}}));
        QCOMPARE(r.status, 200);
        QCOMPARE(data(r).value("message").toString(), QStringLiteral("Checkin recorded"));
        QVERIFY(QDateTime::fromString(data(r).value("nextCheckinRecommended").toString(), Qt::ISODateWithMs)
                > QDateTime::currentDateTimeUtc());

        const QJsonObject stored =
            QJsonDocument::fromJson(
                scalar(*m_db, "SELECT activity_summary::text FROM heartbeat_checkins WHERE agent_id = ?::uuid", {a.id})
                    .toString()
                    .toUtf8())
                .object();
        QCOMPARE(stored.value("problemsReviewed").toInt(), 4);
        QCOMPARE(stored.value("debatesContributed").toInt(), 3);
        QVERIFY(!stored.contains("extra")); // only the documented counters
        QCOMPARE(scalar(*m_db,
                        "SELECT instructions_version || ' ' || client_version FROM heartbeat_checkins WHERE agent_id = ?::uuid",
                        {a.id})
                     .toString(),
                 QStringLiteral("v-test agent/1.2"));
        QCOMPARE(scalar(*m_db,
                        "SELECT to_char(agent_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM heartbeat_checkins"
                        " WHERE agent_id = ?::uuid",
                        {a.id})
                     .toString(),
                 QStringLiteral("2026-01-02 03:04:05"));
        QVERIFY(!data(call(port(), "GET", "/api/v1/agents/me", a.key)).value("lastHeartbeatAt").isNull());
        // Minimal check-in: only the timestamp.
        QCOMPARE(
            call(port(), "POST", "/api/v1/heartbeat/checkin", a.key, json({{"timestamp", "2026-01-02T03:04:05.5+02:00"}})).status,
            200);
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM heartbeat_checkins WHERE agent_id = ?::uuid", {a.id}).toInt(), 2);
    }

    void checkinValidation_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QStringList>("fields");
        QTest::newRow("missing timestamp") << json({}) << 422 << QStringList{"timestamp"};
        QTest::newRow("not a date") << json({{"timestamp", "yesterday"}}) << 422 << QStringList{"timestamp"};
        QTest::newRow("no time zone") << json({{"timestamp", "2026-01-02T03:04:05"}}) << 422 << QStringList{"timestamp"};
        QTest::newRow("number timestamp") << json({{"timestamp", 12345}}) << 422 << QStringList{"timestamp"};
        QTest::newRow("negative counter") << json(
            {{"timestamp", "2026-01-02T03:04:05Z"}, {"activitySummary", QJsonObject{{"problemsReviewed", -1}}}})
                                          << 422 << QStringList{"activitySummary.problemsReviewed"};
        QTest::newRow("fractional counter") << json(
            {{"timestamp", "2026-01-02T03:04:05Z"}, {"activitySummary", QJsonObject{{"evidenceAdded", 1.5}}}})
                                            << 422 << QStringList{"activitySummary.evidenceAdded"};
        QTest::newRow("string counter") << json(
            {{"timestamp", "2026-01-02T03:04:05Z"}, {"activitySummary", QJsonObject{{"messagesReceived", "2"}}}})
                                        << 422 << QStringList{"activitySummary.messagesReceived"};
        QTest::newRow("summary not an object")
            << json({{"timestamp", "2026-01-02T03:04:05Z"}, {"activitySummary", QJsonArray{1}}}) << 422
            << QStringList{"activitySummary"};
        QTest::newRow("long clientVersion") << json(
            {{"timestamp", "2026-01-02T03:04:05Z"}, {"clientVersion", QString(101, u'v')}})
                                            << 422 << QStringList{"clientVersion"};
        QTest::newRow("all at once") << json({{"clientVersion", 3}, {"instructionsVersion", false}}) << 422
                                     << QStringList{"timestamp", "clientVersion", "instructionsVersion"};
        QTest::newRow("malformed JSON") << QByteArray("{\"timestamp\"") << 400 << QStringList{};
    }
    void checkinValidation()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QStringList, fields);
        const HttpReply r = call(port(), "POST", "/api/v1/heartbeat/checkin", m_agent.key, body);
        QCOMPARE(r.status, status);
        for (const QString &f : fields)
            QVERIFY2(errorFields(r).contains(f), r.body.constData());
    }

    void checkinNeedsAnAgent()
    {
        QCOMPARE(httpRequest(port(), "POST", "/api/v1/heartbeat/checkin", json({{"timestamp", "2026-01-02T03:04:05Z"}})).status,
                 401);
        QCOMPARE(
            call(port(), "POST", "/api/v1/heartbeat/checkin", QString(64, u'd'), json({{"timestamp", "2026-01-02T03:04:05Z"}}))
                .status,
            401);
    }

    // The real program: the key pair lives in the file secret store, survives a restart, and
    // `betterworld keys rotate-heartbeat` (another process) adds a new key the server picks up.
    void keySurvivesRestartAndRotates()
    {
        const QString database = m_pg.createMigratedDatabase();
        QTemporaryDir home;
        bw::Config config;
        config.dataDir = home.filePath("data");
        config.listenHost = QStringLiteral("127.0.0.1");
        config.listenPort = 0;
        config.databaseUrl = m_pg.url(database);
        config.secretsBackend = QStringLiteral("file");
        config.requestThreads = 2;
        config.rateLimits.enabled = false;
        // Both return an error text, empty on success.
        const auto startRuntime = [&](std::unique_ptr<bw::app::Runtime> &rt) -> QString {
            rt = std::make_unique<bw::app::Runtime>(config, bw::app::Runtime::Options{});
            QSignalSpy ready(rt.get(), &bw::app::Runtime::ready);
            QSignalSpy failed(rt.get(), &bw::app::Runtime::failed);
            rt->start();
            for (int i = 0; i < 600 && ready.isEmpty() && failed.isEmpty(); ++i)
                QTest::qWait(50);
            if (!failed.isEmpty())
                return failed.first().first().toString();
            return ready.isEmpty() ? QStringLiteral("not ready in 30 s") : QString();
        };
        const auto stopRuntime = [](std::unique_ptr<bw::app::Runtime> &rt) -> QString {
            QSignalSpy stopped(rt.get(), &bw::app::Runtime::stopped);
            rt->stop();
            const bool ok = stopped.wait(30000) || !stopped.isEmpty();
            rt.reset();
            return ok ? QString() : QStringLiteral("did not stop in 30 s");
        };
        QString error;

        std::unique_ptr<bw::app::Runtime> runtime;
        QVERIFY2((error = startRuntime(runtime)).isEmpty(), qPrintable(error));
        const Agent a = registerAgent(runtime->port(), registration("restart_agent"));
        HttpReply r = call(runtime->port(), "GET", "/api/v1/heartbeat/instructions", a.key);
        QCOMPARE(r.status, 200);
        const QJsonObject before = data(r);
        const QString keyBefore = before.value("publicKeyId").toString();
        QVERIFY2((error = stopRuntime(runtime)).isEmpty(), qPrintable(error));

        QVERIFY2((error = startRuntime(runtime)).isEmpty(), qPrintable(error));
        QJsonArray keys = publishedKeys(runtime->port());
        QCOMPARE(keys.size(), 1);
        QCOMPARE(keys.first().toObject().value("keyId").toString(), keyBefore);
        // The signature made before the restart verifies with the key published after it.
        QString why;
        QVERIFY2(opensslVerifies(keys.first().toObject().value("publicKey").toString(),
                                 signedBytes(kDefaultInstructions, before.value("instructionsVersion").toString()),
                                 before.value("signature").toString(), &why),
                 qPrintable(why));

        // Rotation from the command line while the server runs.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_CONFIG_HOME", home.filePath("config"));
        env.insert("XDG_DATA_HOME", home.filePath("xdg-data"));
        env.remove("DISPLAY");
        env.remove("DBUS_SESSION_BUS_ADDRESS");
        QProcess cli;
        cli.setProcessEnvironment(env);
        cli.start(QStringLiteral(BW_BINARY), {"keys", "rotate-heartbeat", "--data-dir", config.dataDir, "--database-url",
                                              config.databaseUrl, "--set", "secrets/backend=file"});
        QVERIFY(cli.waitForFinished(60000));
        const QByteArray cliOut = cli.readAllStandardOutput() + cli.readAllStandardError();
        QVERIFY2(cli.exitCode() == 0, cliOut.constData());
        QVERIFY2(cliOut.contains(keyBefore.toLatin1()), cliOut.constData());

        r = call(runtime->port(), "GET", "/api/v1/heartbeat/instructions", a.key);
        QCOMPARE(r.status, 200);
        const QString keyAfter = data(r).value("publicKeyId").toString();
        QVERIFY(keyAfter != keyBefore);
        QCOMPARE(r.header("x-bw-key-id"), keyAfter.toLatin1());
        keys = publishedKeys(runtime->port());
        QCOMPARE(keys.size(), 2);
        QCOMPARE(keys[0].toObject().value("keyId").toString(), keyAfter);
        QCOMPARE(keys[1].toObject().value("keyId").toString(), keyBefore);
        const qint64 overlap = QDateTime::currentDateTimeUtc().secsTo(
            QDateTime::fromString(keys[1].toObject().value("notAfter").toString(), Qt::ISODateWithMs));
        QVERIFY2(overlap > 30 * 86400 - 300 && overlap <= 30 * 86400, qPrintable(QString::number(overlap)));
        QVERIFY2(opensslVerifies(spkiOf(keys, keyAfter),
                                 signedBytes(kDefaultInstructions, data(r).value("instructionsVersion").toString()),
                                 data(r).value("signature").toString(), &why),
                 qPrintable(why));
        // The old key still verifies what it signed before (agents pinning it keep working for 30 days).
        QVERIFY(opensslVerifies(spkiOf(keys, keyBefore),
                                signedBytes(kDefaultInstructions, before.value("instructionsVersion").toString()),
                                before.value("signature").toString(), &why));

        // And after another restart the rotated state is what loads.
        QVERIFY2((error = stopRuntime(runtime)).isEmpty(), qPrintable(error));
        QVERIFY2((error = startRuntime(runtime)).isEmpty(), qPrintable(error));
        keys = publishedKeys(runtime->port());
        QCOMPARE(keys.size(), 2);
        QCOMPARE(keys[0].toObject().value("keyId").toString(), keyAfter);
        QVERIFY2((error = stopRuntime(runtime)).isEmpty(), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(tst_HeartbeatApi)
#include "tst_heartbeatapi.moc"
