// Registration validation (api.md §5): every rule, table-driven. Pure; runs on the test thread.

#include "server/domain/accounts/agentinput.h"
#include "server/domain/domains.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace bw;
using namespace bw::domain;

namespace {
QJsonObject validBody()
{
    return QJsonObject{
        {"username", "good_agent_1"}, {"framework", "langchain"}, {"specializations", QJsonArray{"food_security", "elder_care"}}};
}
QJsonObject fieldsOf(const ApiError &e)
{
    return e.details.value("fields").toObject();
}
} // namespace

class tst_AgentInput : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void domains();
    void valid();
    void invalid_data();
    void invalid();
    void collectsAllErrors();
    void unknownFieldsIgnored();
};

void tst_AgentInput::domains()
{
    QCOMPARE(domainNames().size(), 15);
    QVERIFY(isValidDomain("clean_water_sanitation"));
    QVERIFY(!isValidDomain("Clean_Water_Sanitation"));
    QVERIFY(!isValidDomain(""));
}

void tst_AgentInput::valid()
{
    QJsonObject body = validBody();
    body.insert("email", "bot@example.org");
    body.insert("displayName", QString(200, 'd'));
    body.insert("soulSummary", QString(2000, 's'));
    body.insert("modelProvider", QString(50, 'p'));
    body.insert("modelName", QString(100, 'm'));
    auto r = AgentInput::parse(body);
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(QJsonDocument(r.error().details).toJson()));
    QCOMPARE(r->username, QString("good_agent_1"));
    QCOMPARE(r->specializations, QStringList({"food_security", "elder_care"}));
    QCOMPARE(*r->email, QString("bot@example.org"));

    for (const char *name : {"abc", "a_b", "a1_b2_c3", "999", "x_y_z"}) {
        QJsonObject b = validBody();
        b.insert("username", name);
        QVERIFY2(AgentInput::parse(b).ok(), name);
    }
    // Case-insensitive names: stored and answered in lower case.
    QJsonObject mixed = validBody();
    mixed.insert("username", "Good_Agent_2");
    QCOMPARE(AgentInput::parse(mixed)->username, QString("good_agent_2"));

    QJsonObject longName = validBody();
    longName.insert("username", QString(100, 'a'));
    QVERIFY(AgentInput::parse(longName).ok());
    // Optional fields sent as null count as absent.
    QJsonObject nulls = validBody();
    nulls.insert("email", QJsonValue::Null);
    nulls.insert("displayName", QJsonValue::Null);
    QVERIFY(AgentInput::parse(nulls).ok());
}

