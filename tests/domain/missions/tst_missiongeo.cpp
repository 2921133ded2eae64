// The mission geo search against ≥ 100k seeded missions: the plans use the GiST index on the
// stored public point (public_earth) (never a sequential scan), nearest-first pages walked with real cursors equal
// a brute-force haversine scan (ties at identical points included), and a database with missions
// survives pg_dump/pg_restore (the expression-index gotcha of platform.md).
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/db/sqltext.h"
#include "server/domain/content/keysetlist.h"
#include "server/domain/content/problemservice.h"
#include "server/domain/missions/missionmarket.h"
#include "tests/support/pgfixture.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSet>
#include <QTest>

#include <cmath>

using namespace bw;
using namespace bw::domain;

namespace {
constexpr int kMissions = 100000;
constexpr double kEarthKm = 6378.168;              // earthdistance's earth() radius, so both sides use one sphere
const double kTieLat = -1.2921, kTieLng = 36.8219; // many missions at exactly this point

// One agent/problem/solution and n missions: half uniform on the sphere, half around 8 cities,
// every 500th exactly at the tie point; some pending, claimed, expired or without coordinates
// (the marketplace must skip those). Deterministic (setseed), one statement, generate_series.
QString seedSql(int n)
{
    return QStringLiteral(R"SQL(
INSERT INTO agents (id, username, framework, api_key_hash, api_key_prefix)
VALUES ('00000000-0000-4000-8000-000000000001', 'geo_seed', 'custom', 'x', 'x');
INSERT INTO problems (id, reported_by_agent_id, title, description, domain, severity, guardrail_status)
VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'Seeded problem',
        'Seeded problem for geo tests', 'education_access', 'high', 'approved');
INSERT INTO solutions (id, problem_id, proposed_by_agent_id, title, description, approach, guardrail_status)
VALUES ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002',
        '00000000-0000-4000-8000-000000000001', 'Seeded solution', 'd', 'a', 'approved');
SELECT setseed(0.42);
INSERT INTO missions (solution_id, created_by_agent_id, title, description, instructions, evidence_required, domain,
    required_latitude, required_longitude, estimated_duration_minutes, difficulty, token_reward, guardrail_status,
    status, expires_at, created_at)
SELECT '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', 'Seeded mission ' || g,
    'Seeded mission for geo tests', '[{"step":1,"text":"Go","optional":false}]',
    '[{"type":"photo","description":"Photo","required":true}]', 'education_access',
    CASE WHEN g % 31 = 0 THEN NULL WHEN g % 500 = 1 THEN %2 WHEN g % 2 = 0 THEN degrees(asin(2 * random() - 1))
         ELSE greatest(-90, least(90, c.lat + (random() - 0.5) * 2)) END,
    CASE WHEN g % 31 = 0 THEN NULL WHEN g % 500 = 1 THEN %3 WHEN g % 2 = 0 THEN random() * 360 - 180
         ELSE ((c.lng + (random() - 0.5) * 2.5 + 540)::numeric % 360) - 180 END,
    60, 'beginner', 10 + g % 100,
    CASE WHEN g % 10 = 3 THEN 'pending' ELSE 'approved' END,
    CASE WHEN g % 10 = 7 THEN 'claimed' ELSE 'open' END,
    CASE WHEN g % 97 = 0 THEN now() - interval '1 day' ELSE now() + interval '30 days' END,
    now() - g * interval '1 second'
FROM generate_series(1, %1) g
JOIN (VALUES (0, 37.7749, -122.4194), (1, 40.7128, -74.0060), (2, 51.5074, -0.1278), (3, -23.5505, -46.6333),
             (4, 28.6139, 77.2090), (5, 35.6762, 139.6503), (6, -1.2921, 36.8219), (7, 64.1466, -21.9426))
     AS c(i, lat, lng) ON c.i = (g / 2) % 8;
ANALYZE missions;
)SQL")
        .arg(n)
        .arg(kTieLat, 0, 'f', 4)
        .arg(kTieLng, 0, 'f', 4);
}

