// exec() and Transaction: binding, error mapping (SQLSTATE), commit/rollback rules.

#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"

#include <QTest>
#include <QUuid>

#include <memory>

using namespace bw;
using namespace bw::db;

class tst_Sql final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void positionalAndNamedBinds();
    void errorsCarrySqlState_data();
    void errorsCarrySqlState();
    void transactionCommits();
    void transactionRollsBackInDestructor();
    void commitAfterFailedStatementFails();
    void nestedTransactionIsRefused();
    void invalidConnection();
    void inTransactionCommitsOrRollsBack();
    void execCachedMatchesExec();
    void valueHelpers();

private:
    int count();
    test::PgFixture m_pg;
    std::unique_ptr<Database> m_database;
};

void tst_Sql::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = m_pg.createDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<Database>(m_pg.settings(name));
    auto r = exec(m_database->connection(), QStringLiteral("CREATE TABLE items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
                                                           " name text UNIQUE NOT NULL, qty int CHECK (qty >= 0), meta jsonb)"));
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
}

void tst_Sql::cleanupTestCase()
{
    if (m_database)
        m_database->releaseThisThread();
    m_database.reset();
}

int tst_Sql::count()
{
    auto r = exec(m_database->connection(), QStringLiteral("SELECT count(*) FROM items"));
    return r && r->next() ? r->value(0).toInt() : -1;
}

void tst_Sql::positionalAndNamedBinds()
{
    QSqlDatabase db = m_database->connection();
    QVERIFY(exec(db, QStringLiteral("DELETE FROM items")));
    auto r = exec(db, QStringLiteral("INSERT INTO items (name, qty, meta) VALUES (?, ?, ?::jsonb) RETURNING id"),
                  {QStringLiteral("it's \"quoted\" \\ ü"), 3, QStringLiteral("{\"a\": [1, 2]}")});
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
    QVERIFY(r->next());
    const QUuid id(r->value(0).toString());
    QVERIFY(!id.isNull());

    r = exec(db, QStringLiteral("SELECT name, qty, meta->'a'->>1 FROM items WHERE id = :id AND qty = :qty"), {id, 3});
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
    QVERIFY(r->next());
    QCOMPARE(r->value(0).toString(), QStringLiteral("it's \"quoted\" \\ ü"));
    QCOMPARE(r->value(1).toInt(), 3);
    QCOMPARE(r->value(2).toString(), QStringLiteral("2"));

    // NULL binds.
    r = exec(db, QStringLiteral("INSERT INTO items (name, qty) VALUES (?, ?)"), {QStringLiteral("n"), QVariant()});
    QVERIFY(r.ok());
    r = exec(db, QStringLiteral("SELECT count(*) FROM items WHERE qty IS NULL"));
    QVERIFY(r && r->next());
    QCOMPARE(r->value(0).toInt(), 1);
    QCOMPARE(count(), 2);
}

void tst_Sql::errorsCarrySqlState_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QVariantList>("binds");
    QTest::addColumn<QString>("state");
    QTest::newRow("unique") << "INSERT INTO items (name) VALUES (?)" << QVariantList{QStringLiteral("dup")}
                            << QString::fromLatin1(kUniqueViolation);
    QTest::newRow("check") << "INSERT INTO items (name, qty) VALUES (?, ?)" << QVariantList{QStringLiteral("neg"), -1}
                           << QString::fromLatin1(kCheckViolation);
    QTest::newRow("syntax, no binds") << "SELEC 1" << QVariantList{} << "42601";
    QTest::newRow("syntax, binds") << "SELEC ?" << QVariantList{1} << "42601";
    QTest::newRow("undefined table") << "SELECT * FROM nope" << QVariantList{} << "42P01";
    QTest::newRow("bad uuid") << "SELECT ?::uuid" << QVariantList{QStringLiteral("x")} << "22P02";
}

void tst_Sql::errorsCarrySqlState()
{
    QFETCH(QString, sql);
    QFETCH(QVariantList, binds);
    QFETCH(QString, state);
    QSqlDatabase db = m_database->connection();
    (void)exec(db, QStringLiteral("INSERT INTO items (name) VALUES ('dup') ON CONFLICT DO NOTHING"));
    auto r = exec(db, sql, binds);
    QVERIFY(!r);
    QCOMPARE(r.error().kind, ErrorKind::Internal);
    QCOMPARE(sqlState(r.error()), state);
    QVERIFY(!r.error().message.isEmpty());
    QVERIFY2(!r.error().message.contains(u'(' + state + u')'), qPrintable(r.error().message));
    QVERIFY(m_database->ping()); // the connection is fine afterwards
}

void tst_Sql::transactionCommits()
{
    QSqlDatabase db = m_database->connection();
    const int before = count();
    {
        Transaction tx(db);
        QVERIFY(tx.begin_status());
        QVERIFY(tx.isActive());
        QVERIFY(exec(db, QStringLiteral("INSERT INTO items (name) VALUES ('tx1')")));
        QVERIFY(tx.commit());
        QVERIFY(!tx.isActive());
    }
    QCOMPARE(count(), before + 1);
}

