// Router: literal beats parameter, parameters extracted, 404 vs 405 + allowed methods, HEAD served
// by GET routes, trailing and doubled slashes. Pure; runs on the test thread.

#include "server/http/router.h"

#include <QTest>

using namespace bw::http;

namespace {
Handler named(const char *name)
{
    return [name](Request &) {
        Response r;
        r.body = name;
        return r;
    };
}

QString joinParams(const QHash<QString, QString> &params)
{
    QStringList parts;
    for (auto it = params.cbegin(); it != params.cend(); ++it)
        parts << it.key() + u'=' + it.value();
    parts.sort();
    return parts.join(u';');
}

QString joinAllowed(QByteArrayList allowed)
{
    std::sort(allowed.begin(), allowed.end());
    return QString::fromLatin1(allowed.join(','));
}

// The API's shape, registered with parameter routes before their literal siblings on purpose.
void addRoutes(Router &r)
{
    r.add("GET", "/api/v1/agents/:id", {}, named("agent by id"));
    r.add("GET", "/api/v1/agents/me", {}, named("me"));
    r.add("PATCH", "/api/v1/agents/me", {}, named("patch me"));
    r.add("GET", "/api/v1/problems", {}, named("list problems"));
    r.add("POST", "/api/v1/problems", {}, named("create problem"));
    r.add("GET", "/api/v1/problems/:id", {}, named("get problem"));
    r.add("DELETE", "/api/v1/problems/:id", {}, named("delete problem"));
    r.add("GET", "/api/v1/problems/:problemId/solutions/:solutionId", {}, named("get solution"));
    r.add("POST", "/api/v1/auth/agents/rotate-key", {}, named("rotate"));
    r.add("GET", "/health", {}, named("health"));
    r.add("GET", "/", {}, named("root"));
}
} // namespace

class tst_Router : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void match_data();
    void match();
    void literalBeatsParameterInEitherOrder();
    void routeCarriesOptionsAndPattern();
    void emptyRouter();
};

void tst_Router::match_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("handler"); // "" = no route
    QTest::addColumn<QString>("params");
    QTest::addColumn<QString>("allowed"); // sorted; "" with no handler = 404

    // clang-format off
    QTest::newRow("literal me") << QByteArray("GET") << "/api/v1/agents/me" << "me" << "" << "";
    QTest::newRow("param id") << QByteArray("GET") << "/api/v1/agents/abc-123" << "agent by id" << "id=abc-123" << "";
    QTest::newRow("patch me") << QByteArray("PATCH") << "/api/v1/agents/me" << "patch me" << "" << "";
    QTest::newRow("patch by id → 405") << QByteArray("PATCH") << "/api/v1/agents/abc" << "" << "" << "GET,HEAD";
    QTest::newRow("delete me → 405 lists literal and param methods")
        << QByteArray("DELETE") << "/api/v1/agents/me" << "" << "" << "GET,HEAD,PATCH";
    QTest::newRow("two params") << QByteArray("GET") << "/api/v1/problems/p1/solutions/s2" << "get solution"
                                << "problemId=p1;solutionId=s2" << "";
    QTest::newRow("param keeps its text") << QByteArray("GET") << "/api/v1/problems/a%20b" << "get problem" << "id=a%20b" << "";
    QTest::newRow("list") << QByteArray("GET") << "/api/v1/problems" << "list problems" << "" << "";
    QTest::newRow("create") << QByteArray("POST") << "/api/v1/problems" << "create problem" << "" << "";
    QTest::newRow("delete") << QByteArray("DELETE") << "/api/v1/problems/p9" << "delete problem" << "id=p9" << "";
    QTest::newRow("wrong method on collection") << QByteArray("PUT") << "/api/v1/problems" << "" << "" << "GET,HEAD,POST";
    QTest::newRow("wrong method on item") << QByteArray("PATCH") << "/api/v1/problems/p1" << "" << "" << "DELETE,GET,HEAD";
    QTest::newRow("POST-only path, no HEAD added") << QByteArray("GET") << "/api/v1/auth/agents/rotate-key" << "" << "" << "POST";
    QTest::newRow("HEAD on POST-only path") << QByteArray("HEAD") << "/api/v1/auth/agents/rotate-key" << "" << "" << "POST";
    QTest::newRow("HEAD → GET literal") << QByteArray("HEAD") << "/api/v1/agents/me" << "me" << "" << "";
    QTest::newRow("HEAD → GET param") << QByteArray("HEAD") << "/api/v1/problems/p1" << "get problem" << "id=p1" << "";
    QTest::newRow("HEAD health") << QByteArray("HEAD") << "/health" << "health" << "" << "";
    QTest::newRow("POST health → 405") << QByteArray("POST") << "/health" << "" << "" << "GET,HEAD";
    QTest::newRow("trailing slash literal") << QByteArray("GET") << "/api/v1/agents/me/" << "me" << "" << "";
    QTest::newRow("trailing slash collection") << QByteArray("GET") << "/api/v1/problems/" << "list problems" << "" << "";
    QTest::newRow("trailing slash param") << QByteArray("GET") << "/api/v1/problems/p1/" << "get problem" << "id=p1" << "";
    QTest::newRow("doubled slashes") << QByteArray("GET") << "//api//v1/problems" << "list problems" << "" << "";
    QTest::newRow("root") << QByteArray("GET") << "/" << "root" << "" << "";
    QTest::newRow("unknown → 404") << QByteArray("GET") << "/api/v1/nothing" << "" << "" << "";
    QTest::newRow("too short → 404") << QByteArray("GET") << "/api/v1/agents" << "" << "" << "";
    QTest::newRow("too long → 404") << QByteArray("GET") << "/api/v1/agents/me/extra" << "" << "" << "";
    QTest::newRow("case sensitive path → 404") << QByteArray("GET") << "/API/v1/problems" << "" << "" << "";
    QTest::newRow("prefix only → 404") << QByteArray("GET") << "/api/v1" << "" << "" << "";
    QTest::newRow("unknown method, unknown path → 404") << QByteArray("BREW") << "/coffee" << "" << "" << "";
    QTest::newRow("unknown method, known path → 405") << QByteArray("BREW") << "/health" << "" << "" << "GET,HEAD";
    // clang-format on
}