// One statement at a time (db::exec sends one statement per call).
bool seed(db::Database &db, int n)
{
    // Seeding 100k rows takes longer than the connection's default statement timeout.
    if (!db::exec(db.connection(), QStringLiteral("SET statement_timeout = 0")))
        return false;
    for (const QString &statement : seedSql(n).split(QStringLiteral(";\n"), Qt::SkipEmptyParts)) {
        if (statement.trimmed().isEmpty())
            continue;
        auto r = db::exec(db.connection(), statement);
        if (!r) {
            qWarning("seed failed: %s", qPrintable(r.error().message));
            return false;
        }
    }
    return true;
}

struct Hit {
    QString id;
    double km;
};

QString pgBinDir()
{
    QProcess p;
    p.start(QStringLiteral("pg_config"), {QStringLiteral("--bindir")});
    if (p.waitForFinished(10000) && p.exitCode() == 0) {
        const QString dir = QString::fromLocal8Bit(p.readAllStandardOutput()).trimmed();
        if (QFileInfo(dir + QStringLiteral("/pg_restore")).isExecutable())
            return dir;
    }
    const QStringList versions =
        QDir(QStringLiteral("/usr/lib/postgresql")).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    return versions.isEmpty() ? QString() : QStringLiteral("/usr/lib/postgresql/%1/bin").arg(versions.last());
}
} // namespace

class tst_MissionGeo : public QObject {
    Q_OBJECT
    test::PgFixture m_pg;
    QString m_dbName;
    std::unique_ptr<db::Database> m_db;
    std::unique_ptr<MissionMarket> m_market;

    QString plan(const MarketQuery &q, const std::optional<QJsonArray> &position = {})
    {
        const KeysetSql built = KeysetSql::build(MissionMarket::spec(q), position);
        auto r = db::exec(m_db->connection(), QStringLiteral("EXPLAIN ") + db::inlineBinds(built.sql, built.binds));
        QString text;
        while (r && r->next())
            text += r->value(0).toString() + u'\n';
        if (!r)
            text = QStringLiteral("EXPLAIN failed: ") + r.error().message;
        if (qEnvironmentVariableIsSet("BW_SHOW_PLANS"))
            qInfo("%s", qPrintable(text));
        return text;
    }

    // Every page of the nearby search, through the service and its real cursors.
    QList<Hit> walk(double lat, double lng, double radiusKm, int limit, int *pages = nullptr)
    {
        MarketQuery q;
        q.lat = lat;
        q.lng = lng;
        q.radiusKm = radiusKm;
        q.sort = MarketQuery::Sort::Distance;
        q.page.limit = limit;
        QList<Hit> out;
        int n = 0;
        for (;;) {
            const auto page = m_market->list(q);
            if (!page) {
                qWarning("page failed: %s", qPrintable(page.error().message));
                return {};
            }
            ++n;
            const QJsonArray items = QJsonDocument::fromJson(page->itemsJson).array();
            if (items.size() != page->count)
                return {};
            for (const auto &v : items)
                out.append({v.toObject().value("id").toString(), v.toObject().value("distanceKm").toDouble()});
            if (!page->hasMore)
                break;
            q.page.cursor = page->nextCursor;
        }
        if (pages)
            *pages = n;
        return out;
    }

