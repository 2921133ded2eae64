// Validation of the content inputs and list parameters, and the keyset SQL builder (no database).
#include "server/db/sqltext.h"
#include "server/domain/content/debateinput.h"
#include "server/domain/content/keysetlist.h"
#include "server/domain/content/problempatch.h"
#include "server/domain/content/solutioninput.h"
#include "server/domain/missions/missioninput.h"
#include "server/domain/missions/missionmarket.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace bw;
using namespace bw::domain;
using contentinput::Mode;

namespace {
QJsonObject fieldsOf(const ApiError &e)
{
    return e.details.value("fields").toObject();
}

QJsonObject validSolution()
{
    return QJsonObject{
        {"problemId", "6f1c2d1e-8a4b-4c5d-9e6f-0a1b2c3d4e5f"},
        {"title", "Community water monitoring network"},
        {"description", QString(60, u'd')},
        {"approach", QString(60, u'a')},
        {"expectedImpact", QJsonObject{{"metric", "households_served"}, {"value", 500}, {"timeframe", "12_months"}}},
    };
}

QJsonObject validMission()
{
    return QJsonObject{
        {"solutionId", "6f1c2d1e-8a4b-4c5d-9e6f-0a1b2c3d4e5f"},
        {"title", "Photograph the water pumps"},
        {"description", "Take photos of every public pump in the village."},
        {"instructions", QJsonArray{QJsonObject{{"step", 1}, {"text", "Walk to the pump"}}}},
        {"evidenceRequired", QJsonArray{QJsonObject{{"type", "photo"}, {"description", "Pump photo"}}}},
        {"estimatedDurationMinutes", 60},
        {"tokenReward", 25},
        {"expiresAt", "2099-01-01T00:00:00Z"},
    };
}

QMap<QString, QString> queryOf(const QString &text)
{
    QMap<QString, QString> out;
    for (const QString &pair : text.split(u'&', Qt::SkipEmptyParts)) {
        const qsizetype eq = pair.indexOf(u'=');
        out.insert(pair.left(eq), eq < 0 ? QString() : pair.mid(eq + 1));
    }
    return out;
}

const QDateTime kNow = QDateTime(QDate(2026, 2, 1), QTime(12, 0), Qt::UTC);
} // namespace

