// The heartbeat key ring against a real database and secret stores: created once, the same key
// after a "restart" (a new signer on the same store), rotation with a 30-day overlap, another
// process's rotation noticed through the settings row, expiry of the previous key, and keys
// provisioned through the environment.
#include "server/core/secretstore.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/domain/accounts/ed25519key.h"
#include "server/domain/accounts/heartbeatsigner.h"
#include "tests/support/pgfixture.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace bw;
using bw::domain::Ed25519Key;
using bw::domain::HeartbeatSigner;

class tst_HeartbeatSigner : public QObject {
    Q_OBJECT
    test::PgFixture m_pg;

    QString metadataText(db::Database &database)
    {
        auto q = db::exec(database.connection(),
                          QStringLiteral("SELECT value::text FROM settings WHERE key = 'heartbeat_signing_keys'"));
        return q && q->next() ? q->value(0).toString() : QString();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError())); }

    void createdOnceAndStableAcrossRestarts()
    {
        const QString name = m_pg.createMigratedDatabase();
        db::Database database(m_pg.settings(name));
        QTemporaryDir dir;
        FileSecretStore store(dir.filePath(QStringLiteral("secrets.json")));

        HeartbeatSigner first(store, database);
        QVERIFY(!first.isLoaded());
        QVERIFY(first.loadOrCreate());
        const auto key = first.current();
        QVERIFY(key.keyId.startsWith(QLatin1String("bw-hb-")));
        QVERIFY(store.read(QString::fromLatin1(HeartbeatSigner::kSecretName)).value().has_value());
        QCOMPARE(first.publishedKeys().size(), 1);
        const QByteArray message = "payload";
        const auto signature = first.sign(message);
        QCOMPARE(signature.keyId, key.keyId);

        // "Restart": a new signer, a new store object on the same file.
        FileSecretStore reopened(dir.filePath(QStringLiteral("secrets.json")));
        HeartbeatSigner second(reopened, database);
        QVERIFY(second.loadOrCreate());
        QCOMPARE(second.current().keyId, key.keyId);
        QCOMPARE(second.current().publicKey, key.publicKey);
        QCOMPARE(second.current().notBefore, key.notBefore); // from the settings row, not "now"
        const QByteArray spki = QByteArray::fromBase64(key.publicKey.toLatin1());
        QVERIFY(Ed25519Key::verify(spki.mid(12), message, QByteArray::fromBase64(second.sign(message).base64)));
        QVERIFY(Ed25519Key::verify(spki.mid(12), message, QByteArray::fromBase64(signature.base64)));

        const QJsonObject meta = QJsonDocument::fromJson(metadataText(database).toUtf8()).object();
        QCOMPARE(meta.value("current").toObject().value("keyId").toString(), key.keyId);
        database.releaseThisThread();
    }

    void rotationKeepsThePreviousKeyFor30Days()
    {
        const QString name = m_pg.createMigratedDatabase();
        db::Database database(m_pg.settings(name));
        MemorySecretStore store;
        HeartbeatSigner server(store, database); // a running server
        QVERIFY(server.loadOrCreate());
        const auto old = server.current();

        HeartbeatSigner cli(store, database); // `betterworld keys rotate-heartbeat` in another process
        auto rotated = cli.rotate();
        QVERIFY2(rotated, rotated ? "" : qPrintable(rotated.error().message));
        QVERIFY(rotated->keyId != old.keyId);
        const auto keys = cli.publishedKeys();
        QCOMPARE(keys.size(), 2);
        QCOMPARE(keys[0].keyId, rotated->keyId);
        QCOMPARE(keys[1].keyId, old.keyId);
        const qint64 overlap = QDateTime::currentDateTimeUtc().secsTo(keys[1].notAfter);
        QVERIFY(overlap > 30 * 86400 - 120 && overlap <= 30 * 86400);
        QVERIFY(!keys[0].notAfter.isValid());

        // The running server still signs with the old key until it sees the settings change.
        QCOMPARE(server.current().keyId, old.keyId);
        server.refreshIfChanged(metadataText(database));
        QCOMPARE(server.current().keyId, rotated->keyId);
        QCOMPARE(server.publishedKeys().size(), 2);
        QCOMPARE(server.sign("x").keyId, rotated->keyId);

        // After the overlap the previous key is dropped and its secret removed.
        QVERIFY(db::exec(database.connection(),
                         QStringLiteral("UPDATE settings SET value = jsonb_set(value, '{previous,notAfter}', to_jsonb(?::text))"
                                        " WHERE key = 'heartbeat_signing_keys'"),
                         {QStringLiteral("2020-01-01T00:00:00.000Z")}));
        HeartbeatSigner later(store, database);
        QVERIFY(later.loadOrCreate());
        QCOMPARE(later.publishedKeys().size(), 1);
        QVERIFY(!store.read(QString::fromLatin1(HeartbeatSigner::kPreviousSecretName)).value().has_value());
        database.releaseThisThread();
    }

    void environmentProvisionedKey()
    {
        const QString name = m_pg.createMigratedDatabase();
        db::Database database(m_pg.settings(name));
        auto key = Ed25519Key::generate();
        QVERIFY(key);
        const QByteArray env = FileSecretStore::environmentName(QString::fromLatin1(HeartbeatSigner::kSecretName)).toLatin1();
        qputenv(env.constData(), key->secretText());
        MemorySecretStore nodeA, nodeB; // two nodes, nothing in their own stores
        HeartbeatSigner a(nodeA, database), b(nodeB, database);
        QVERIFY(a.loadOrCreate());
        QVERIFY(b.loadOrCreate());
        QCOMPARE(a.current().keyId, key->keyId());
        QCOMPARE(b.current().keyId, key->keyId());
        QVERIFY(!nodeA.read(QString::fromLatin1(HeartbeatSigner::kSecretName)).value().has_value());
        QVERIFY(!a.rotate()); // rotate by changing the environment on every node instead
        qunsetenv(env.constData());
        database.releaseThisThread();
    }

    void malformedSecretIsAClearError()
    {
        const QString name = m_pg.createMigratedDatabase();
        db::Database database(m_pg.settings(name));
        MemorySecretStore store;
        QVERIFY(store.write(QString::fromLatin1(HeartbeatSigner::kSecretName), "garbage"));
        HeartbeatSigner signer(store, database);
        const Status s = signer.loadOrCreate();
        QVERIFY(!s);
        QVERIFY2(s.error().message.contains(QLatin1String("heartbeat-signing-key")), qPrintable(s.error().message));
        database.releaseThisThread();
    }
};

QTEST_GUILESS_MAIN(tst_HeartbeatSigner)
#include "tst_heartbeatsigner.moc"
