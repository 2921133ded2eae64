// Signed pagination cursors (api.md §2): round trip, and every kind of tampering → INVALID_CURSOR.
// Pure; runs on the test thread.

#include "server/core/cursor.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>
#include <QTest>

using namespace bw;

namespace {
const QByteArray kKey = QByteArrayLiteral("test-signing-key-0123456789abcdef");
constexpr auto kB64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

QJsonObject position()
{
    return QJsonObject{{"createdAt", "2024-05-01T10:00:00.123Z"}, {"id", "6f1c1b7e-8d4e-4b8a-9a43-0c2b5e1f9a10"}};
}

// A cursor signed with kKey exactly as the codec does, for payloads the codec itself never produces.
QString forge(const QByteArray &payload, const QByteArray &key = kKey)
{
    const QByteArray mac = QMessageAuthenticationCode::hash(payload, key, QCryptographicHash::Sha256).left(16);
    return QString::fromLatin1(payload.toBase64(kB64) + '.' + mac.toBase64(kB64));
}

QString flipChar(QString s, qsizetype at)
{
    s[at] = s[at] == u'A' ? u'B' : u'A';
    return s;
}
} // namespace

class tst_CursorCodec : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void forgeMatchesCodec();
    void invalid_data();
    void invalid();
    void otherKeyCannotDecode();
    void lengthLimit();
};

void tst_CursorCodec::roundTrip_data()
{
    QTest::addColumn<QJsonObject>("pos");
    QTest::newRow("keyset") << position();
    QTest::newRow("empty") << QJsonObject{};
    QTest::newRow("numbers and null") << QJsonObject{{"score", 12.5}, {"rank", -3}, {"prev", QJsonValue::Null}, {"desc", true}};
    QTest::newRow("unicode") << QJsonObject{{"title", QStringLiteral("Wasser für alle — 水")}, {"id", "x"}};
    QTest::newRow("nested") << QJsonObject{{"k", QJsonObject{{"a", QJsonArray{1, 2, "three"}}}}};
    QTest::newRow("chars needing escapes") << QJsonObject{{"q", "a\"b\\c/d\n+=&?"}};
}

void tst_CursorCodec::roundTrip()
{
    QFETCH(QJsonObject, pos);
    const CursorCodec codec(kKey);
    const QString cursor = codec.encode(pos);
    // Opaque and URL-safe: usable as a query parameter without escaping.
    static const QRegularExpression urlSafe(QStringLiteral("^[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+$"));
    QVERIFY2(urlSafe.match(cursor).hasMatch(), qPrintable(cursor));
    QVERIFY(cursor.size() <= CursorCodec::kMaxCursorLength);
    const auto decoded = codec.decode(cursor);
    QVERIFY2(decoded.ok(), qPrintable(cursor));
    QCOMPARE(*decoded, pos);
    // Deterministic: the same position gives the same cursor.
    QCOMPARE(codec.encode(pos), cursor);
}

void tst_CursorCodec::forgeMatchesCodec()
{
    // The forged cursors below are only meaningful if forge() signs like the codec.
    const QByteArray payload = QJsonDocument(position()).toJson(QJsonDocument::Compact);
    QCOMPARE(forge(payload), CursorCodec(kKey).encode(position()));
}

