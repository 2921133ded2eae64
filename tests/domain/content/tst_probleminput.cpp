// Problem report validation (api.md §7): each field family, all errors collected. Pure; test thread.

#include "server/domain/content/probleminput.h"

#include <QJsonDocument>
#include <QTest>

using namespace bw;
using namespace bw::domain;

namespace {
QJsonObject validBody()
{
    return QJsonObject{
        {"title", "Clean water for the river village"},
        {"description", QString(QString("The village well has been contaminated since the flood; ") + QString(20, 'x'))},
        {"domain", "clean_water_sanitation"},
        {"severity", "high"}};
}
QJsonObject fieldsOf(const ApiError &e)
{
    return e.details.value("fields").toObject();
}
} // namespace

class tst_ProblemInput : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void minimal();
    void full();
    void invalid_data();
    void invalid();
    void latLngTogether();
    void collectsAll();
};

void tst_ProblemInput::minimal()
{
    auto r = ProblemInput::parse(validBody());
    QVERIFY(r.ok());
    QVERIFY(!r->latitude && !r->geographicScope && !r->selfAudit);
    const QJsonObject j = r->toJson();
    QCOMPARE(j.value("severity").toString(), QString("high"));
    QCOMPARE(j.value("evidenceLinks").toArray().size(), 0);
    QVERIFY(!j.contains("latitude"));
}

void tst_ProblemInput::full()
{
    QJsonObject b = validBody();
    b.insert("title", QString(500, 't'));
    b.insert("description", QString(10000, 'd'));
    b.insert("affectedPopulationEstimate", QString(100, '9'));
    b.insert("geographicScope", "regional");
    b.insert("locationName", QString(200, 'l'));
    b.insert("latitude", -90);
    b.insert("longitude", 180);
    b.insert("existingSolutions", QJsonArray{"boil water", QJsonObject{{"name", "filters"}}});
    b.insert("dataSources", QJsonArray{"survey 2025"});
    QJsonArray links;
    for (int i = 0; i < 20; ++i)
        links.append(QString("https://example.org/e/%1").arg(i));
    b.insert("evidenceLinks", links);
    b.insert("selfAudit",
             QJsonObject{{"aligned", true}, {"domain", "clean_water_sanitation"}, {"justification", "why"}, {"extra", 1}});
    auto r = ProblemInput::parse(b);
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(QJsonDocument(r.error().details).toJson()));
    QCOMPARE(*r->latitude, -90.0);
    QCOMPARE(r->evidenceLinks.size(), 20);
    QCOMPARE(r->existingSolutions.size(), 2);
    QCOMPARE(r->selfAudit->value("aligned").toBool(), true);
    QVERIFY(!r->selfAudit->contains("extra")); // normalised
    QCOMPARE(r->toJson().value("longitude").toDouble(), 180.0);
}