    // The same question answered by a sequential haversine scan (no earthdistance, no index) over
    // the public points (coordinates rounded to 2 decimals), which is all the marketplace measures.
    QHash<QString, double> bruteForce(double lat, double lng)
    {
        const QString sql =
            QStringLiteral("SELECT id::text, 2 * %1 * asin(sqrt(sin(radians(round(required_latitude, 2)::float8 - ?) / 2) ^ 2"
                           " + cos(radians(?)) * cos(radians(round(required_latitude, 2)::float8))"
                           " * sin(radians(round(required_longitude, 2)::float8 - ?) / 2) ^ 2))"
                           " FROM missions WHERE guardrail_status = 'approved' AND status = 'open' AND expires_at > now()"
                           " AND required_latitude IS NOT NULL")
                .arg(kEarthKm, 0, 'f', 3);
        QHash<QString, double> out;
        auto r = db::exec(m_db->connection(), sql, {lat, lat, lng});
        while (r && r->next())
            out.insert(r->value(0).toString(), r->value(1).toDouble());
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_dbName = m_pg.createMigratedDatabase();
        QVERIFY(!m_dbName.isEmpty());
        m_db = std::make_unique<db::Database>(m_pg.settings(m_dbName));
        QElapsedTimer t;
        t.start();
        QVERIFY(seed(*m_db, kMissions));
        qInfo("seeded %d missions in %lld ms", kMissions, t.elapsed());
        auto count = db::exec(m_db->connection(), QStringLiteral("SELECT count(*) FROM missions"));
        QVERIFY(count && count->next());
        QVERIFY(count->value(0).toInt() >= 100000);
        m_market = std::make_unique<MissionMarket>(*m_db);
    }

    void cleanupTestCase()
    {
        m_market.reset();
        if (m_db)
            m_db->releaseThisThread();
        m_db.reset();
    }

    void earthFollowsCoordinates()
    {
        auto r = db::exec(
            m_db->connection(),
            QStringLiteral("SELECT count(*) FILTER (WHERE (earth IS NULL) <> (required_latitude IS NULL)"
                           "   OR (public_earth IS NULL) <> (required_latitude IS NULL)),"
                           " max(abs(earth_distance(earth, ll_to_earth(required_latitude::float8, required_longitude::float8)))),"
                           " max(abs(earth_distance(public_earth, ll_to_earth(round(required_latitude, 2)::float8,"
                           "                                                  round(required_longitude, 2)::float8))))"
                           " FROM missions"));
        QVERIFY(r && r->next());
        QCOMPARE(r->value(0).toInt(), 0);
        QVERIFY(r->value(1).toDouble() < 1e-6);
        QVERIFY(r->value(2).toDouble() < 1e-6);
        // An update moves the point too (trigger), and clearing the coordinates clears it.
        QVERIFY(db::exec(
            m_db->connection(),
            QStringLiteral(
                "UPDATE missions SET required_latitude = 10, required_longitude = 20 WHERE title = 'Seeded mission 31'")));
        r = db::exec(
            m_db->connection(),
            QStringLiteral("SELECT earth_distance(earth, ll_to_earth(10, 20)) FROM missions WHERE title = 'Seeded mission 31'"));
        QVERIFY(r && r->next());
        QVERIFY(r->value(0).toDouble() < 1e-6);
        QVERIFY(db::exec(
            m_db->connection(),
            QStringLiteral(
                "UPDATE missions SET required_latitude = NULL, required_longitude = NULL WHERE title = 'Seeded mission 31'")));
    }

