// Literal inlining must be injection-proof: quotes, backslashes, placeholders inside quotes. Pure.

#include "server/domain/sqlliteral.h"

#include <QTest>

using namespace bw::domain;

class tst_SqlLiteral : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void literals_data();
    void literals();
    void inlining();
};

void tst_SqlLiteral::literals_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QString>("expected");
    QTest::newRow("invalid") << QVariant() << "NULL";
    QTest::newRow("null string") << QVariant(QMetaType::fromType<QString>()) << "NULL";
    QTest::newRow("int") << QVariant(42) << "42";
    QTest::newRow("negative") << QVariant(qint64(-7)) << "-7";
    QTest::newRow("double") << QVariant(12.5) << "12.5";
    QTest::newRow("bool") << QVariant(true) << "true";
    QTest::newRow("plain") << QVariant("abc") << "E'abc'";
    QTest::newRow("quote") << QVariant("it's") << "E'it''s'";
    QTest::newRow("backslash quote") << QVariant("a\\'; DROP TABLE x; --") << "E'a\\\\''; DROP TABLE x; --'";
    QTest::newRow("question mark") << QVariant("why?") << "E'why?'";
    QTest::newRow("unicode") << QVariant(QString::fromUtf8("é✓")) << QString::fromUtf8("E'é✓'");
}

void tst_SqlLiteral::literals()
{
    QFETCH(QVariant, value);
    QFETCH(QString, expected);
    QCOMPARE(sqlliteral::literal(value), expected);
}

void tst_SqlLiteral::inlining()
{
    QCOMPARE(sqlliteral::inlineBinds("SELECT ?, '?', \"a?\", ? -- ?\n, ?", {1, "x?", QVariant()}),
             QString("SELECT 1, '?', \"a?\", E'x?' -- ?\n, NULL"));
    QCOMPARE(sqlliteral::inlineBinds("SELECT 'it''s ?', ?", {2}), QString("SELECT 'it''s ?', 2"));
    QVERIFY(sqlliteral::inlineBinds("SELECT ?", {}).isEmpty());     // missing value
    QVERIFY(sqlliteral::inlineBinds("SELECT ?", {1, 2}).isEmpty()); // extra value
    QVERIFY(sqlliteral::inlineBinds("SELECT 'open", {}).isEmpty()); // unterminated quote

    int count = -1;
    QCOMPARE(sqlliteral::numberPlaceholders("SELECT ?::uuid, '?', \"?\", x::jsonb -- ?\n, ?", &count),
             QString("SELECT $1::uuid, '?', \"?\", x::jsonb -- ?\n, $2"));
    QCOMPARE(count, 2);
    QVERIFY(sqlliteral::numberPlaceholders("SELECT \"open", &count).isEmpty());
}

QTEST_APPLESS_MAIN(tst_SqlLiteral)
#include "tst_sqlliteral.moc"
