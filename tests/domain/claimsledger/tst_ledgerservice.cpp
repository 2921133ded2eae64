// LedgerService against a real PostgreSQL (humans.md §6): credit, spend and their idempotent replay,
// exact decimals, a credit inside an outer transaction, the balance and history, 100 concurrent
// spends on one account (never overdrawn, verify() clean afterwards), history that cannot be
// edited, and verify() finding rows broken on purpose with raw SQL.

#include "humanstestdb.h"

#include "server/db/database.h"
#include "server/domain/claimsledger/ledgerservice.h"
#include "server/domain/claimsledger/tokenamount.h"
#include "tests/domain/domaintestdb.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

using namespace bw;
using namespace bw::test;
using bw::domain::LedgerService;
namespace tokentype = bw::domain::tokentype;

class tst_LedgerService final : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    QString m_dbName;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<LedgerService> m_ledger;
    int m_humans = 0;

    QSqlDatabase db() { return m_database->connection(); }
    QString human() { return seedHuman(db(), QStringLiteral("holder%1").arg(++m_humans)); }
    QString grant(const QString &h, const QString &amount, const QString &key)
    {
        auto r = m_ledger->credit(h, amount, QString::fromLatin1(tokentype::kGrant), {}, QStringLiteral("test grant"), key);
        if (!r)
            qWarning("credit failed: %s", qPrintable(r.error().message));
        return r ? r->balanceAfter : QString();
    }
    QStringList violationKinds()
    {
        auto v = m_ledger->verify();
        if (!v) {
            qWarning("verify failed: %s", qPrintable(v.error().message));
            return {QStringLiteral("error")};
        }
        QStringList kinds;
        for (const auto &violation : *v)
            kinds << violation.kind;
        return kinds;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_dbName = createDomainDatabase(m_pg);
        QVERIFY(!m_dbName.isEmpty());
        m_database = std::make_unique<db::Database>(m_pg.settings(m_dbName));
        m_ledger = std::make_unique<LedgerService>(*m_database);
    }
    void cleanupTestCase()
    {
        m_ledger.reset();
        if (m_database)
            m_database->releaseThisThread();
    }

    void amountsAreExactDecimalText_data()
    {
        QTest::addColumn<QJsonValue>("input");
        QTest::addColumn<bool>("signedAllowed");
        QTest::addColumn<QString>("expected"); // "" = refused
        QTest::newRow("string") << QJsonValue("12.5") << false << "12.5";
        QTest::newRow("eight decimals") << QJsonValue("0.00000001") << false << "0.00000001";
        QTest::newRow("nine decimals") << QJsonValue("0.000000001") << false << "";
        QTest::newRow("whole number") << QJsonValue(40) << false << "40";
        QTest::newRow("fractional number") << QJsonValue(0.1) << false << "";
        QTest::newRow("zero") << QJsonValue("0.000") << true << "";
        QTest::newRow("negative, positive wanted") << QJsonValue("-3") << false << "";
        QTest::newRow("negative adjustment") << QJsonValue("-3.25") << true << "-3.25";
        QTest::newRow("13 integer digits") << QJsonValue("1234567890123") << false << "";
        QTest::newRow("exponent") << QJsonValue("1e3") << false << "";
        QTest::newRow("missing") << QJsonValue() << false << "";
    }
    void amountsAreExactDecimalText()
    {
        QFETCH(QJsonValue, input);
        QFETCH(bool, signedAllowed);
        QFETCH(QString, expected);
        QString why;
        const auto parsed = domain::tokenamount::parse(
            input, signedAllowed ? domain::tokenamount::Sign::NonZero : domain::tokenamount::Sign::Positive, &why);
        QCOMPARE(parsed.value_or(QString()), expected);
        QCOMPARE(why.isEmpty(), !expected.isEmpty());
    }

    void creditSpendAndBalance()
    {
        const QString h = human();
        auto empty = m_ledger->balance(h);
        QVERIFY(empty);
        QCOMPARE(empty->balance, QStringLiteral("0.00000000"));

        auto reward =
            m_ledger->credit(h, QStringLiteral("25"), QString::fromLatin1(tokentype::kMissionReward),
                             QStringLiteral("evidence:1"), QStringLiteral("Mission reward"), QStringLiteral("k-reward"));
        QVERIFY2(reward, qPrintable(reward ? QString() : reward.error().message));
        QCOMPARE(reward->amount, QStringLiteral("25.00000000"));
        QCOMPARE(reward->balanceAfter, QStringLiteral("25.00000000"));
        QVERIFY(!reward->replayed);

        auto spent =
            m_ledger->spend(h, QStringLiteral("0.1"), QStringLiteral("Coffee for the volunteers"), QStringLiteral("k-spend"));
        QVERIFY2(spent, qPrintable(spent ? QString() : spent.error().message));
        QCOMPARE(spent->amount, QStringLiteral("-0.10000000"));
        QCOMPARE(spent->balanceAfter, QStringLiteral("24.90000000"));
        QCOMPARE(spent->type, QStringLiteral("spend"));

        auto b = m_ledger->balance(h);
        QVERIFY(b);
        QCOMPARE(b->balance, QStringLiteral("24.90000000"));
        QCOMPARE(b->earnedTotal, QStringLiteral("25.00000000"));
        QCOMPARE(b->spentTotal, QStringLiteral("0.10000000"));
        const QJsonObject json = b->toJson();
        QCOMPARE(json.value("balance").toString(), QStringLiteral("24.90000000")); // a string, never a number

        auto tooMuch =
            m_ledger->spend(h, QStringLiteral("24.90000001"), QStringLiteral("Too much"), QStringLiteral("k-too-much"));
        QVERIFY(!tooMuch);
        QCOMPARE(tooMuch.error().code(), QStringLiteral("INSUFFICIENT_BALANCE"));
        QCOMPARE(tooMuch.error().status(), 409);
        QCOMPARE(m_ledger->balance(h)->balance, QStringLiteral("24.90000000"));
        QVERIFY(m_ledger->spend(h, QStringLiteral("24.9"), QStringLiteral("Everything"), QStringLiteral("k-all")));
        QCOMPARE(m_ledger->balance(h)->balance, QStringLiteral("0.00000000"));
        QCOMPARE(violationKinds(), QStringList());
    }

    void replayingAKeyMovesNothing()
    {
        const QString h = human();
        QCOMPARE(grant(h, QStringLiteral("10"), QStringLiteral("replay-grant")), QStringLiteral("10.00000000"));
        auto first = m_ledger->spend(h, QStringLiteral("4"), QStringLiteral("Seeds"), QStringLiteral("replay-spend"));
        QVERIFY(first);
        QVERIFY(m_ledger->spend(h, QStringLiteral("5"), QStringLiteral("Tools"), QStringLiteral("replay-other")));
        // The balance (1) no longer covers 4, yet the replay answers the first result.
        auto again = m_ledger->spend(h, QStringLiteral("4"), QStringLiteral("Seeds"), QStringLiteral("replay-spend"));
        QVERIFY2(again, qPrintable(again ? QString() : again.error().message));
        QVERIFY(again->replayed);
        QCOMPARE(again->transactionId, first->transactionId);
        QCOMPARE(again->balanceAfter, QStringLiteral("6.00000000"));
        auto credit = m_ledger->credit(h, QStringLiteral("10"), QString::fromLatin1(tokentype::kGrant), {},
                                       QStringLiteral("test grant"), QStringLiteral("replay-grant"));
        QVERIFY(credit && credit->replayed);
        QCOMPARE(m_ledger->balance(h)->balance, QStringLiteral("1.00000000"));
        QCOMPARE(
            scalar(db(), QStringLiteral("SELECT count(*) FROM token_transactions WHERE idempotency_key LIKE 'replay-%'")).toInt(),
            3);

        // The same key for another transfer is a conflict, not a replay.
        auto different = m_ledger->spend(h, QStringLiteral("0.5"), QStringLiteral("Seeds"), QStringLiteral("replay-spend"));
        QVERIFY(!different);
        QCOMPARE(different.error().kind, ErrorKind::Conflict);
        auto otherHuman = m_ledger->credit(human(), QStringLiteral("10"), QString::fromLatin1(tokentype::kGrant), {},
                                           QStringLiteral("test grant"), QStringLiteral("replay-grant"));
        QCOMPARE(otherHuman.error().kind, ErrorKind::Conflict);
    }

    void invalidInput()
    {
        const QString h = human();
        QCOMPARE(m_ledger->spend(h, QStringLiteral("-1"), QStringLiteral("x"), QStringLiteral("bad-1")).error().kind,
                 ErrorKind::Validation);
        QCOMPARE(m_ledger->spend(h, QStringLiteral("1"), QString(), QStringLiteral("bad-2")).error().kind, ErrorKind::Validation);
        QCOMPARE(m_ledger->spend(h, QStringLiteral("1"), QStringLiteral("x"), QString()).error().kind, ErrorKind::Validation);
        QCOMPARE(
            m_ledger->credit(h, QStringLiteral("1"), QStringLiteral("lottery"), {}, QStringLiteral("x"), QStringLiteral("bad-3"))
                .error()
                .kind,
            ErrorKind::Validation);
        QCOMPARE(m_ledger
                     ->credit(ids::newUuid(), QStringLiteral("1"), QString::fromLatin1(tokentype::kGrant), {},
                              QStringLiteral("x"), QStringLiteral("bad-4"))
                     .error()
                     .kind,
                 ErrorKind::NotFound);
        QCOMPARE(m_ledger->balance(ids::newUuid()).error().kind, ErrorKind::NotFound);
    }

    void creditJoinsAnOuterTransaction()
    {
        const QString h = human();
        // Rolled back with the outer transaction: nothing stays.
        {
            db::Transaction tx(db());
            QVERIFY(tx.begin_status().ok());
            auto r = LedgerService::creditIn(db(), h, QStringLiteral("7"), QString::fromLatin1(tokentype::kMissionReward),
                                             QStringLiteral("evidence:x"), QStringLiteral("Reward"), QStringLiteral("outer-1"));
            QVERIFY(r);
            QVERIFY(tx.rollback().ok());
        }
        QCOMPARE(m_ledger->balance(h)->balance, QStringLiteral("0.00000000"));
        // Committed with it.
        auto committed = db::inTransaction(db(), [&] {
            return LedgerService::creditIn(db(), h, QStringLiteral("7"), QString::fromLatin1(tokentype::kMissionReward),
                                           QStringLiteral("evidence:x"), QStringLiteral("Reward"), QStringLiteral("outer-1"));
        });
        QVERIFY(committed && !committed->replayed);
        QCOMPARE(m_ledger->balance(h)->balance, QStringLiteral("7.00000000"));
    }

    void transactionsNewestFirst()
    {
        const QString h = human();
        grant(h, QStringLiteral("3"), QStringLiteral("list-1"));
        QVERIFY(m_ledger->spend(h, QStringLiteral("1"), QStringLiteral("Bus ticket"), QStringLiteral("list-2")));
        grant(h, QStringLiteral("2.5"), QStringLiteral("list-3"));
        auto page = m_ledger->transactions(h, {}, 2);
        QVERIFY2(page, qPrintable(page ? QString() : page.error().message));
        QCOMPARE(page->count, 2);
        QVERIFY(page->hasMore);
        const QJsonArray items = QJsonDocument::fromJson(page->itemsJson).array();
        const QJsonObject newest = items.at(0).toObject();
        QCOMPARE(newest.value("amount").toString(), QStringLiteral("2.50000000"));
        QCOMPARE(newest.value("balanceAfter").toString(), QStringLiteral("4.50000000"));
        QCOMPARE(newest.value("type").toString(), QStringLiteral("grant"));
        QVERIFY(newest.value("createdAt").toString().endsWith(u'Z'));
        QCOMPARE(items.at(1).toObject().value("amount").toString(), QStringLiteral("-1.00000000"));
        QCOMPARE(items.at(1).toObject().value("description").toString(), QStringLiteral("Bus ticket"));
        auto rest = m_ledger->transactions(h, page->nextCursor, 2);
        QVERIFY(rest);
        QCOMPARE(rest->count, 1);
        QVERIFY(!rest->hasMore);
        QCOMPARE(m_ledger->transactions(h, QStringLiteral("tampered"), 2).error().kind, ErrorKind::InvalidCursor);
    }

    void historyCannotBeEdited()
    {
        const QString h = human();
        grant(h, QStringLiteral("1"), QStringLiteral("immutable"));
        QVERIFY(!db::exec(db(), QStringLiteral("UPDATE token_entries SET amount = 100")).ok());
        QVERIFY(!db::exec(db(), QStringLiteral("DELETE FROM token_transactions WHERE idempotency_key = 'immutable'")).ok());
        // A human balance can never go below zero, whoever writes it.
        auto negative = db::exec(db(),
                                 QStringLiteral("UPDATE token_accounts SET balance = -1, spent_total = spent_total + balance + 1"
                                                " WHERE human_id = ?::uuid"),
                                 {h});
        QVERIFY(!negative);
        QCOMPARE(db::sqlState(negative.error()), QLatin1String(db::kCheckViolation));
    }

    void concurrentSpendsNeverOverdraw()
    {
        // 100 spends of 1 against a balance of 50, from 25 threads on their own connections.
        constexpr int kThreads = 25, kSpendsPerThread = 4;
        const QString h = human();
        QCOMPARE(grant(h, QStringLiteral("50"), QStringLiteral("race-grant")), QStringLiteral("50.00000000"));
        std::barrier start(kThreads);
        std::atomic_int ok{0}, insufficient{0}, other{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                m_database->connection();
                start.arrive_and_wait();
                for (int i = 0; i < kSpendsPerThread; ++i) {
                    auto r = m_ledger->spend(h, QStringLiteral("1"), QStringLiteral("race"),
                                             QStringLiteral("race-%1-%2").arg(t).arg(i));
                    if (r)
                        ++ok;
                    else if (r.error().kind == ErrorKind::InsufficientBalance)
                        ++insufficient;
                    else
                        ++other;
                }
                m_database->releaseThisThread();
            });
        }
        for (auto &thread : threads)
            thread.join();
        QCOMPARE(other.load(), 0);
        QCOMPARE(ok.load(), 50);
        QCOMPARE(insufficient.load(), 50);
        auto b = m_ledger->balance(h);
        QVERIFY(b);
        QCOMPARE(b->balance, QStringLiteral("0.00000000"));
        QCOMPARE(b->spentTotal, QStringLiteral("50.00000000"));
        QCOMPARE(violationKinds(), QStringList());
    }

    // Last: it breaks the ledger on purpose.
    void verifyFindsBrokenRows()
    {
        QCOMPARE(violationKinds(), QStringList());
        const QString h = human();
        grant(h, QStringLiteral("5"), QStringLiteral("broken-base"));
        const QString account =
            scalar(db(), QStringLiteral("SELECT id::text FROM token_accounts WHERE human_id = ?::uuid"), {h}).toString();
        // An unbalanced transaction: one entry of +3, nothing from the treasury, balance untouched.
        const QString tx = ids::newUuid();
        QVERIFY(execSql(db(),
                        QStringLiteral("INSERT INTO token_transactions (id, type, description, idempotency_key, created_by)"
                                       " VALUES (?::uuid, 'grant', 'forged', 'forged-1', 'system')"),
                        {tx}));
        QVERIFY(execSql(db(),
                        QStringLiteral("INSERT INTO token_entries (transaction_id, account_id, amount, balance_after)"
                                       " VALUES (?::uuid, ?::uuid, 3, 8)"),
                        {tx, account}));
        const QStringList kinds = violationKinds();
        QVERIFY2(kinds.contains(QStringLiteral("unbalanced_transaction")), qPrintable(kinds.join(u',')));
        QVERIFY2(kinds.contains(QStringLiteral("balance_mismatch")), qPrintable(kinds.join(u',')));
        QVERIFY2(kinds.contains(QStringLiteral("totals_mismatch")), qPrintable(kinds.join(u',')));

        auto recorded = m_ledger->verifyAndRecord(QStringLiteral("job"));
        QVERIFY(recorded && !recorded->isEmpty());
        QCOMPARE(
            scalar(db(), QStringLiteral("SELECT violation_count FROM ledger_verifications ORDER BY id DESC LIMIT 1")).toInt(),
            int(recorded->size()));
        QVERIFY(!scalar(db(), QStringLiteral("SELECT violations::text FROM ledger_verifications ORDER BY id DESC LIMIT 1"))
                     .toString()
                     .contains(QStringLiteral("[]")));
    }
};

QTEST_GUILESS_MAIN(tst_LedgerService)
#include "tst_ledgerservice.moc"
