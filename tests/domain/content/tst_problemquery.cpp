// GET /problems query-string validation. Pure; test thread.

#include "server/domain/content/problemquery.h"

#include <QTest>

using namespace bw;
using namespace bw::domain;

class tst_ProblemQuery : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaults();
    void valid();
    void invalid_data();
    void invalid();
    void unknownDomain();
};

void tst_ProblemQuery::defaults()
{
    auto q = ProblemQuery::fromQuery({});
    QVERIFY(q.ok());
    QCOMPARE(q->limit, 20);
    QCOMPARE(q->sort, ProblemQuery::Sort::Recent);
    QVERIFY(!q->mine);
    QVERIFY(q->domain.isEmpty() && q->cursor.isEmpty());
}

void tst_ProblemQuery::valid()
{
    auto q = ProblemQuery::fromQuery({{"limit", "100"},
                                      {"sort", "upvotes"},
                                      {"domain", "elder_care"},
                                      {"severity", "critical"},
                                      {"status", "being_addressed"},
                                      {"mine", "true"},
                                      {"cursor", "abc"}});
    QVERIFY(q.ok());
    QCOMPARE(q->limit, 100);
    QCOMPARE(q->sort, ProblemQuery::Sort::Upvotes);
    QCOMPARE(q->domain, QString("elder_care"));
    QCOMPARE(q->severity, QString("critical"));
    QCOMPARE(q->status, QString("being_addressed"));
    QVERIFY(q->mine);
    QCOMPARE(q->cursor, QString("abc"));
    QCOMPARE(ProblemQuery::fromQuery({{"sort", "solutions"}, {"limit", "1"}, {"mine", "false"}})->sort,
             ProblemQuery::Sort::Solutions);
}

void tst_ProblemQuery::invalid_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    // clang-format off
    QTest::newRow("limit 0") << "limit" << "0";
    QTest::newRow("limit 101") << "limit" << "101";
    QTest::newRow("limit text") << "limit" << "ten";
    QTest::newRow("limit negative") << "limit" << "-5";
    QTest::newRow("limit fraction") << "limit" << "2.5";
    QTest::newRow("sort") << "sort" << "oldest";
    QTest::newRow("severity") << "severity" << "urgent";
    QTest::newRow("status") << "status" << "open";
    QTest::newRow("mine") << "mine" << "yes";
    // clang-format on
}

void tst_ProblemQuery::invalid()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    auto q = ProblemQuery::fromQuery({{key, value}});
    QVERIFY(!q.ok());
    QCOMPARE(q.error().status(), 422);
    QVERIFY(q.error().details.value("fields").toObject().contains(key));
}

void tst_ProblemQuery::unknownDomain()
{
    auto q = ProblemQuery::fromQuery({{"domain", "space_travel"}});
    QVERIFY(!q.ok());
    QCOMPARE(q.error().kind, ErrorKind::InvalidDomain);
    QCOMPARE(q.error().status(), 400);
    QCOMPARE(q.error().code(), QString("INVALID_DOMAIN"));
}

QTEST_APPLESS_MAIN(tst_ProblemQuery)
#include "tst_problemquery.moc"
