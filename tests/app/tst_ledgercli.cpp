// `betterworld ledger verify [--json]` as an operator runs it: the real binary against an external
// database; exit 0 and a clean report on a sound ledger, exit 1 with the violations printed after a
// row is broken on purpose; every run is recorded for the LedgerInvariantBroken alert; usage → 2.

#include "server/core/ids.h"
#include "tests/support/cliprocess.h"
#include "tests/support/pgfixture.h"
#include "tests/support/testdb.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace bw;
using namespace bw::test;

class tst_LedgerCli final : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    QTemporaryDir m_home;
    QString m_dbName;

    Run ledger(const QStringList &args)
    {
        QProcessEnvironment env = cleanEnv(m_home.path());
        env.insert(QStringLiteral("BW_DATABASE_URL"), m_pg.url(m_dbName));
        return run(QStringList{QStringLiteral("ledger")} + args, env, 90000);
    }
    QVariant sql(const QString &statement, const QVariantList &binds = {})
    {
        return scalar(m_pg.settings(m_dbName), statement, binds);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_dbName = m_pg.createDatabase(); // empty: the command applies the migrations itself
        QVERIFY(!m_dbName.isEmpty());
    }

    void cleanLedgerExitsZero()
    {
        const Run r = ledger({QStringLiteral("verify")});
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY2(r.out.contains("ledger verify: clean"), r.out.constData());
        QCOMPARE(
            sql(QStringLiteral("SELECT violation_count FROM ledger_verifications WHERE source = 'cli' ORDER BY id DESC LIMIT 1"))
                .toInt(),
            0);

        const Run json = ledger({QStringLiteral("verify"), QStringLiteral("--json")});
        QCOMPARE(json.code, 0);
        const QJsonObject out = QJsonDocument::fromJson(json.out).object();
        QCOMPARE(out.value("clean").toBool(), true);
        QCOMPARE(out.value("violationCount").toInt(), 0);
    }

    void usageErrorsExitTwo()
    {
        QCOMPARE(ledger({QStringLiteral("balance")}).code, 2);
        QCOMPARE(ledger({}).code, 2);
    }

    // Last: it breaks the ledger.
    void violationsExitOne()
    {
        const QString human = ids::newUuid(), tx = ids::newUuid();
        QVERIFY(execSql(
            m_pg.settings(m_dbName),
            QStringLiteral("INSERT INTO humans (id, email, display_name, password_hash) VALUES (?::uuid, 'cli@example.org',"
                           " 'Cli', 'x')"),
            {human}));
        QVERIFY(execSql(m_pg.settings(m_dbName),
                        QStringLiteral("INSERT INTO token_transactions (id, type, description, idempotency_key, created_by)"
                                       " VALUES (?::uuid, 'grant', 'forged', 'cli-forged', 'system')"),
                        {tx}));
        QVERIFY(execSql(m_pg.settings(m_dbName),
                        QStringLiteral("INSERT INTO token_entries (transaction_id, account_id, amount)"
                                       " SELECT ?::uuid, id, 5 FROM token_accounts WHERE kind = 'treasury'"),
                        {tx}));

        const Run r = ledger({QStringLiteral("verify")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.out.contains("violation(s)"), r.out.constData());
        QVERIFY2(r.out.contains("unbalanced_transaction"), r.out.constData());
        QVERIFY2(r.out.contains(tx.toLatin1()), r.out.constData());

        const Run json = ledger({QStringLiteral("verify"), QStringLiteral("--json")});
        QCOMPARE(json.code, 1);
        const QJsonObject out = QJsonDocument::fromJson(json.out).object();
        QCOMPARE(out.value("clean").toBool(), false);
        QCOMPARE(out.value("violations").toArray().at(0).toObject().value("kind").toString(),
                 QStringLiteral("unbalanced_transaction"));
        QVERIFY(
            sql(QStringLiteral("SELECT violation_count FROM ledger_verifications WHERE source = 'cli' ORDER BY id DESC LIMIT 1"))
                .toInt()
            > 0);
    }
};

QTEST_GUILESS_MAIN(tst_LedgerCli)
#include "tst_ledgercli.moc"
