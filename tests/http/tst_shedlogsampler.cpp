// ShedLogSampler: during a flood of 429/503 responses only a few access lines a second are written,
// the rest are counted into one summary per status and second; other statuses are never held back.
#include "server/http/shedlogsampler.h"

#include <QTest>

using namespace bw::http;

class tst_ShedLogSampler : public QObject {
    Q_OBJECT
    qint64 m_now = 0;

private Q_SLOTS:
    void init() { m_now = 10'000; }

    void floodsAreSampledAndSummarised()
    {
        ShedLogSampler sampler(5, [this] { return m_now; });
        int admitted = 0;
        for (int i = 0; i < 1000; ++i)
            admitted += sampler.admit(503) ? 1 : 0;
        QCOMPARE(admitted, 5);
        QVERIFY(!sampler.takeSummary()); // the second is not over yet
        m_now += 1000;
        const auto summary = sampler.takeSummary();
        QVERIFY(summary);
        QVERIFY2(summary->contains(QLatin1String("995 more 503")), qPrintable(*summary));
        QVERIFY(!sampler.takeSummary()); // reported once
        QVERIFY(sampler.admit(503));     // a new second starts with its own allowance
    }

    void otherStatusesAreNeverHeldBack()
    {
        ShedLogSampler sampler(1, [this] { return m_now; });
        for (int i = 0; i < 100; ++i) {
            QVERIFY(sampler.admit(200));
            QVERIFY(sampler.admit(500)); // errors keep their causes in the log
        }
        QVERIFY(!sampler.takeSummary());
    }

    void eachShedStatusHasItsOwnAllowance()
    {
        ShedLogSampler sampler(2, [this] { return m_now; });
        QVERIFY(sampler.admit(429) && sampler.admit(429) && !sampler.admit(429));
        QVERIFY(sampler.admit(503) && sampler.admit(503) && !sampler.admit(503));
        m_now += 1500;
        const auto summary = sampler.takeSummary();
        QVERIFY(summary && summary->contains(QLatin1String("1 more 429")) && summary->contains(QLatin1String("1 more 503")));
    }
};

QTEST_GUILESS_MAIN(tst_ShedLogSampler)
#include "tst_shedlogsampler.moc"
