// Literal inlining must be injection-proof: quotes, backslashes, placeholders inside quotes. Pure.

#include "server/db/sqltext.h"

#include <QTest>

using namespace bw;

class tst_SqlText : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void literals_data();
    void literals();
    void inlining();
};

void tst_SqlText::literals_data()
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
    QTest::newRow("nul dropped") << QVariant(QString(u"a\u0000b"_qs)) << "E'ab'";
    QTest::newRow("unicode") << QVariant(QString::fromUtf8("é✓")) << QString::fromUtf8("E'é✓'");
}

void tst_SqlText::literals()
{
    QFETCH(QVariant, value);
    QFETCH(QString, expected);
    QCOMPARE(db::literal(value), expected);
}

void tst_SqlText::inlining()
{
    QCOMPARE(db::inlineBinds("SELECT ?, '?', \"a?\", ? -- ?\n, ?", {1, "x?", QVariant()}),
             QString("SELECT 1, '?', \"a?\", E'x?' -- ?\n, NULL"));
    QCOMPARE(db::inlineBinds("SELECT 'it''s ?', ?", {2}), QString("SELECT 'it''s ?', 2"));
    QVERIFY(db::inlineBinds("SELECT ?", {}).isEmpty());     // missing value
    QVERIFY(db::inlineBinds("SELECT ?", {1, 2}).isEmpty()); // extra value
    QVERIFY(db::inlineBinds("SELECT 'open", {}).isEmpty()); // unterminated quote

    int count = -1;
    QCOMPARE(db::numberPlaceholders("SELECT ?::uuid, '?', \"?\", x::jsonb -- ?\n, ?", &count),
             QString("SELECT $1::uuid, '?', \"?\", x::jsonb -- ?\n, $2"));
    QCOMPARE(count, 2);
    QVERIFY(db::numberPlaceholders("SELECT \"open", &count).isEmpty());
}

QTEST_APPLESS_MAIN(tst_SqlText)
#include "tst_sqltext.moc"
