// PasswordGate: the bound on Argon2 work that keeps a login flood from taking the request pool.
// The work is a latch the test controls, so who runs, who waits and who is refused is known.
#include "server/humans/passwordgate.h"

#include <QTest>

#include <latch>
#include <thread>

using bw::ErrorKind;
using bw::humans::PasswordGate;

class tst_PasswordGate : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void refusesAtOnceWhenRunningAndWaitingAreFull()
    {
        PasswordGate gate({.running = 1, .waiting = 1, .maxWait = std::chrono::seconds(30)});
        std::latch inside(1);
        std::latch release(1);
        bool firstRan = false;
        bool secondRan = false;
        bw::Status first = bw::success();
        bw::Status second = bw::success();
        std::thread holder([&] {
            first = gate.admit([&] {
                inside.count_down();
                release.wait();
                firstRan = true;
            });
        });
        inside.wait();
        std::thread waiter([&] { second = gate.admit([&] { secondRan = true; }); });
        QTRY_COMPARE(gate.waiting(), 1);

        // One running, one waiting: the next caller is refused without waiting or running.
        bool thirdRan = false;
        const bw::Status third = gate.admit([&] { thirdRan = true; });
        QVERIFY(!third);
        QCOMPARE(third.error().kind, ErrorKind::ServiceUnavailable);
        QVERIFY(!thirdRan);
        QCOMPARE(gate.rejected(), 1);

        // The waiter gets the slot once it frees.
        release.count_down();
        holder.join();
        waiter.join();
        QVERIFY(first && firstRan);
        QVERIFY(second && secondRan);
        QCOMPARE(gate.waiting(), 0);
        QVERIFY(gate.admit([] {}));
    }

    void waitsAtMostMaxWait()
    {
        PasswordGate gate({.running = 1, .waiting = 4, .maxWait = std::chrono::milliseconds(20)});
        std::latch inside(1);
        std::latch release(1);
        std::thread holder([&] {
            (void)gate.admit([&] {
                inside.count_down();
                release.wait();
            });
        });
        inside.wait();
        const bw::Status late = gate.admit([] {}); // the slot stays taken: refused after maxWait
        release.count_down();
        holder.join();
        QVERIFY(!late);
        QCOMPARE(late.error().kind, ErrorKind::ServiceUnavailable);
        QCOMPARE(gate.waiting(), 0);
    }

    void hashesAndVerifiesThroughTheGate()
    {
        PasswordGate gate;
        const auto hashed = gate.hash(QStringLiteral("a long enough password"));
        QVERIFY(hashed);
        QVERIFY(hashed->startsWith("$argon2id$"));
        QCOMPARE(*gate.verify(*hashed, QStringLiteral("a long enough password")), true);
        QCOMPARE(*gate.verify(*hashed, QStringLiteral("another password")), false);
        QVERIFY(gate.dummyVerify(QStringLiteral("whatever")));
    }
};

QTEST_GUILESS_MAIN(tst_PasswordGate)
#include "tst_passwordgate.moc"
