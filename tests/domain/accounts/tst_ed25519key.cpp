// Ed25519 keys (libsodium) checked against OpenSSL as an independent implementation: the same
// seed gives the same SPKI public key, and our signatures verify with `openssl pkeyutl`.
#include "server/domain/accounts/ed25519key.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using bw::domain::Ed25519Key;

namespace {
struct Run {
    int code = -1;
    QByteArray out, err;
};
Run openssl(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral("openssl"), args);
    if (!p.waitForFinished(30000))
        return {};
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}
bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}
} // namespace

class tst_Ed25519Key : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString path(const char *name) const { return m_dir.filePath(QLatin1String(name)); }

private Q_SLOTS:
    void generateSignVerify()
    {
        auto key = Ed25519Key::generate();
        QVERIFY(key);
        QCOMPARE(key->publicKey().size(), 32);
        QCOMPARE(key->spkiDer().size(), 44);
        QCOMPARE(key->spkiDer().left(12).toHex(), QByteArray("302a300506032b6570032100"));
        const QByteArray sig = key->sign("hello");
        QCOMPARE(sig.size(), 64);
        QVERIFY(Ed25519Key::verify(key->publicKey(), "hello", sig));
        QVERIFY(!Ed25519Key::verify(key->publicKey(), "hellO", sig));
        QVERIFY(key->keyId().startsWith(QLatin1String("bw-hb-")));
    }

    void secretRoundTrip()
    {
        auto key = Ed25519Key::generate();
        QVERIFY(key);
        auto again = Ed25519Key::fromSecret(key->secretText());
        QVERIFY(again);
        QCOMPARE(again->publicKey(), key->publicKey());
        QCOMPARE(again->keyId(), key->keyId());
        QVERIFY(!Ed25519Key::fromSecret("not base64 !!"));
        QVERIFY(!Ed25519Key::fromSecret(QByteArray(31, 'a').toBase64()));
    }

    void matchesOpenSsl()
    {
        QVERIFY(m_dir.isValid());
        // A key made by OpenSSL, loaded from its PKCS#8 PEM: same public key as OpenSSL derives.
        QCOMPARE(openssl({"genpkey", "-algorithm", "ed25519", "-out", path("priv.pem")}).code, 0);
        const Run pub = openssl({"pkey", "-in", path("priv.pem"), "-pubout", "-outform", "DER"});
        QCOMPARE(pub.code, 0);
        QFile pem(path("priv.pem"));
        QVERIFY(pem.open(QIODevice::ReadOnly));
        auto key = Ed25519Key::fromSecret(pem.readAll());
        QVERIFY2(key, key ? "" : qPrintable(key.error().message));
        QCOMPARE(key->spkiDer().toHex(), pub.out.toHex());

        // Our signature verifies with OpenSSL and the published SPKI (PEM) key.
        const QByteArray message = R"({"instructions":{"a":1},"instructionsVersion":"v1"})";
        QVERIFY(writeFile(path("msg.bin"), message));
        QVERIFY(writeFile(path("sig.bin"), key->sign(message)));
        QVERIFY(writeFile(path("pub.pem"), key->spkiPem()));
        const Run ok = openssl({"pkeyutl", "-verify", "-pubin", "-inkey", path("pub.pem"), "-rawin", "-in", path("msg.bin"),
                                "-sigfile", path("sig.bin")});
        QVERIFY2(ok.code == 0, ok.err.constData());
        QVERIFY(writeFile(path("msg.bin"), message + ' '));
        QVERIFY(openssl({"pkeyutl", "-verify", "-pubin", "-inkey", path("pub.pem"), "-rawin", "-in", path("msg.bin"), "-sigfile",
                         path("sig.bin")})
                    .code
                != 0);
    }
};

QTEST_GUILESS_MAIN(tst_Ed25519Key)
#include "tst_ed25519key.moc"
