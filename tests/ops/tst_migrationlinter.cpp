// MigrationLinter: statement splitting, and each rule against a live database (row estimates,
// deprecation comments, pg_stat_statements).
#include "server/db/database.h"
#include "server/ops/migrationlinter.h"
#include "tests/ops/opstestutil.h"
#include "tests/support/pgfixture.h"

#include <QTest>

using namespace bw;
using namespace bw::ops;

class TestMigrationLinter : public QObject {
    Q_OBJECT
private:
    test::PgFixture m_pg;
    QString m_db;
    std::unique_ptr<db::Database> m_database;

    QList<LintFinding> lint(const QString &sql, bool live = true)
    {
        db::MigrationFile f{.version = 99, .name = QStringLiteral("test"), .sql = sql.toUtf8()};
        auto r = MigrationLinter::lint({f}, live ? m_database->connection() : QSqlDatabase());
        if (!r)
            qWarning("lint failed: %s", qPrintable(r.error().message));
        return r ? *r : QList<LintFinding>{};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_db = m_pg.createMigratedDatabase();
        const auto s = m_pg.settings(m_db);
        QVERIFY(test::runSql(
            s, QStringLiteral("CREATE TABLE lint_big (id bigint PRIMARY KEY, legacy text, old_name text, amount integer)")));
        QVERIFY(test::runSql(s, QStringLiteral("INSERT INTO lint_big SELECT g, 'x', 'y', g FROM generate_series(1, 120000) g")));
        QVERIFY(test::runSql(s, QStringLiteral("CREATE TABLE lint_small (id bigint PRIMARY KEY, legacy text)")));
        QVERIFY(test::runSql(s, QStringLiteral("INSERT INTO lint_small VALUES (1, 'a')")));
        QVERIFY(test::runSql(s, QStringLiteral("ANALYZE lint_big; ANALYZE lint_small")));
        QVERIFY(
            test::runSql(s, QStringLiteral("COMMENT ON COLUMN lint_small.legacy IS 'deprecated: nothing reads it since 0.2'")));
        m_database = std::make_unique<db::Database>(s);
    }
    void cleanupTestCase()
    {
        if (m_database)
            m_database->releaseThisThread();
    }

    void splitKeepsStringsCommentsAndLines()
    {
        const QString sql = QStringLiteral(
            "-- header; not a statement\n"
            "CREATE TABLE a (x text DEFAULT 'a;b');\n"
            "\n"
            "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  ALTER TABLE q DROP COLUMN z;\nEND\n$$;\n"
            "/* block; comment */ ALTER TABLE \"A\" ADD COLUMN y int; -- trailing\n");
        const auto st = MigrationLinter::split(sql);
        QCOMPARE(st.size(), 3);
        QCOMPARE(st[0].line, 2);
        QVERIFY(st[0].text.startsWith(QStringLiteral("CREATE TABLE a")));
        QVERIFY(!st[0].text.contains(QStringLiteral("a;b")));
        QCOMPARE(st[1].line, 4);
        QVERIFY(!st[1].text.contains(QStringLiteral("DROP COLUMN"))); // function bodies are not migration steps
        QCOMPARE(st[2].line, 9);
        QVERIFY(st[2].text.startsWith(QStringLiteral("ALTER TABLE \"A\"")));
        QVERIFY(st[0].comments.contains(QStringLiteral("header; not a statement")));
    }

    void rules_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QString>("expected"); // "rule:severity" or "" for no finding