class tst_ContentInput : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void solutionCreateValid()
    {
        const auto in = SolutionInput::parse(validSolution(), Mode::Create);
        QVERIFY(in.ok());
        QCOMPARE(in->problemId, QStringLiteral("6f1c2d1e-8a4b-4c5d-9e6f-0a1b2c3d4e5f"));
        // Every column is bound on create, absent optionals with their defaults.
        for (const auto &c : SolutionInput::columns())
            QVERIFY2(in->values.contains(QLatin1String(c.name)), c.name);
        QCOMPARE(in->values.value("required_skills").toString(), QStringLiteral("[]"));
    }

    void solutionCreateInvalid_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("errorField");
        QTest::newRow("problemId not uuid") << "problemId" << QJsonValue("abc") << "problemId";
        QTest::newRow("title short") << "title" << QJsonValue("short") << "title";
        QTest::newRow("title long") << "title" << QJsonValue(QString(501, u't')) << "title";
        QTest::newRow("description short") << "description" << QJsonValue("too short") << "description";
        QTest::newRow("approach long") << "approach" << QJsonValue(QString(20001, u'a')) << "approach";
        QTest::newRow("impact not object") << "expectedImpact" << QJsonValue(5) << "expectedImpact";
        QTest::newRow("impact missing metric")
            << "expectedImpact" << QJsonValue(QJsonObject{{"value", 1}, {"timeframe", "1y"}}) << "expectedImpact.metric";
        QTest::newRow("cost negative") << "estimatedCost" << QJsonValue(QJsonObject{{"amount", -1}, {"currency", "USD"}})
                                       << "estimatedCost.amount";
        QJsonArray eleven;
        for (int i = 0; i < 11; ++i)
            eleven.append(QStringLiteral("risk %1").arg(i));
        QTest::newRow("risks > 10") << "risksAndMitigations" << QJsonValue(eleven) << "risksAndMitigations";
        QJsonArray skills;
        for (int i = 0; i < 21; ++i)
            skills.append(QStringLiteral("skill%1").arg(i));
        QTest::newRow("skills > 20") << "requiredSkills" << QJsonValue(skills) << "requiredSkills";
        QTest::newRow("skills not strings") << "requiredSkills" << QJsonValue(QJsonArray{1, 2}) << "requiredSkills";
        QTest::newRow("timeline long") << "timelineEstimate" << QJsonValue(QString(101, u'x')) << "timelineEstimate";
    }
    void solutionCreateInvalid()
    {
        QFETCH(QString, field);
        QFETCH(QJsonValue, value);
        QFETCH(QString, errorField);
        QJsonObject body = validSolution();
        body.insert(field, value);
        const auto in = SolutionInput::parse(body, Mode::Create);
        QVERIFY(!in.ok());
        QCOMPARE(in.error().kind, ErrorKind::Validation);
        QVERIFY2(fieldsOf(in.error()).contains(errorField), qPrintable(QJsonDocument(fieldsOf(in.error())).toJson()));
    }

    void solutionPatch()
    {
        auto p = SolutionInput::parse(QJsonObject{}, Mode::Patch);
        QVERIFY(!p.ok());
        QVERIFY(fieldsOf(p.error()).contains("body"));
        p = SolutionInput::parse(QJsonObject{{"timelineEstimate", QJsonValue::Null}, {"title", "A better title here"}},
                                 Mode::Patch);
        QVERIFY(p.ok());
        QCOMPARE(p->values.size(), 2);
        QVERIFY(p->values.value("timeline_estimate").isNull());
        p = SolutionInput::parse(QJsonObject{{"title", QJsonValue::Null}}, Mode::Patch);
        QVERIFY(!p.ok());
        QVERIFY(fieldsOf(p.error()).contains("title"));
    }

    void problemPatch_data()
    {
        QTest::addColumn<QJsonObject>("body");
        QTest::addColumn<QString>("errorField"); // empty: valid
        QTest::addColumn<int>("columns");
        QTest::newRow("title") << QJsonObject{{"title", "A much better title"}} << "" << 1;
        QTest::newRow("clear location") << QJsonObject{{"latitude", QJsonValue::Null}, {"longitude", QJsonValue::Null}} << ""
                                        << 2;
        QTest::newRow("move") << QJsonObject{{"latitude", 10.5}, {"longitude", 20.25}} << "" << 2;
        QTest::newRow("lat alone") << QJsonObject{{"latitude", 10.5}} << "longitude" << 0;
        QTest::newRow("empty") << QJsonObject{} << "body" << 0;
        QTest::newRow("bad domain") << QJsonObject{{"domain", "space"}} << "domain" << 0;
        QTest::newRow("null severity") << QJsonObject{{"severity", QJsonValue::Null}} << "severity" << 0;
        QTest::newRow("bad link") << QJsonObject{{"evidenceLinks", QJsonArray{"ftp://x"}}} << "evidenceLinks" << 0;
    }
    void problemPatch()
    {
        QFETCH(QJsonObject, body);
        QFETCH(QString, errorField);
        QFETCH(int, columns);
        const auto p = ProblemPatch::parse(body);
        if (errorField.isEmpty()) {
            QVERIFY(p.ok());
            QCOMPARE(p->values.size(), columns);
        } else {
            QVERIFY(!p.ok());
            QVERIFY2(fieldsOf(p.error()).contains(errorField), qPrintable(QJsonDocument(fieldsOf(p.error())).toJson()));
        }
    }

    void debateInput_data()
    {
        QTest::addColumn<QJsonObject>("body");
        QTest::addColumn<QString>("errorField");
        const QString content(60, u'c');
        QTest::newRow("valid") << QJsonObject{{"stance", "support"}, {"content", content}} << "";
        QTest::newRow("stance") << QJsonObject{{"stance", "agree"}, {"content", content}} << "stance";
        QTest::newRow("content short") << QJsonObject{{"stance", "oppose"}, {"content", "meh"}} << "content";
        QTest::newRow("parent") << QJsonObject{{"stance", "modify"}, {"content", content}, {"parentDebateId", "x"}}
                                << "parentDebateId";
        QJsonArray links;
        for (int i = 0; i < 11; ++i)
            links.append(QStringLiteral("https://example.org/%1").arg(i));
        QTest::newRow("links > 10") << QJsonObject{{"stance", "question"}, {"content", content}, {"evidenceLinks", links}}
                                    << "evidenceLinks";
    }
    void debateInput()
    {
        QFETCH(QJsonObject, body);
        QFETCH(QString, errorField);
        const auto d = DebateInput::parse(body);
        QCOMPARE(d.ok(), errorField.isEmpty());
        if (!d.ok())
            QVERIFY(fieldsOf(d.error()).contains(errorField));
    }

    void missionCreate_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("errorField"); // empty: valid
        QTest::newRow("valid") << "title" << QJsonValue("Photograph the pumps") << "";
        QTest::newRow("lat without lng") << "requiredLatitude" << QJsonValue(10) << "requiredLatitude";
        QTest::newRow("radius 0") << "locationRadiusKm" << QJsonValue(0) << "locationRadiusKm";
        QTest::newRow("radius 201") << "locationRadiusKm" << QJsonValue(201) << "locationRadiusKm";
        QTest::newRow("radius fraction") << "locationRadiusKm" << QJsonValue(2.5) << "locationRadiusKm";
        QTest::newRow("duration 14") << "estimatedDurationMinutes" << QJsonValue(14) << "estimatedDurationMinutes";
        QTest::newRow("duration 10081") << "estimatedDurationMinutes" << QJsonValue(10081) << "estimatedDurationMinutes";
        QTest::newRow("reward 0") << "tokenReward" << QJsonValue(0) << "tokenReward";
        QTest::newRow("bonus negative") << "bonusForQuality" << QJsonValue(-1) << "bonusForQuality";
        QTest::newRow("maxClaims 0") << "maxClaims" << QJsonValue(0) << "maxClaims";
        QTest::newRow("difficulty") << "difficulty" << QJsonValue("heroic") << "difficulty";
        QTest::newRow("expired") << "expiresAt" << QJsonValue("2020-01-01T00:00:00Z") << "expiresAt";
        QTest::newRow("no zone") << "expiresAt" << QJsonValue("2099-01-01T00:00:00") << "expiresAt";
        QTest::newRow("instructions empty") << "instructions" << QJsonValue(QJsonArray{}) << "instructions";
        QTest::newRow("instruction text") << "instructions" << QJsonValue(QJsonArray{QJsonObject{{"step", 1}}})
                                          << "instructions.0.text";
        QTest::newRow("evidence type") << "evidenceRequired"
                                       << QJsonValue(QJsonArray{QJsonObject{{"type", "audio"}, {"description", "x"}}})
                                       << "evidenceRequired.0.type";
        QTest::newRow("domain") << "domain" << QJsonValue("space") << "domain";
    }
    void missionCreate()
    {
        QFETCH(QString, field);
        QFETCH(QJsonValue, value);
        QFETCH(QString, errorField);
        QJsonObject body = validMission();
        body.insert(field, value);
        const auto m = MissionInput::parse(body, Mode::Create, kNow);
        if (errorField.isEmpty()) {
            QVERIFY(m.ok());
            QCOMPARE(m->values.value("location_radius_km").toInt(), MissionInput::kDefaultRadiusKm);
            QCOMPARE(m->values.value("difficulty").toString(), QStringLiteral("intermediate"));
            QCOMPARE(m->values.value("expires_at").toString(), QStringLiteral("2099-01-01T00:00:00.000Z"));
        } else {
            QVERIFY(!m.ok());
            QVERIFY2(fieldsOf(m.error()).contains(errorField), qPrintable(QJsonDocument(fieldsOf(m.error())).toJson()));
        }
    }

    void missionPatchVersion()
    {
        auto m = MissionInput::parse(QJsonObject{{"version", 3}, {"tokenReward", 40}}, Mode::Patch, kNow);
        QVERIFY(m.ok());
        QCOMPARE(m->version, std::optional<int>(3));
        QCOMPARE(m->values.size(), 1);
        m = MissionInput::parse(QJsonObject{{"version", 3}}, Mode::Patch, kNow);
        QVERIFY(!m.ok()); // a version alone changes nothing
        m = MissionInput::parse(QJsonObject{{"tokenReward", 40}}, Mode::Patch, kNow);
        QVERIFY(!m.ok()); // no version: it would overwrite changes it never saw
        m = MissionInput::parse(
            QJsonObject{{"version", 1}, {"requiredLatitude", QJsonValue::Null}, {"requiredLongitude", QJsonValue::Null}},
            Mode::Patch, kNow);
        QVERIFY(m.ok());
        QVERIFY(m->values.value("required_latitude").isNull());
    }

    void marketQuery_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<bool>("nearby");
        QTest::addColumn<QString>("error"); // "" valid, "400" INVALID_DOMAIN, else a 422 field
        QTest::newRow("plain") << "" << false << "";
        QTest::newRow("geo") << "lat=37.7&lng=-122.4&radiusKm=50&sort=distance" << false << "";
        QTest::newRow("lat alone") << "lat=37.7" << false << "lng";
        QTest::newRow("radius no center") << "radiusKm=10" << false << "radiusKm";
        QTest::newRow("radius 0") << "lat=1&lng=1&radiusKm=0" << false << "radiusKm";
        QTest::newRow("radius 201") << "lat=1&lng=1&radiusKm=201" << false << "radiusKm";
        QTest::newRow("distance no center") << "sort=distance" << false << "sort";
        QTest::newRow("bad sort") << "sort=random" << false << "sort";
        QTest::newRow("bad lat") << "lat=91&lng=0" << false << "lat";
        QTest::newRow("bad difficulty") << "difficulty=heroic" << false << "difficulty";
        QTest::newRow("bad minReward") << "minReward=-1" << false << "minReward";
        QTest::newRow("bad limit") << "limit=101" << false << "limit";
        QTest::newRow("domain") << "domain=space" << false << "400";
        QTest::newRow("nearby") << "lat=37.7749&lng=-122.4194&radius=50&limit=10" << true << "";
        QTest::newRow("nearby no lng") << "lat=37.7749" << true << "lng";
        QTest::newRow("nearby radius 500") << "lat=1&lng=1&radius=500" << true << "radius";
    }
    void marketQuery()
    {
        QFETCH(QString, query);
        QFETCH(bool, nearby);
        QFETCH(QString, error);
        const auto q = nearby ? MarketQuery::fromNearbyQuery(queryOf(query)) : MarketQuery::fromQuery(queryOf(query));
        if (error.isEmpty()) {
            QVERIFY(q.ok());
            if (nearby)
                QCOMPARE(q->sort, MarketQuery::Sort::Distance);
        } else if (error == QLatin1String("400")) {
            QVERIFY(!q.ok());
            QCOMPARE(q.error().kind, ErrorKind::InvalidDomain);
        } else {
            QVERIFY(!q.ok());
            QVERIFY2(fieldsOf(q.error()).contains(error), qPrintable(QJsonDocument(fieldsOf(q.error())).toJson()));
        }
    }

    void keysetSqlBindsMatchPlaceholders()
    {
        // Every list shape: the statement's '?' count equals its binds (db::execCached refuses otherwise).
        MarketQuery q =
            *MarketQuery::fromQuery(queryOf("lat=1&lng=2&radiusKm=30&sort=distance&skills=a,b&minReward=3&domain=elder_care"));
        KeysetSpec spec;
        spec.list = "l";
        spec.sort = "distance";
        spec.from = "missions m";
        spec.select = "m.*, ? AS x";
        spec.selectBinds = {1};
        spec.where = "m.a = ?";
        spec.whereBinds = {2};
        spec.keys = {KeyPart{"m.earth <-> ll_to_earth(?, ?)", KeyPart::Kind::Float, {1.0, 2.0}},
                     KeyPart{"m.id", KeyPart::Kind::Uuid, {}}};
        spec.descending = false;
        spec.itemColumns = "pg.id";
        spec.knnBox = "earth_box(ll_to_earth(?, ?), %1) @> m.earth";
        spec.knnBoxBinds = {1.0, 2.0};
        const QJsonArray position{"12.5", "6f1c2d1e-8a4b-4c5d-9e6f-0a1b2c3d4e5f"};
        for (const KeysetSpec &s : {spec, MissionMarket::spec(q)}) {
            for (const auto &pos : {std::optional<QJsonArray>(), std::optional<QJsonArray>(position)}) {
                const KeysetSql built = KeysetSql::build(s, pos);
                int count = 0;
                QVERIFY(!db::numberPlaceholders(built.sql, &count).isEmpty());
                QCOMPARE(count, int(built.binds.size()));
                QVERIFY(!db::inlineBinds(built.sql, built.binds).isEmpty());
            }
        }
    }

    void cursorPositionChecks()
    {
        KeysetSpec spec;
        spec.list = "solutions";
        spec.sort = "recent";
        spec.keys = {KeyPart{"s.created_at", KeyPart::Kind::Timestamp, {}}, KeyPart{"s.id", KeyPart::Kind::Uuid, {}}};
        const QJsonArray k{"2026-01-02T03:04:05.123456Z", "6f1c2d1e-8a4b-4c5d-9e6f-0a1b2c3d4e5f"};
        QVERIFY(KeysetSql::positionOf(spec, QJsonObject{{"l", "solutions"}, {"o", "recent"}, {"k", k}}));
        QVERIFY(!KeysetSql::positionOf(spec, QJsonObject{{"l", "debates"}, {"o", "recent"}, {"k", k}}));
        QVERIFY(!KeysetSql::positionOf(spec, QJsonObject{{"l", "solutions"}, {"o", "score"}, {"k", k}}));
        QVERIFY(!KeysetSql::positionOf(spec, QJsonObject{{"l", "solutions"}, {"o", "recent"}, {"k", QJsonArray{k.at(0)}}}));
        QVERIFY(
            !KeysetSql::positionOf(spec, QJsonObject{{"l", "solutions"}, {"o", "recent"}, {"k", QJsonArray{k.at(0), "nope"}}}));
    }
};

QTEST_GUILESS_MAIN(tst_ContentInput)
#include "tst_contentinput.moc"