void tst_ProblemInput::invalid_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QJsonValue>("value"); // Undefined = remove
    QTest::addColumn<QString>("errorField");

    QTest::newRow("title missing") << "title" << QJsonValue(QJsonValue::Undefined) << "title";
    QTest::newRow("title short") << "title" << QJsonValue("too short") << "title";
    QTest::newRow("title long") << "title" << QJsonValue(QString(501, 't')) << "title";
    QTest::newRow("title type") << "title" << QJsonValue(12345678901.0) << "title";
    QTest::newRow("description short") << "description" << QJsonValue(QString(49, 'd')) << "description";
    QTest::newRow("description long") << "description" << QJsonValue(QString(10001, 'd')) << "description";
    QTest::newRow("description NUL") << "description" << QJsonValue(QString(QString(60, 'd') + QChar(0))) << "description";
    QTest::newRow("domain missing") << "domain" << QJsonValue(QJsonValue::Undefined) << "domain";
    QTest::newRow("domain unknown") << "domain" << QJsonValue("space") << "domain";
    QTest::newRow("severity unknown") << "severity" << QJsonValue("urgent") << "severity";
    QTest::newRow("severity missing") << "severity" << QJsonValue(QJsonValue::Undefined) << "severity";
    QTest::newRow("population long") << "affectedPopulationEstimate" << QJsonValue(QString(101, '1'))
                                     << "affectedPopulationEstimate";
    QTest::newRow("population number") << "affectedPopulationEstimate" << QJsonValue(5000) << "affectedPopulationEstimate";
    QTest::newRow("scope unknown") << "geographicScope" << QJsonValue("planetary") << "geographicScope";
    QTest::newRow("location long") << "locationName" << QJsonValue(QString(201, 'l')) << "locationName";
    QTest::newRow("existingSolutions type") << "existingSolutions" << QJsonValue("none") << "existingSolutions";
    QTest::newRow("dataSources type") << "dataSources" << QJsonValue(QJsonObject{}) << "dataSources";
    QJsonArray tooMany;
    for (int i = 0; i < 21; ++i)
        tooMany.append(QString("https://example.org/%1").arg(i));
    QTest::newRow("links 21") << "evidenceLinks" << QJsonValue(tooMany) << "evidenceLinks";
    QTest::newRow("links ftp") << "evidenceLinks" << QJsonValue(QJsonArray{"ftp://example.org/x"}) << "evidenceLinks";
    QTest::newRow("links js") << "evidenceLinks" << QJsonValue(QJsonArray{"javascript:alert(1)"}) << "evidenceLinks";
    QTest::newRow("links not url") << "evidenceLinks" << QJsonValue(QJsonArray{"not a url"}) << "evidenceLinks";
    QTest::newRow("links non-string") << "evidenceLinks" << QJsonValue(QJsonArray{7}) << "evidenceLinks";
    QTest::newRow("links type") << "evidenceLinks" << QJsonValue("https://example.org") << "evidenceLinks";
    QTest::newRow("selfAudit type") << "selfAudit" << QJsonValue(true) << "selfAudit";
    QTest::newRow("selfAudit aligned missing")
        << "selfAudit" << QJsonValue(QJsonObject{{"domain", "elder_care"}}) << "selfAudit.aligned";
    QTest::newRow("selfAudit aligned type") << "selfAudit" << QJsonValue(QJsonObject{{"aligned", "yes"}}) << "selfAudit.aligned";
    QTest::newRow("selfAudit domain") << "selfAudit" << QJsonValue(QJsonObject{{"aligned", true}, {"domain", "x"}})
                                      << "selfAudit.domain";
    QTest::newRow("selfAudit justification")
        << "selfAudit" << QJsonValue(QJsonObject{{"aligned", true}, {"justification", QString(2001, 'j')}})
        << "selfAudit.justification";
}

void tst_ProblemInput::invalid()
{
    QFETCH(QString, field);
    QFETCH(QJsonValue, value);
    QFETCH(QString, errorField);
    QJsonObject b = validBody();
    if (value.isUndefined())
        b.remove(field);
    else
        b.insert(field, value);
    auto r = ProblemInput::parse(b);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().status(), 422);
    const QJsonObject fields = fieldsOf(r.error());
    QVERIFY2(fields.contains(errorField), qPrintable(QJsonDocument(fields).toJson()));
    QCOMPARE(fields.size(), 1);
}

void tst_ProblemInput::latLngTogether()
{
    QJsonObject onlyLat = validBody();
    onlyLat.insert("latitude", 10);
    auto r = ProblemInput::parse(onlyLat);
    QVERIFY(!r.ok());
    QVERIFY(fieldsOf(r.error()).contains("longitude"));

    QJsonObject onlyLng = validBody();
    onlyLng.insert("longitude", 10);
    r = ProblemInput::parse(onlyLng);
    QVERIFY(!r.ok());
    QVERIFY(fieldsOf(r.error()).contains("latitude"));

    QJsonObject outOfRange = validBody();
    outOfRange.insert("latitude", 90.5);
    outOfRange.insert("longitude", -180.1);
    r = ProblemInput::parse(outOfRange);
    QVERIFY(!r.ok());
    QCOMPARE(fieldsOf(r.error()).keys(), QStringList({"latitude", "longitude"}));

    QJsonObject wrongType = validBody();
    wrongType.insert("latitude", "10");
    wrongType.insert("longitude", 10);
    r = ProblemInput::parse(wrongType);
    QVERIFY(!r.ok());
    QVERIFY(fieldsOf(r.error()).contains("latitude"));
}

void tst_ProblemInput::collectsAll()
{
    auto r = ProblemInput::parse(QJsonObject{{"title", 1}, {"severity", "x"}, {"evidenceLinks", QJsonArray{"nope"}}});
    QVERIFY(!r.ok());
    QCOMPARE(fieldsOf(r.error()).keys(), QStringList({"description", "domain", "evidenceLinks", "severity", "title"}));
}

QTEST_APPLESS_MAIN(tst_ProblemInput)
#include "tst_probleminput.moc"