        // clang-format off
        QTest::newRow("drop column without deprecation") << "ALTER TABLE lint_big DROP COLUMN legacy;" << "drop_column:block";
        QTest::newRow("drop column, deprecated earlier") << "ALTER TABLE lint_small DROP COLUMN legacy;" << "";
        QTest::newRow("drop default is fine") << "ALTER TABLE lint_big ALTER COLUMN legacy DROP DEFAULT;" << "";
        QTest::newRow("drop constraint is fine") << "ALTER TABLE lint_big DROP CONSTRAINT IF EXISTS c;" << "";
        QTest::newRow("rename column") << "ALTER TABLE lint_big RENAME COLUMN old_name TO new_name;" << "rename_column:block";
        QTest::newRow("not null without default") << "ALTER TABLE lint_small ADD COLUMN flag boolean NOT NULL;" << "not_null_without_default:block";
        QTest::newRow("not null with default") << "ALTER TABLE lint_big ADD COLUMN flag boolean NOT NULL DEFAULT false;" << "";
        QTest::newRow("nullable column") << "ALTER TABLE lint_big ADD COLUMN note text;" << "";
        QTest::newRow("identity column") << "ALTER TABLE lint_big ADD COLUMN seq bigint NOT NULL GENERATED ALWAYS AS IDENTITY;" << "";
        QTest::newRow("index on big table") << "CREATE INDEX lint_big_amount_idx ON lint_big (amount);" << "index_not_concurrent:block";
        QTest::newRow("unique index on big table") << "CREATE UNIQUE INDEX IF NOT EXISTS u ON public.lint_big (amount);" << "index_not_concurrent:block";
        QTest::newRow("concurrent index on big table") << "CREATE INDEX CONCURRENTLY lint_big_amount_idx ON lint_big (amount);" << "";
        QTest::newRow("index on small table") << "CREATE INDEX lint_small_idx ON lint_small (legacy);" << "";
        QTest::newRow("type change") << "ALTER TABLE lint_small ALTER COLUMN legacy TYPE varchar(10);" << "type_change:block";
        QTest::newRow("type change, SET DATA form") << "ALTER TABLE lint_big ALTER amount SET DATA TYPE bigint USING amount::bigint;" << "type_change:block";
        QTest::newRow("set not null on big table") << "ALTER TABLE lint_big ALTER COLUMN amount SET NOT NULL;" << "set_not_null:warn";
        QTest::newRow("new table in the same batch")
            << "CREATE TABLE fresh (id int);\nALTER TABLE fresh ADD COLUMN x int NOT NULL;\nCREATE INDEX ON fresh (x);\n"
               "ALTER TABLE fresh ALTER COLUMN x TYPE bigint;" << "";
        QTest::newRow("explicitly allowed")
            << "-- lint: allow index_not_concurrent built during the maintenance window\nCREATE INDEX i ON lint_big (amount);"
            << "index_not_concurrent:allowed";
        QTest::newRow("several actions in one ALTER")
            << "ALTER TABLE lint_big ADD COLUMN a int, DROP COLUMN legacy, ALTER COLUMN amount TYPE bigint;" << "drop_column:block,type_change:block";
        // clang-format on
    }
    void rules()
    {
        QFETCH(QString, sql);
        QFETCH(QString, expected);
        const auto findings = lint(sql);
        QStringList got;
        for (const auto &f : findings)
            got << f.rule + u':' + f.severity;
        QCOMPARE(got.join(u','), expected);
        for (const auto &f : findings) {
            QVERIFY(f.line >= 1);
            QVERIFY(!f.message.isEmpty());
            QVERIFY(f.toText().startsWith(QStringLiteral("0099_test.sql:")));
        }
    }

    void dropOfAColumnStillReadIsBlockedEvenWhenDeprecated()
    {
        const auto s = m_pg.settings(m_db);
        if (!test::runSql(s, QStringLiteral("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
            || test::queryValue(s, QStringLiteral("SELECT count(*) FROM pg_stat_statements")).isEmpty())
            QSKIP("pg_stat_statements is not preloaded in this cluster");
        QVERIFY(test::runSql(s, QStringLiteral("SELECT legacy FROM lint_small WHERE id = 1")));
        const auto findings = lint(QStringLiteral("ALTER TABLE lint_small DROP COLUMN legacy;"));
        QCOMPARE(findings.size(), 1);
        QCOMPARE(findings.first().rule, QStringLiteral("drop_column"));
        QVERIFY2(findings.first().message.contains(QStringLiteral("still read")), qPrintable(findings.first().message));
        QVERIFY(test::runSql(s, QStringLiteral("SELECT pg_stat_statements_reset()")));
        QVERIFY(lint(QStringLiteral("ALTER TABLE lint_small DROP COLUMN legacy;")).isEmpty());
    }

    void withoutADatabaseEveryIndexCountsAsLarge()
    {
        const auto findings = lint(QStringLiteral("CREATE INDEX i ON lint_small (legacy);"), false);
        QCOMPARE(findings.size(), 1);
        QVERIFY(findings.first().message.contains(QStringLiteral("size unknown")));
    }

    void builtInMigrationsPassOnAnEmptyDatabase()
    {
        const QString fresh = m_pg.createDatabase();
        db::Database d(m_pg.settings(fresh));
        {
            auto r = MigrationLinter::lint(db::Migrator::builtIn(), d.connection());
            QVERIFY(r.ok());
            QStringList blocks;
            for (const auto &f : *r)
                if (f.severity == u"block")
                    blocks << f.toText();
            QVERIFY2(blocks.isEmpty(), qPrintable(blocks.join(u'\n')));
        }
        d.releaseThisThread();
    }
};

QTEST_GUILESS_MAIN(TestMigrationLinter)
#include "tst_migrationlinter.moc"
