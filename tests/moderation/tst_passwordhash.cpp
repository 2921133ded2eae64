// Argon2id password hashing (libsodium): format, verification, rehash detection, policy, and the
// cap on concurrent hashes.

#include "server/moderation/passwordhash.h"

#include <QElapsedTimer>
#include <QTest>

#include <sodium.h>

#include <thread>
#include <vector>

using namespace bw::moderation;

class tst_PasswordHash final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void hashAndVerify();
    void saltedAndUnicode();
    void malformedHashes();
    void weakerParametersNeedRehash();
    void policy_data();
    void policy();
    void concurrentHashesAllSucceed();
};

void tst_PasswordHash::hashAndVerify()
{
    QVERIFY(password::initialize());
    QElapsedTimer t;
    t.start();
    auto h = password::hash(QStringLiteral("correct horse battery"));
    qInfo("Argon2id hash (OPSLIMIT/MEMLIMIT_INTERACTIVE): %lld ms", t.elapsed());
    QVERIFY(h);
    QVERIFY2(h->startsWith("$argon2id$v=19$m=65536,t=2,p=1$"), h->constData());
    QVERIFY(password::verify(*h, QStringLiteral("correct horse battery")));
    QVERIFY(!password::verify(*h, QStringLiteral("correct horse batterY")));
    QVERIFY(!password::verify(*h, QString()));
    QVERIFY(!password::needsRehash(*h));
}

void tst_PasswordHash::saltedAndUnicode()
{
    const QString pw = QStringLiteral("pässwörd — 密码 🔐 long enough");
    auto a = password::hash(pw);
    auto b = password::hash(pw);
    QVERIFY(a && b);
    QVERIFY(*a != *b); // random salt
    QVERIFY(password::verify(*a, pw));
    QVERIFY(password::verify(*b, pw));
}

void tst_PasswordHash::malformedHashes()
{
    for (const QByteArray &bad : {QByteArray(), QByteArray("plain"), QByteArray("$argon2id$v=19$garbage"), QByteArray(500, 'a')})
        QVERIFY(!password::verify(bad, QStringLiteral("whatever password")));
    password::dummyVerify(QStringLiteral("anything")); // must not crash or throw
}

void tst_PasswordHash::weakerParametersNeedRehash()
{
    // A hash made with weaker parameters (e.g. by an older build) verifies but asks for a rehash.
    QVERIFY(password::initialize());
    char out[crypto_pwhash_STRBYTES];
    const char pw[] = "weakly hashed password";
    QCOMPARE(crypto_pwhash_str_alg(out, pw, sizeof pw - 1, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
                                   crypto_pwhash_ALG_ARGON2ID13),
             0);
    const QByteArray weak(out);
    QVERIFY(password::verify(weak, QString::fromLatin1(pw)));
    QVERIFY(password::needsRehash(weak));
}

void tst_PasswordHash::policy_data()
{
    QTest::addColumn<QString>("pw");
    QTest::addColumn<bool>("ok");
    QTest::newRow("12 chars") << QString(12, u'a') << true;
    QTest::newRow("11 chars") << QString(11, u'a') << false;
    QTest::newRow("blank") << QString(20, u' ') << false;
    QTest::newRow("max") << QString(1024, u'b') << true;
    QTest::newRow("too long") << QString(1025, u'b') << false;
    QTest::newRow("nul") << (QString(12, u'c') + QChar(0)) << false;
}

void tst_PasswordHash::policy()
{
    QFETCH(QString, pw);
    QFETCH(bool, ok);
    QCOMPARE(password::policyViolation(pw).isEmpty(), ok);
}

void tst_PasswordHash::concurrentHashesAllSucceed()
{
    // More threads than slots: the extra ones wait for a slot instead of all taking 64 MiB at once.
    std::vector<std::thread> threads;
    std::atomic_int ok{0};
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&ok, i] {
            const QString pw = QStringLiteral("thread password %1").arg(i);
            auto h = password::hash(pw);
            if (h && password::verify(*h, pw))
                ++ok;
        });
    for (auto &t : threads)
        t.join();
    QCOMPARE(ok.load(), 4);
}

QTEST_GUILESS_MAIN(tst_PasswordHash)
#include "tst_passwordhash.moc"
