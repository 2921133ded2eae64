// Agent API keys (api.md §3): format, uniqueness, SHA-256 hash, lookup prefix, constant-time compare.
// Pure; runs on the test thread.

#include "server/core/apikey.h"

#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace bw;

class tst_ApiKey : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void generateFormat();
    void generateUnique();
    void looksValid_data();
    void looksValid();
    void hash_data();
    void hash();
    void prefix_data();
    void prefix();
    void constantTimeEquals_data();
    void constantTimeEquals();
};

void tst_ApiKey::generateFormat()
{
    static const QRegularExpression format(QStringLiteral("^[0-9a-f]{64}$"));
    QCOMPARE(apikey::kKeyLength, 64);
    for (int i = 0; i < 200; ++i) {
        const QString key = apikey::generate();
        QVERIFY2(format.match(key).hasMatch(), qPrintable(key));
        QVERIFY(apikey::looksValid(key));
    }
}

void tst_ApiKey::generateUnique()
{
    QSet<QString> keys;
    QSet<QString> prefixes;
    int nibbleCounts[16] = {};
    const int n = 2000;
    for (int i = 0; i < n; ++i) {
        const QString key = apikey::generate();
        keys.insert(key);
        prefixes.insert(apikey::prefix(key));
        for (QChar c : key)
            ++nibbleCounts[QString(c).toInt(nullptr, 16)];
    }
    QCOMPARE(keys.size(), n);
    QCOMPARE(prefixes.size(), n); // 48 bits of prefix: collisions among 2000 keys are ~1e-8
    // 256 random bits per key: every hex digit shows up about 1/16 of the time (8000 ± 93 each; ± 600 is > 6 sigma).
    for (int d = 0; d < 16; ++d)
        QVERIFY2(nibbleCounts[d] > 7400 && nibbleCounts[d] < 8600, qPrintable(QString::number(nibbleCounts[d])));
}

void tst_ApiKey::looksValid_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<bool>("valid");
    const QString good = QStringLiteral("0123456789abcdef").repeated(4);
    QTest::newRow("valid") << good << true;
    QTest::newRow("all f") << QString(64, u'f') << true;
    QTest::newRow("upper case") << good.toUpper() << false;
    QTest::newRow("63 chars") << good.left(63) << false;
    QTest::newRow("65 chars") << QString(good + u'0') << false;
    QTest::newRow("non hex") << QString(good.left(63) + u'g') << false;
    QTest::newRow("space") << QString(good.left(63) + u' ') << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("prefixed") << QString(QStringLiteral("bw_") + good.left(61)) << false;
}

void tst_ApiKey::looksValid()
{
    QFETCH(QString, key);
    QFETCH(bool, valid);
    QCOMPARE(apikey::looksValid(key), valid);
}

void tst_ApiKey::hash_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QByteArray>("expected");
    // Reference values from: printf %s "$key" | sha256sum
    QTest::newRow("api key") << QStringLiteral("0123456789abcdef").repeated(4)
                             << QByteArrayLiteral("a8ae6e6ee929abea3afcfc5258c8ccd6f85273e0d4626d26c7279f3250f77c8e");
    QTest::newRow("abc") << QStringLiteral("abc")
                         << QByteArrayLiteral("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    QTest::newRow("empty") << QString() << QByteArrayLiteral("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

void tst_ApiKey::hash()
{
    QFETCH(QString, key);
    QFETCH(QByteArray, expected);
    const QByteArray h = apikey::hash(key);
    QCOMPARE(h, expected);
    QCOMPARE(h.size(), 64);
    QCOMPARE(h, h.toLower());
    // Different keys, different hashes; the hash never contains the key.
    const QString other = apikey::generate();
    QVERIFY(apikey::hash(other) != h);
    QVERIFY(!apikey::hash(other).contains(other.toLatin1()));
}

void tst_ApiKey::prefix_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("expected");
    QTest::newRow("key") << QStringLiteral("0123456789abcdef").repeated(4) << QStringLiteral("0123456789ab");
    QTest::newRow("short") << QStringLiteral("abc") << QStringLiteral("abc");
    QTest::newRow("empty") << QString() << QString();
}

void tst_ApiKey::prefix()
{
    QFETCH(QString, key);
    QFETCH(QString, expected);
    QCOMPARE(apikey::kPrefixLength, 12);
    QCOMPARE(apikey::prefix(key), expected);
    const QString generated = apikey::generate();
    QCOMPARE(apikey::prefix(generated).size(), 12);
    QVERIFY(generated.startsWith(apikey::prefix(generated)));
}

void tst_ApiKey::constantTimeEquals_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");
    const QByteArray h = apikey::hash(QStringLiteral("k"));
    QByteArray lastDiffers = h;
    lastDiffers[lastDiffers.size() - 1] = lastDiffers.back() == 'a' ? 'b' : 'a';
    QByteArray firstDiffers = h;
    firstDiffers[0] = firstDiffers.front() == 'a' ? 'b' : 'a';
    QByteArray oneBit = h;
    oneBit[10] = char(oneBit[10] ^ 0x01);

    QTest::newRow("equal") << h << QByteArray(h) << true;
    QTest::newRow("both empty") << QByteArray() << QByteArray() << true;
    QTest::newRow("binary equal") << QByteArray("\0\x01\xff", 3) << QByteArray("\0\x01\xff", 3) << true;
    QTest::newRow("last byte") << h << lastDiffers << false;
    QTest::newRow("first byte") << h << firstDiffers << false;
    QTest::newRow("one bit") << h << oneBit << false;
    QTest::newRow("prefix") << h << h.left(63) << false;
    QTest::newRow("longer") << h << QByteArray(h + 'x') << false;
    QTest::newRow("empty vs key") << QByteArray() << h << false;
    QTest::newRow("embedded nul") << QByteArray("ab\0c", 4) << QByteArray("ab\0d", 4) << false;
}

void tst_ApiKey::constantTimeEquals()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);
    QCOMPARE(apikey::constantTimeEquals(a, b), equal);
    QCOMPARE(apikey::constantTimeEquals(b, a), equal);
}

QTEST_GUILESS_MAIN(tst_ApiKey)
#include "tst_apikey.moc"