void tst_Router::match()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QString, handler);
    QFETCH(QString, params);
    QFETCH(QString, allowed);

    Router router;
    addRoutes(router);
    const Match m = router.match(method, path);
    if (handler.isEmpty()) {
        QVERIFY2(!m.route, m.route ? qPrintable(m.route->pattern) : "");
        QCOMPARE(joinAllowed(m.allowed), allowed);
        return;
    }
    QVERIFY(m.route);
    Request req;
    QCOMPARE(QString::fromLatin1(m.route->handler(req).body), handler);
    QCOMPARE(joinParams(m.params), params);
}

void tst_Router::literalBeatsParameterInEitherOrder()
{
    for (bool literalFirst : {true, false}) {
        Router r;
        if (literalFirst) {
            r.add("GET", "/agents/me", {}, named("me"));
            r.add("GET", "/agents/:id", {}, named("id"));
        } else {
            r.add("GET", "/agents/:id", {}, named("id"));
            r.add("GET", "/agents/me", {}, named("me"));
        }
        Request req;
        const Match me = r.match("GET", "/agents/me");
        QVERIFY(me.route);
        QCOMPARE(me.route->handler(req).body, QByteArray("me"));
        QVERIFY(me.params.isEmpty());
        const Match other = r.match("GET", "/agents/mee");
        QVERIFY(other.route);
        QCOMPARE(other.route->handler(req).body, QByteArray("id"));
        QCOMPARE(other.params.value("id"), QStringLiteral("mee"));
    }
}

void tst_Router::routeCarriesOptionsAndPattern()
{
    Router r;
    RouteOptions opts;
    opts.auth = Auth::Agent;
    opts.rate = RateClass::Content;
    opts.usesDatabase = false;
    opts.maxBodyBytes = 2048;
    r.add("POST", "/api/v1/problems/:id/solutions", opts, named("x"));
    const Match m = r.match("POST", "/api/v1/problems/42/solutions");
    QVERIFY(m.route);
    QCOMPARE(m.route->pattern, QStringLiteral("/api/v1/problems/:id/solutions"));
    QCOMPARE(m.route->method, QByteArray("POST"));
    QCOMPARE(m.route->options.auth, Auth::Agent);
    QCOMPARE(m.route->options.rate, RateClass::Content);
    QCOMPARE(m.route->options.usesDatabase, false);
    QCOMPARE(m.route->options.maxBodyBytes, qint64(2048));
    QCOMPARE(m.params.value("id"), QStringLiteral("42"));
}

void tst_Router::emptyRouter()
{
    Router r;
    const Match m = r.match("GET", "/anything");
    QVERIFY(!m.route);
    QVERIFY(m.allowed.isEmpty());
    QVERIFY(m.params.isEmpty());
}

QTEST_GUILESS_MAIN(tst_Router)
#include "tst_router.moc"
