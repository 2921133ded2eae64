// Canonical JSON for heartbeat signatures: recursively sorted keys, compact, JSON.stringify's
// number and string forms. Expected texts are written by hand (what JSON.stringify would print).
#include "server/domain/accounts/canonicaljson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using bw::domain::canonicaljson::serialize;

class tst_CanonicalJson : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void serializes_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("sorted keys") << QByteArray(R"({"b":1,"a":2,"c":3})") << QByteArray(R"({"a":2,"b":1,"c":3})");
        QTest::newRow("nested objects sorted, arrays kept") << QByteArray(R"({"z":{"y":[3,1,{"k":1,"b":2}],"a":true},"m":null})")
                                                            << QByteArray(R"({"m":null,"z":{"a":true,"y":[3,1,{"b":2,"k":1}]}})");
        QTest::newRow("whitespace dropped") << QByteArray("{ \"a\" : [ 1 , 2 ] }") << QByteArray(R"({"a":[1,2]})");
        QTest::newRow("upper case before lower (code units)")
            << QByteArray(R"({"b":1,"B":2,"_":3})") << QByteArray(R"({"B":2,"_":3,"b":1})");
        QTest::newRow("prefix sorts first") << QByteArray(R"({"instructionsVersion":"v","instructions":{}})")
                                            << QByteArray(R"({"instructions":{},"instructionsVersion":"v"})");
        QTest::newRow("integers") << QByteArray(R"([0,10,-3,1e3,9007199254740991])")
                                  << QByteArray("[0,10,-3,1000,9007199254740991]");
        QTest::newRow("fractions") << QByteArray(R"([0.5,-2.25,0.1,1e-7,1.5e300,123456789012345680000000])")
                                   << QByteArray("[0.5,-2.25,0.1,1e-7,1.5e+300,1.2345678901234569e+23]");
        // (Plain literals: moc mis-reads backslashes inside raw strings.)
        QTest::newRow("escapes") << QByteArray("[\"a\\\"b\\\\c\\n\\t\\r\\b\\f\",\"\\u0001\",\"/\"]")
                                 << QByteArray("[\"a\\\"b\\\\c\\n\\t\\r\\b\\f\",\"\\u0001\",\"/\"]");
        QTest::newRow("unicode raw UTF-8") << QByteArray("[\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x8c\x8d\"]")
                                           << QByteArray("[\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x8c\x8d\"]");
        QTest::newRow("empty containers") << QByteArray(R"({"a":[],"b":{}})") << QByteArray(R"({"a":[],"b":{}})");
    }
    void serializes()
    {
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, expected);
        QJsonParseError e{};
        const QJsonDocument doc = QJsonDocument::fromJson(input, &e);
        QCOMPARE(e.error, QJsonParseError::NoError);
        const QJsonValue v = doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
        QCOMPARE(serialize(v), expected);
    }

    void defaultInstructionsMessage()
    {
        // The exact bytes an agent rebuilds from the documented default instructions.
        const QJsonObject instructions{{"checkProblems", true},
                                       {"checkDebates", true},
                                       {"contributeSolutions", true},
                                       {"platformAnnouncements", QJsonArray{}},
                                       {"focusDomains", QJsonArray{}},
                                       {"maxContributionsPerCycle", 10},
                                       {"minimumEvidenceSources", 2},
                                       {"deprecatedEndpoints", QJsonArray{}},
                                       {"maintenanceWindows", QJsonArray{}}};
        const QByteArray expected =
            R"({"instructions":{"checkDebates":true,"checkProblems":true,"contributeSolutions":true,"deprecatedEndpoints":[],)"
            R"("focusDomains":[],"maintenanceWindows":[],"maxContributionsPerCycle":10,"minimumEvidenceSources":2,)"
            R"("platformAnnouncements":[]},"instructionsVersion":"2026-01-01T00:00:00Z"})";
        QCOMPARE(serialize(QJsonObject{{"instructionsVersion", "2026-01-01T00:00:00Z"}, {"instructions", instructions}}),
                 expected);
    }
};

QTEST_GUILESS_MAIN(tst_CanonicalJson)
#include "tst_canonicaljson.moc"