void tst_AgentInput::invalid_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QJsonValue>("value"); // Undefined = remove the field
    QTest::addColumn<QString>("errorField");

    const QString u = "username";
    QTest::newRow("username missing") << u << QJsonValue(QJsonValue::Undefined) << u;
    QTest::newRow("username not string") << u << QJsonValue(42) << u;
    QTest::newRow("username too short") << u << QJsonValue("ab") << u;
    QTest::newRow("username too long") << u << QJsonValue(QString(101, 'a')) << u;
    QTest::newRow("username dash") << u << QJsonValue("good-agent") << u;
    QTest::newRow("username space") << u << QJsonValue("good agent") << u;
    QTest::newRow("username unicode") << u << QJsonValue(QString::fromUtf8("agént")) << u;
    QTest::newRow("username leading _") << u << QJsonValue("_agent") << u;
    QTest::newRow("username trailing _") << u << QJsonValue("agent_") << u;
    QTest::newRow("username double _") << u << QJsonValue("good__agent") << u;
    for (const char *reserved :
         {"admin", "system", "betterworld", "moderator", "support", "official", "null", "undefined", "api", "root"})
        QTest::addRow("reserved %s", reserved) << u << QJsonValue(reserved) << u;
    QTest::newRow("reserved uppercase") << u << QJsonValue("ADMIN") << u;
    QTest::newRow("reserved mixed case") << u << QJsonValue("Root") << u;

    const QString f = "framework";
    QTest::newRow("framework missing") << f << QJsonValue(QJsonValue::Undefined) << f;
    QTest::newRow("framework unknown") << f << QJsonValue("autogpt") << f;
    QTest::newRow("framework case") << f << QJsonValue("LangChain") << f;
    QTest::newRow("framework not string") << f << QJsonValue(true) << f;

    const QString s = "specializations";
    QTest::newRow("specs missing") << s << QJsonValue(QJsonValue::Undefined) << s;
    QTest::newRow("specs empty") << s << QJsonValue(QJsonArray{}) << s;
    QTest::newRow("specs six") << s
                               << QJsonValue(QJsonArray{"food_security", "elder_care", "human_rights", "gender_equality",
                                                        "digital_inclusion", "education_access"})
                               << s;
    QTest::newRow("specs unknown") << s << QJsonValue(QJsonArray{"space_travel"}) << s;
    QTest::newRow("specs duplicate") << s << QJsonValue(QJsonArray{"elder_care", "elder_care"}) << s;
    QTest::newRow("specs not array") << s << QJsonValue("elder_care") << s;
    QTest::newRow("specs non-string item") << s << QJsonValue(QJsonArray{1}) << s;

    const QString e = "email";
    QTest::newRow("email no at") << e << QJsonValue("bot.example.org") << e;
    QTest::newRow("email no dot") << e << QJsonValue("bot@localhost") << e;
    QTest::newRow("email two ats") << e << QJsonValue("a@b@c.org") << e;
    QTest::newRow("email space") << e << QJsonValue("a b@c.org") << e;
    QTest::newRow("email empty") << e << QJsonValue("") << e;
    QTest::newRow("email too long") << e << QJsonValue(QString(QString(250, 'a') + "@b.org")) << e;
    QTest::newRow("email not string") << e << QJsonValue(1) << e;

    QTest::newRow("displayName 201") << "displayName" << QJsonValue(QString(201, 'x')) << "displayName";
    QTest::newRow("displayName type") << "displayName" << QJsonValue(QJsonArray{}) << "displayName";
    QTest::newRow("soulSummary 2001") << "soulSummary" << QJsonValue(QString(2001, 'x')) << "soulSummary";
    QTest::newRow("modelProvider 51") << "modelProvider" << QJsonValue(QString(51, 'x')) << "modelProvider";
    QTest::newRow("modelName 101") << "modelName" << QJsonValue(QString(101, 'x')) << "modelName";
    QTest::newRow("modelName type") << "modelName" << QJsonValue(3.5) << "modelName";
    QTest::newRow("NUL in displayName") << "displayName" << QJsonValue(QString(QString("a") + QChar(0))) << "displayName";
}

void tst_AgentInput::invalid()
{
    QFETCH(QString, field);
    QFETCH(QJsonValue, value);
    QFETCH(QString, errorField);

    QJsonObject body = validBody();
    if (value.isUndefined())
        body.remove(field);
    else
        body.insert(field, value);
    auto r = AgentInput::parse(body);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::Validation);
    QCOMPARE(r.error().status(), 422);
    QCOMPARE(r.error().code(), QString("VALIDATION_ERROR"));
    const QJsonObject fields = fieldsOf(r.error());
    QVERIFY2(fields.contains(errorField), qPrintable(QJsonDocument(fields).toJson()));
    QCOMPARE(fields.size(), 1);
    QVERIFY(fields.value(errorField).toArray().first().isString());
}

void tst_AgentInput::collectsAllErrors()
{
    auto r = AgentInput::parse(QJsonObject{{"username", "x"}, {"framework", "nope"}, {"email", "bad"}});
    QVERIFY(!r.ok());
    const QJsonObject fields = fieldsOf(r.error());
    QCOMPARE(fields.keys(), QStringList({"email", "framework", "specializations", "username"}));
}

void tst_AgentInput::unknownFieldsIgnored()
{
    QJsonObject body = validBody();
    body.insert("favouriteColour", "green");
    body.insert("apiKey", "ignored");
    QVERIFY(AgentInput::parse(body).ok());
}

QTEST_APPLESS_MAIN(tst_AgentInput)
#include "tst_agentinput.moc"