void tst_CursorCodec::invalid_data()
{
    QTest::addColumn<QString>("cursor");

    const CursorCodec codec(kKey);
    const QString good = codec.encode(position());
    const qsizetype dot = good.indexOf(u'.');
    const QString payload = good.left(dot);
    const QString sig = good.mid(dot + 1);
    const QByteArray otherPayload =
        QJsonDocument(QJsonObject{{"createdAt", "2030-01-01T00:00:00Z"}, {"id", "x"}}).toJson(QJsonDocument::Compact);

    QTest::newRow("empty") << QString();
    QTest::newRow("garbage") << QStringLiteral("not a cursor");
    QTest::newRow("no dot") << QString(payload + sig);
    QTest::newRow("only dot") << QStringLiteral(".");
    QTest::newRow("missing payload") << QString(u'.' + sig);
    QTest::newRow("missing signature") << QString(payload + u'.');
    QTest::newRow("two dots") << QString(good + QStringLiteral(".x"));
    QTest::newRow("base64 garbage") << QStringLiteral("abcd.efgh");
    QTest::newRow("invalid base64 chars") << QStringLiteral("@@@@.####");
    QTest::newRow("standard base64 alphabet") << QString(payload + QStringLiteral("+/.") + sig);
    QTest::newRow("other payload, old signature") << QString(QString::fromLatin1(otherPayload.toBase64(kB64)) + u'.' + sig);
    QTest::newRow("payload char flipped") << flipChar(good, 3);
    QTest::newRow("payload truncated") << QString(payload.left(payload.size() - 4) + u'.' + sig);
    QTest::newRow("signature char flipped") << flipChar(good, dot + 2);
    QTest::newRow("signature truncated") << QString(payload + u'.' + sig.left(sig.size() - 2));
    QTest::newRow("signature extended") << QString(good + QStringLiteral("AAAA"));
    QTest::newRow("signature of other key") << forge(QJsonDocument(position()).toJson(QJsonDocument::Compact), "another key");
    QTest::newRow("full HMAC instead of 16 bytes")
        << QString(payload + u'.'
                   + QString::fromLatin1(
                       QMessageAuthenticationCode::hash(QByteArray::fromBase64(payload.toLatin1(), QByteArray::Base64UrlEncoding),
                                                        kKey, QCryptographicHash::Sha256)
                           .toBase64(kB64)));
    QTest::newRow("signed array") << forge("[1,2,3]");
    QTest::newRow("signed string") << forge("\"abc\"");
    QTest::newRow("signed malformed json") << forge("{\"id\":");
    QTest::newRow("signed empty payload") << forge("");
    QTest::newRow("non latin1") << QString(good + QStringLiteral("水"));
    QTest::newRow("too long") << QString(good + QString(CursorCodec::kMaxCursorLength, u'A'));
    QTest::newRow("whitespace") << QString(u' ' + good);
}

void tst_CursorCodec::invalid()
{
    QFETCH(QString, cursor);
    const auto r = CursorCodec(kKey).decode(cursor);
    QVERIFY2(!r.ok(), qPrintable(cursor));
    QCOMPARE(r.error().kind, ErrorKind::InvalidCursor);
    QCOMPARE(r.error().status(), 400);
    QCOMPARE(r.error().code(), QStringLiteral("INVALID_CURSOR"));
}

void tst_CursorCodec::otherKeyCannotDecode()
{
    const CursorCodec a(kKey);
    const CursorCodec b(QByteArrayLiteral("a-different-signing-key"));
    const QString cursor = a.encode(position());
    QVERIFY(a.decode(cursor).ok());
    const auto r = b.decode(cursor);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::InvalidCursor);
    QVERIFY(a.encode(position()) != b.encode(position()));
}

void tst_CursorCodec::lengthLimit()
{
    const CursorCodec codec(kKey);
    // A correctly signed cursor is still refused when longer than the limit (bounded work per request).
    const QString big = codec.encode(QJsonObject{{"pad", QString(900, u'x')}});
    QVERIFY(big.size() > CursorCodec::kMaxCursorLength);
    const auto r = codec.decode(big);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::InvalidCursor);

    // Just under the limit is fine.
    QString cursor;
    for (int n = 600; n < 900; ++n) {
        const QString c = codec.encode(QJsonObject{{"pad", QString(n, u'x')}});
        if (c.size() > CursorCodec::kMaxCursorLength)
            break;
        cursor = c;
    }
    QVERIFY(cursor.size() > CursorCodec::kMaxCursorLength - 4);
    QVERIFY(codec.decode(cursor).ok());
}

QTEST_GUILESS_MAIN(tst_CursorCodec)
#include "tst_cursor.moc"
