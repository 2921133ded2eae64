// Bounded JSON body parsing: nesting depth (strings and escapes honoured) and parseJsonObject's
// 400 BAD_REQUEST cases. Pure; runs on the test thread.

#include "server/http/json.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QTest>

using namespace bw;
using namespace bw::http;

namespace {
// {"a":{"a":…{"a":1}…}} with depth objects.
QByteArray nestedObjects(int depth)
{
    QByteArray s;
    for (int i = 0; i < depth - 1; ++i)
        s += "{\"a\":";
    s += "{\"a\":1}";
    s += QByteArray(depth - 1, '}');
    return s;
}

// {"a":[[…[1]…]]} : one object holding depth-1 arrays.
QByteArray objectWithArrays(int depth)
{
    return "{\"a\":" + QByteArray(depth - 1, '[') + "1" + QByteArray(depth - 1, ']') + "}";
}
} // namespace

class tst_Json : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void nestingDepth_data();
    void nestingDepth();
    void parse_data();
    void parse();
    void customDepthLimit();
    void hostileNestingIsCheap();
};

void tst_Json::nestingDepth_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("depth");

    QTest::newRow("empty") << QByteArray() << 0;
    QTest::newRow("scalar") << QByteArray("42") << 0;
    QTest::newRow("object") << QByteArray("{}") << 1;
    QTest::newRow("array") << QByteArray("[]") << 1;
    QTest::newRow("mixed") << QByteArray(R"({"a":[1,{"b":2}]})") << 3;
    QTest::newRow("siblings do not add") << QByteArray(R"({"a":[1],"b":[2],"c":{"d":[]}})") << 3;
    QTest::newRow("back down and up") << QByteArray("[[],[[]]]") << 3;
    QTest::newRow("brackets in string value") << QByteArray(R"({"a":"[[[{{{"})") << 1;
    QTest::newRow("brackets in key") << QByteArray(R"({"[[[[":1})") << 1;
    QTest::newRow("closing brackets in string") << QByteArray(R"([["]]]]"],[1]])") << 2;
    QTest::newRow("escaped quote keeps string open") << QByteArray(R"({"a":"x\"[[[[","b":1})") << 1;
    QTest::newRow("escaped backslash closes string") << QByteArray(R"({"a":"x\\","b":[[1]]})") << 3;
    QTest::newRow("escaped backslash then quote") << QByteArray(R"({"a":"\\\"[[[","b":[1]})") << 2;
    QTest::newRow("unicode escape") << QByteArray(R"({"a":"\u005b\u005b","b":[1]})") << 2;
    QTest::newRow("only a string") << QByteArray(R"("{[{[")") << 0;
    QTest::newRow("32 objects") << nestedObjects(32) << 32;
    QTest::newRow("33 objects") << nestedObjects(33) << 33;
    QTest::newRow("object with arrays") << objectWithArrays(40) << 40;
}

void tst_Json::nestingDepth()
{
    QFETCH(QByteArray, json);
    QFETCH(int, depth);
    QCOMPARE(jsonNestingDepth(json), depth);
}

void tst_Json::parse_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("message"); // fragment of the error message

    QTest::newRow("object") << QByteArray(R"({"title":"Water","n":3})") << true << "";
    QTest::newRow("empty object") << QByteArray("{}") << true << "";
    QTest::newRow("surrounding whitespace") << QByteArray(" \n {\"a\":1} \n") << true << "";
    QTest::newRow("depth 32 objects") << nestedObjects(32) << true << "";
    QTest::newRow("depth 32 arrays") << objectWithArrays(32) << true << "";
    QTest::newRow("deep brackets inside strings") << QByteArray("{\"a\":\"" + QByteArray(100, '[') + "\"}") << true << "";

    QTest::newRow("depth 33 objects") << nestedObjects(33) << false << "deeper than 32";
    QTest::newRow("depth 33 arrays") << objectWithArrays(33) << false << "deeper than 32";
    QTest::newRow("empty") << QByteArray() << false << "must be a JSON object";
    QTest::newRow("whitespace only") << QByteArray(" \r\n\t ") << false << "must be a JSON object";
    QTest::newRow("array") << QByteArray("[1,2]") << false << "must be a JSON object";
    QTest::newRow("truncated") << QByteArray(R"({"a":)") << false << "Malformed JSON";
    QTest::newRow("single quotes") << QByteArray("{'a':1}") << false << "Malformed JSON";
    QTest::newRow("trailing comma") << QByteArray(R"({"a":1,})") << false << "Malformed JSON";
    QTest::newRow("unquoted key") << QByteArray("{a:1}") << false << "Malformed JSON";
    QTest::newRow("trailing garbage") << QByteArray(R"({"a":1}x)") << false << "Malformed JSON";
    QTest::newRow("two objects") << QByteArray("{}{}") << false << "Malformed JSON";
    QTest::newRow("unterminated string") << QByteArray(R"({"a":"b})") << false << "Malformed JSON";
    QTest::newRow("plain text") << QByteArray("hello") << false << "";
    QTest::newRow("string") << QByteArray(R"("text")") << false << "";
    QTest::newRow("number") << QByteArray("42") << false << "";
    QTest::newRow("null") << QByteArray("null") << false << "";
    QTest::newRow("true") << QByteArray("true") << false << "";
}

void tst_Json::parse()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, ok);
    QFETCH(QString, message);

    const auto r = parseJsonObject(body);
    QCOMPARE(r.ok(), ok);
    if (ok) {
        QVERIFY(r->isEmpty() == (body.trimmed() == "{}"));
        if (body.contains("Water")) {
            QCOMPARE(r->value("title").toString(), QStringLiteral("Water"));
            QCOMPARE(r->value("n").toInt(), 3);
        }
        return;
    }
    QCOMPARE(r.error().kind, ErrorKind::BadRequest);
    QCOMPARE(r.error().status(), 400);
    QCOMPARE(r.error().code(), QStringLiteral("BAD_REQUEST"));
    QVERIFY(!r.error().message.isEmpty());
    QVERIFY2(r.error().message.contains(message), qPrintable(r.error().message));
}

void tst_Json::customDepthLimit()
{
    QVERIFY(parseJsonObject(nestedObjects(4), 4).ok());
    const auto r = parseJsonObject(nestedObjects(5), 4);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::BadRequest);
    QVERIFY2(r.error().message.contains(QStringLiteral("deeper than 4")), qPrintable(r.error().message));
    QVERIFY(parseJsonObject(nestedObjects(64), 64).ok());
}

void tst_Json::hostileNestingIsCheap()
{
    // 1 MB of '[' is refused by the depth scan, quickly and without recursion.
    const QByteArray hostile = "{\"a\":" + QByteArray(1024 * 1024, '[');
    QElapsedTimer t;
    t.start();
    const auto r = parseJsonObject(hostile);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.contains(QStringLiteral("deeper than 32")), qPrintable(r.error().message));
    QVERIFY2(t.elapsed() < 1000, qPrintable(QString::number(t.elapsed())));
}

QTEST_GUILESS_MAIN(tst_Json)
#include "tst_json.moc"