void tst_Sql::transactionRollsBackInDestructor()
{
    QSqlDatabase db = m_database->connection();
    const int before = count();
    {
        Transaction tx(db);
        QVERIFY(tx.begin_status());
        QVERIFY(exec(db, QStringLiteral("INSERT INTO items (name) VALUES ('tx2')")));
    }
    QCOMPARE(count(), before);
    {
        Transaction tx(db);
        QVERIFY(exec(db, QStringLiteral("INSERT INTO items (name) VALUES ('tx3')")));
        QVERIFY(tx.rollback());
        QVERIFY(tx.rollback()); // idempotent
    }
    QCOMPARE(count(), before);
}

void tst_Sql::commitAfterFailedStatementFails()
{
    QSqlDatabase db = m_database->connection();
    const int before = count();
    {
        Transaction tx(db);
        QVERIFY(exec(db, QStringLiteral("INSERT INTO items (name) VALUES ('tx4')")));
        auto dup = exec(db, QStringLiteral("INSERT INTO items (name) VALUES ('tx4')"));
        QVERIFY(!dup);
        QCOMPARE(sqlState(dup.error()), QString::fromLatin1(kUniqueViolation));
        // PostgreSQL would answer COMMIT with a silent ROLLBACK; we report it.
        const Status c = tx.commit();
        QVERIFY(!c);
        QCOMPARE(sqlState(c.error()), QStringLiteral("25P02"));
    }
    QCOMPARE(count(), before);
    QVERIFY(m_database->ping());
}

void tst_Sql::nestedTransactionIsRefused()
{
    QSqlDatabase db = m_database->connection();
    Transaction outer(db);
    QVERIFY(outer.begin_status());
    {
        Transaction inner(db);
        QVERIFY(!inner.begin_status());
        QVERIFY(!inner.isActive());
    }
    QVERIFY(outer.isActive());
    QVERIFY(outer.commit());
    Transaction again(db); // the marker was cleared
    QVERIFY(again.begin_status());
}

void tst_Sql::invalidConnection()
{
    auto r = exec(QSqlDatabase(), QStringLiteral("SELECT 1"));
    QVERIFY(!r);
    QCOMPARE(sqlState(r.error()), QStringLiteral("08003"));
    QCOMPARE(sqlState(ApiError::notFound(QStringLiteral("x"))), QString());
}

void tst_Sql::inTransactionCommitsOrRollsBack()
{
    QSqlDatabase db = m_database->connection();
    const int before = count();
    Result<int> done = inTransaction(db, [&]() -> Result<int> {
        if (auto r = exec(db, QStringLiteral("INSERT INTO items (name) VALUES ('intx1')")); !r)
            return r.error();
        return 7;
    });
    QVERIFY(done);
    QCOMPARE(*done, 7);
    QCOMPARE(count(), before + 1);

    Status failed = inTransaction(db, [&]() -> Status {
        if (auto r = exec(db, QStringLiteral("INSERT INTO items (name) VALUES ('intx2')")); !r)
            return r.error();
        return ApiError::conflict(QStringLiteral("changed my mind"));
    });
    QVERIFY(!failed);
    QCOMPARE(failed.error().kind, ErrorKind::Conflict);
    QCOMPARE(count(), before + 1);                 // rolled back
    QVERIFY(exec(db, QStringLiteral("SELECT 1"))); // and the connection is usable outside a transaction
}

void tst_Sql::execCachedMatchesExec()
{
    QSqlDatabase db = m_database->connection();
    for (int i = 0; i < 3; ++i) { // prepared on the first call, EXECUTEd after
        auto r = execCached(db, QStringLiteral("SELECT ?::int + 1, ?::text, ?::text IS NULL"),
                            {i, QStringLiteral("it's"), nullText()});
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        QVERIFY(r->next());
        QCOMPARE(r->value(0).toInt(), i + 1);
        QCOMPARE(r->value(1).toString(), QStringLiteral("it's"));
        QVERIFY(r->value(2).toBool());
    }
    auto mismatch = execCached(db, QStringLiteral("SELECT ?"), {});
    QVERIFY(!mismatch);
    QCOMPARE(mismatch.error().kind, ErrorKind::Internal);
}

void tst_Sql::valueHelpers()
{
    QSqlDatabase db = m_database->connection();
    QVERIFY(textOrNull(QString()).isNull());
    QVERIFY(textOrNull(QStringLiteral("")).isNull());
    QCOMPARE(textOrNull(QStringLiteral("x")).toString(), QStringLiteral("x"));
    QVERIFY(optionalText(std::nullopt).isNull());
    QVERIFY(!optionalText(QString()).isNull());

    auto one = scalar(exec(db, QStringLiteral("SELECT 42")));
    QVERIFY(one);
    QCOMPARE(one->toInt(), 42);
    auto none = scalar(exec(db, QStringLiteral("SELECT 1 WHERE false")));
    QVERIFY(none);
    QVERIFY(!none->isValid());
    QVERIFY(!scalar(exec(db, QStringLiteral("SELECT nope"))));

    auto object = jsonObject(QStringLiteral("{\"a\": 1}"), "test");
    QVERIFY(object);
    QCOMPARE(object->value(QStringLiteral("a")).toInt(), 1);
    QVERIFY(!jsonObject(QStringLiteral("[1]"), "test"));
    QVERIFY(!jsonObject(QStringLiteral("{"), "test"));
    QVERIFY(jsonObjectOrEmpty(QString()).isEmpty());
    QCOMPARE(jsonObjectOrEmpty(QStringLiteral("{\"b\": true}")).value(QStringLiteral("b")).toBool(), true);
}

QTEST_GUILESS_MAIN(tst_Sql)
#include "tst_sql.moc"