    void plansUseTheGistIndex_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<bool>("nearby");
        QTest::addColumn<bool>("knn");
        QTest::newRow("nearby SF 50 km") << "lat=37.7749&lng=-122.4194&radius=50&limit=10" << true << true;
        QTest::newRow("nearby dense 200 km") << "lat=40.7128&lng=-74.0060&radius=200&limit=100" << true << true;
        QTest::newRow("nearby empty ocean") << "lat=-50&lng=-140&radius=5&limit=20" << true << true;
        QTest::newRow("market distance") << "lat=51.5&lng=-0.12&radiusKm=25&sort=distance" << false << true;
        QTest::newRow("market geo newest") << "lat=51.5&lng=-0.12&radiusKm=25" << false << false;
        QTest::newRow("market geo reward") << "lat=28.6&lng=77.2&radiusKm=100&sort=tokenReward" << false << false;
    }
    void plansUseTheGistIndex()
    {
        QFETCH(QString, query);
        QFETCH(bool, nearby);
        QFETCH(bool, knn);
        QMap<QString, QString> params;
        for (const QString &pair : query.split(u'&'))
            params.insert(pair.section(u'=', 0, 0), pair.section(u'=', 1));
        const auto q = nearby ? MarketQuery::fromNearbyQuery(params) : MarketQuery::fromQuery(params);
        QVERIFY(q.ok());
        for (const auto &position :
             {std::optional<QJsonArray>(), std::optional<QJsonArray>(QJsonArray{knn ? "1000.5" : "2026-01-01T00:00:00.000000Z",
                                                                                "00000000-0000-4000-8000-000000000009"})}) {
            if (position && q->sort == MarketQuery::Sort::TokenReward)
                continue; // three keys; covered without a cursor
            const QString text = plan(*q, position);
            QVERIFY2(!text.contains(QLatin1String("Seq Scan on missions")), qPrintable(text));
            QVERIFY2(text.contains(QLatin1String("Index")), qPrintable(text));
            if (knn) {
                QVERIFY2(text.contains(QLatin1String("missions_market_public_earth_idx")), qPrintable(text));
                QVERIFY2(text.contains(QLatin1String("Order By:")), qPrintable(text)); // the KNN scan
            }
        }
    }

    void nearbyEqualsBruteForce_data()
    {
        QTest::addColumn<double>("lat");
        QTest::addColumn<double>("lng");
        QTest::addColumn<double>("radiusKm");
        QTest::addColumn<int>("limit");
        QTest::newRow("SF 50 km") << 37.7749 << -122.4194 << 50.0 << 10;
        QTest::newRow("NYC 200 km") << 40.7128 << -74.0060 << 200.0 << 100;
        QTest::newRow("London 1 km") << 51.5074 << -0.1278 << 1.0 << 20;
        QTest::newRow("tie point 25 km") << kTieLat << kTieLng << 25.0 << 7;
        QTest::newRow("dateline") << 10.0 << 179.9 << 200.0 << 50;
        QTest::newRow("near the pole") << 89.5 << 0.0 << 200.0 << 50;
        QTest::newRow("Reykjavik 120 km") << 64.1466 << -21.9426 << 120.0 << 33;
    }
    void nearbyEqualsBruteForce()
    {
        QFETCH(double, lat);
        QFETCH(double, lng);
        QFETCH(double, radiusKm);
        QFETCH(int, limit);

        int pages = 0;
        const QList<Hit> hits = walk(lat, lng, radiusKm, limit, &pages);
        const QHash<QString, double> all = bruteForce(lat, lng);
        QVERIFY(!all.isEmpty());

        // Membership: identical, except for points within a micrometre of the radius.
        constexpr double eps = 1e-9; // km
        QSet<QString> got;
        for (const Hit &h : hits) {
            QVERIFY2(!got.contains(h.id), "a mission appeared twice across pages");
            got.insert(h.id);
            QVERIFY2(all.contains(h.id), "not a public mission");
            QVERIFY2(all.value(h.id) <= radiusKm + eps, "outside the radius");
            QVERIFY2(std::abs(h.km - all.value(h.id)) <= 0.05 + 1e-9, "distanceKm is not the rounded distance");
        }
        int expected = 0;
        for (auto it = all.cbegin(); it != all.cend(); ++it) {
            if (it.value() < radiusKm - eps) {
                ++expected;
                QVERIFY2(got.contains(it.key()), "a mission inside the radius is missing (gap)");
            }
        }
        QVERIFY(hits.size() >= expected);
        QCOMPARE(pages, std::max(1, int((hits.size() + limit - 1) / limit))); // no empty trailing page

        // Order: nearest first, ties (identical points) by id.
        for (qsizetype i = 1; i < hits.size(); ++i) {
            const double a = all.value(hits[i - 1].id), b = all.value(hits[i].id);
            QVERIFY2(a <= b + eps, qPrintable(QStringLiteral("order broken at %1: %2 > %3").arg(i).arg(a).arg(b)));
            if (a == b) // identical points
                QVERIFY2(hits[i - 1].id < hits[i].id, "ties must be ordered by id");
        }
        qInfo("%s: %lld missions in %d pages", QTest::currentDataTag(), qint64(hits.size()), pages);
    }

    void nearbyIsFast()
    {
        // Not a benchmark (BENCHMARKS.md has those): a guard against losing the index.
        MarketQuery q;
        q.lat = 37.7749;
        q.lng = -122.4194;
        q.radiusKm = 50;
        q.sort = MarketQuery::Sort::Distance;
        q.page.limit = 10;
        QVERIFY(m_market->list(q).ok()); // prepares the statement
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < 50; ++i)
            QVERIFY(m_market->list(q).ok());
        qInfo("nearby (10 of 100k, 50 km): %.2f ms per query", t.nsecsElapsed() / 50 / 1e6);
    }

    void survivesDumpAndRestore()
    {
        const QString bin = pgBinDir();
        if (bin.isEmpty())
            QSKIP("pg_dump/pg_restore not found");
        const QString source = m_pg.createMigratedDatabase();
        const QString target = m_pg.createDatabase();
        QVERIFY(!source.isEmpty() && !target.isEmpty());
        {
            db::Database db(m_pg.settings(source));
            QVERIFY(seed(db, 300));
            db.releaseThisThread();
        }
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("missions.dump"));
        QProcess dump;
        dump.start(bin + QStringLiteral("/pg_dump"), {QStringLiteral("--format=custom"), QStringLiteral("--file=") + file,
                                                      QStringLiteral("--dbname=") + m_pg.url(source)});
        QVERIFY(dump.waitForFinished(120000));
        QVERIFY2(dump.exitCode() == 0, dump.readAllStandardError().constData());
        QProcess restore;
        restore.start(bin + QStringLiteral("/pg_restore"), {QStringLiteral("--exit-on-error"), QStringLiteral("--no-owner"),
                                                            QStringLiteral("--dbname=") + m_pg.url(target), file});
        QVERIFY(restore.waitForFinished(120000));
        QVERIFY2(restore.exitCode() == 0, restore.readAllStandardError().constData());

        db::Database restored(m_pg.settings(target));
        auto r =
            db::exec(restored.connection(),
                     QStringLiteral("SELECT count(*), count(*) FILTER (WHERE earth IS NOT NULL AND public_earth IS NOT NULL),"
                                    " (SELECT count(*) FROM pg_indexes WHERE indexname = 'missions_market_public_earth_idx')"
                                    " FROM missions"));
        QVERIFY(r && r->next());
        QCOMPARE(r->value(0).toInt(), 300);
        QVERIFY(r->value(1).toInt() > 250);
        QCOMPARE(r->value(2).toInt(), 1);
        // The restored database keeps working: the trigger and the geo search.
        QVERIFY(
            db::exec(restored.connection(),
                     QStringLiteral(
                         "UPDATE missions SET required_latitude = 1, required_longitude = 2 WHERE title = 'Seeded mission 2'")));
        {
            MissionMarket market(restored);
            MarketQuery q;
            q.lat = 1;
            q.lng = 2;
            q.radiusKm = 1;
            q.sort = MarketQuery::Sort::Distance;
            const auto page = market.list(q);
            QVERIFY2(page.ok(), page.ok() ? "" : qPrintable(page.error().message));
            QCOMPARE(page->count, 1);
        }
        restored.releaseThisThread();
    }
};

QTEST_GUILESS_MAIN(tst_MissionGeo)
#include "tst_missiongeo.moc"
