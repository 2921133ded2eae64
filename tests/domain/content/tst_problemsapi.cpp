// Problems over real HTTP: register → create → list → get, visibility, validation, keyset cursors.
#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTest>

using namespace bw::test;

namespace {
QByteArray problem(const QString &title, const QString &domain = QStringLiteral("education_access"))
{
    return QJsonDocument(QJsonObject{
                             {"title", title},
                             {"description",
                              QStringLiteral("Children in the valley walk two hours to reach the nearest school every day.")},
                             {"domain", domain},
                             {"severity", "high"},
                             {"geographicScope", "local"},
                             {"latitude", 12.5},
                             {"longitude", -7.25},
                             {"evidenceLinks", QJsonArray{"https://example.org/report"}},
                         })
        .toJson();
}
QString errorCode(const HttpReply &r)
{
    return r.json().value("error").toObject().value("code").toString();
}
} // namespace

class tst_ProblemsApi : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    QString m_key, m_agentId, m_otherKey;
    quint16 port() const { return m_server->port(); }

    void approveAll()
    {
        bw::db::Database db(m_pg.settings(m_server->database()));
        QVERIFY(bw::db::exec(db.connection(), QStringLiteral("UPDATE problems SET guardrail_status = 'approved'")));
        db.releaseThisThread();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
        std::tie(m_agentId, m_key) = m_server->registerAgent(QStringLiteral("reporter_one"));
        QVERIFY(!m_key.isEmpty());
        m_otherKey = m_server->registerAgent(QStringLiteral("reporter_two")).second;
        QVERIFY(!m_otherKey.isEmpty());
    }
    void cleanupTestCase() { QVERIFY(m_server->stop()); }

    void createListGetFlow()
    {
        const HttpReply created = httpRequest(port(), "POST", "/api/v1/problems", problem("No school within ten kilometres"),
                                              {{"Authorization", bearer(m_key)}});
        QCOMPARE(created.status, 201);
        const QJsonObject row = created.json().value("data").toObject();
        const QString id = row.value("id").toString();
        QCOMPARE(row.value("guardrailStatus").toString(), QStringLiteral("pending"));
        QVERIFY(!row.value("guardrailEvaluationId").toString().isEmpty());
        QCOMPARE(row.value("title").toString(), QStringLiteral("No school within ten kilometres"));
        QCOMPARE(row.value("domain").toString(), QStringLiteral("education_access"));

        // The evaluation row and its job were written with the problem.
        {
            bw::db::Database db(m_pg.settings(m_server->database()));
            auto q = bw::db::exec(
                db.connection(),
                QStringLiteral(
                    "SELECT count(*) FROM jobs j JOIN guardrail_evaluations e ON e.id::text = j.payload->>'evaluationId' WHERE e.content_id = ?::uuid"),
                {id});
            QVERIFY(q && q->next());
            QCOMPARE(q->value(0).toInt(), 1);
            db.releaseThisThread();
        }

        // Public list: pending content is invisible.
        HttpReply list = httpRequest(port(), "GET", "/api/v1/problems");
        QCOMPARE(list.status, 200);
        for (const auto &item : list.json().value("data").toArray())
            QVERIFY(item.toObject().value("id").toString() != id);
        QCOMPARE(list.json().value("meta").toObject().value("hasMore").toBool(), false);

        // mine=true shows it to the owner; without auth, mine is 401.
        list = httpRequest(port(), "GET", "/api/v1/problems?mine=true", {}, {{"Authorization", bearer(m_key)}});
        QCOMPARE(list.status, 200);
        QVERIFY(std::any_of(list.json().value("data").toArray().begin(), list.json().value("data").toArray().end(),
                            [&](const QJsonValue &v) { return v.toObject().value("id").toString() == id; }));
        QCOMPARE(httpRequest(port(), "GET", "/api/v1/problems?mine=true").status, 401);

        // Single read: owner 200 with guardrailExplanation; others 403.
        HttpReply get = httpRequest(port(), "GET", "/api/v1/problems/" + id.toLatin1(), {}, {{"Authorization", bearer(m_key)}});
        QCOMPARE(get.status, 200);
        QVERIFY(get.json().value("data").toObject().contains("guardrailExplanation"));
        get = httpRequest(port(), "GET", "/api/v1/problems/" + id.toLatin1(), {}, {{"Authorization", bearer(m_otherKey)}});
        QCOMPARE(get.status, 403);
        QCOMPARE(httpRequest(port(), "GET", "/api/v1/problems/" + id.toLatin1()).status, 403);

        approveAll();
        get = httpRequest(port(), "GET", "/api/v1/problems/" + id.toLatin1());
        QCOMPARE(get.status, 200);
        QVERIFY(!get.json().value("data").toObject().contains("guardrailExplanation"));
        list = httpRequest(port(), "GET", "/api/v1/problems?domain=education_access");
        QVERIFY(std::any_of(list.json().value("data").toArray().begin(), list.json().value("data").toArray().end(),
                            [&](const QJsonValue &v) { return v.toObject().value("id").toString() == id; }));
    }

    void unknownAndMalformedIdsAre404()
    {
        QCOMPARE(httpRequest(port(), "GET", "/api/v1/problems/00000000-0000-0000-0000-000000000000").status, 404);
        QCOMPARE(httpRequest(port(), "GET", "/api/v1/problems/not-a-uuid").status, 404);
    }

    void createNeedsAuthentication()
    {
        const HttpReply r = httpRequest(port(), "POST", "/api/v1/problems", problem("Unauthenticated problem report"));
        QCOMPARE(r.status, 401);
    }

    void validationIs422()
    {
        const QByteArray bad = QJsonDocument(QJsonObject{{"title", "short"},
                                                         {"description", "too short"},
                                                         {"domain", "space_travel"},
                                                         {"severity", "apocalyptic"},
                                                         {"latitude", 120}})
                                   .toJson();
        const HttpReply r = httpRequest(port(), "POST", "/api/v1/problems", bad, {{"Authorization", bearer(m_key)}});
        QCOMPARE(r.status, 422);
        const QJsonObject fields = r.json().value("error").toObject().value("details").toObject().value("fields").toObject();
        for (const char *f : {"title", "description", "domain", "severity"})
            QVERIFY2(fields.contains(QLatin1String(f)), f);
        QVERIFY(fields.contains("latitude") || fields.contains("longitude"));
    }

    void listParameterErrors()
    {
        HttpReply r = httpRequest(port(), "GET", "/api/v1/problems?limit=0");
        QCOMPARE(r.status, 422);
        r = httpRequest(port(), "GET", "/api/v1/problems?limit=101");
        QCOMPARE(r.status, 422);
        r = httpRequest(port(), "GET", "/api/v1/problems?domain=space_travel");
        QCOMPARE(r.status, 400);
        QCOMPARE(errorCode(r), QStringLiteral("INVALID_DOMAIN"));
        r = httpRequest(port(), "GET", "/api/v1/problems?cursor=garbage");
        QCOMPARE(r.status, 400);
        QCOMPARE(errorCode(r), QStringLiteral("INVALID_CURSOR"));
    }

    void keysetPaginationWalksEverythingOnce()
    {
        for (int i = 0; i < 25; ++i)
            QCOMPARE(httpRequest(port(), "POST", "/api/v1/problems",
                                 problem(QStringLiteral("Paged problem number %1").arg(i), "food_security"),
                                 {{"Authorization", bearer(m_otherKey)}})
                         .status,
                     201);
        approveAll();
        QSet<QString> seen;
        QByteArray target = "/api/v1/problems?domain=food_security&limit=10";
        int pages = 0;
        QString cursor;
        for (;;) {
            const HttpReply r = httpRequest(port(), "GET", target);
            QCOMPARE(r.status, 200);
            const QJsonArray items = r.json().value("data").toArray();
            const QJsonObject meta = r.json().value("meta").toObject();
            QCOMPARE(meta.value("count").toInt(), int(items.size()));
            for (const auto &item : items) {
                const QString id = item.toObject().value("id").toString();
                QVERIFY2(!seen.contains(id), "duplicate across pages");
                seen.insert(id);
            }
            ++pages;
            if (!meta.value("hasMore").toBool()) {
                QVERIFY(meta.value("nextCursor").isNull());
                break;
            }
            cursor = meta.value("nextCursor").toString();
            target = "/api/v1/problems?domain=food_security&limit=10&cursor=" + QUrl::toPercentEncoding(cursor);
        }
        QCOMPARE(seen.size(), 25);
        QCOMPARE(pages, 3);
        // Tampering with a real cursor is detected.
        QString tampered = cursor;
        tampered[2] = tampered[2] == u'A' ? u'B' : u'A';
        const HttpReply r = httpRequest(port(), "GET", "/api/v1/problems?limit=10&cursor=" + QUrl::toPercentEncoding(tampered));
        QCOMPARE(r.status, 400);
        QCOMPARE(errorCode(r), QStringLiteral("INVALID_CURSOR"));
    }
};

QTEST_GUILESS_MAIN(tst_ProblemsApi)
#include "tst_problemsapi.moc"
