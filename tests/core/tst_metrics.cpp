// Metrics registry: counters, gauges, histograms, quantiles, aggregation and the Prometheus text
// format (0.0.4). Runs on the test thread plus a few worker threads for the concurrency case.

#include "server/core/metrics.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QTest>

#include <thread>

using namespace bw;

namespace {
QList<QByteArray> lines(const QByteArray &text)
{
    QList<QByteArray> out = text.split('\n');
    if (!out.isEmpty() && out.back().isEmpty())
        out.removeLast();
    return out;
}

// The sample value of the one line that starts with "name{labels} " (or "name ").
QByteArray sample(const QByteArray &text, const QByteArray &series)
{
    QByteArray found;
    int count = 0;
    for (const QByteArray &line : lines(text)) {
        if (line.startsWith(QByteArray(series + ' '))) {
            found = line.mid(series.size() + 1);
            ++count;
        }
    }
    return count == 1 ? found : QByteArray("<" + QByteArray::number(count) + " matches>");
}
} // namespace

class tst_MetricsRegistry : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void counter();
    void gauge();
    void histogramBuckets_data();
    void histogramBuckets();
    void quantile_data();
    void quantile();
    void aggregation();
    void prometheusFormat();
    void labelEscaping_data();
    void labelEscaping();
    void prometheusHistogram();
    void processMetrics();
    void concurrentUpdates();
    void defaultLatencyBuckets();
};

void tst_MetricsRegistry::counter()
{
    MetricsRegistry m;
    Counter &c = m.counter("jobs_total", "Jobs", {{"queue", "mail"}});
    QCOMPARE(c.value(), 0.0);
    c.inc();
    c.inc(2.5);
    QCOMPARE(c.value(), 3.5);
    // Same name + labels → the same series; other labels → another series.
    QCOMPARE(&m.counter("jobs_total", "Jobs", {{"queue", "mail"}}), &c);
    Counter &other = m.counter("jobs_total", "Jobs", {{"queue", "sms"}});
    QVERIFY(&other != &c);
    other.inc(4);
    QCOMPARE(c.value(), 3.5);
    QCOMPARE(m.sum("jobs_total"), 7.5);
    // Same label pairs → same series; a different value → a different series.
    Counter &two = m.counter("pairs_total", "P", {{"a", "1"}, {"b", "2"}});
    QCOMPARE(&m.counter("pairs_total", "P", {{"a", "1"}, {"b", "2"}}), &two);
    QVERIFY(&m.counter("pairs_total", "P", {{"a", "1"}, {"b", "3"}}) != &two);
}

void tst_MetricsRegistry::gauge()
{
    MetricsRegistry m;
    Gauge &g = m.gauge("queue_depth", "Depth");
    QCOMPARE(g.value(), 0.0);
    g.set(10);
    g.add(-3);
    g.add(0.5);
    QCOMPARE(g.value(), 7.5);
    QCOMPARE(&m.gauge("queue_depth", "Depth"), &g);
    g.set(-2);
    QCOMPARE(m.sum("queue_depth"), -2.0);
}

void tst_MetricsRegistry::histogramBuckets_data()
{
    QTest::addColumn<QList<double>>("bounds");
    QTest::addColumn<QList<double>>("values");
    QTest::addColumn<QList<quint64>>("cumulative");
    QTest::addColumn<double>("sum");

    QTest::newRow("boundaries are inclusive (le)")
        << QList<double>{0.5, 1, 2} << QList<double>{0.25, 0.5, 0.75, 1, 4} << QList<quint64>{2, 4, 4, 5} << 6.5;
    QTest::newRow("unsorted bounds") << QList<double>{2, 0.5, 1} << QList<double>{0.25, 0.5, 0.75, 1, 4}
                                     << QList<quint64>{2, 4, 4, 5} << 6.5;
    QTest::newRow("empty") << QList<double>{1, 2} << QList<double>{} << QList<quint64>{0, 0, 0} << 0.0;
    QTest::newRow("all above") << QList<double>{1} << QList<double>{5, 6, 7} << QList<quint64>{0, 3} << 18.0;
    QTest::newRow("zero and negative") << QList<double>{0, 1} << QList<double>{-1, 0, 0.5} << QList<quint64>{2, 3, 3} << -0.5;
    QTest::newRow("no bounds") << QList<double>{} << QList<double>{1, 2} << QList<quint64>{2} << 3.0;
}

void tst_MetricsRegistry::histogramBuckets()
{
    QFETCH(QList<double>, bounds);
    QFETCH(QList<double>, values);
    QFETCH(QList<quint64>, cumulative);
    QFETCH(double, sum);

    Histogram h(std::vector<double>(bounds.begin(), bounds.end()));
    for (double v : values)
        h.observe(v);
    const auto s = h.snapshot();
    std::vector<double> sorted(bounds.begin(), bounds.end());
    std::sort(sorted.begin(), sorted.end());
    QCOMPARE(s.upperBounds, sorted);
    QCOMPARE(QList<quint64>(s.cumulative.begin(), s.cumulative.end()), cumulative);
    QCOMPARE(s.count, quint64(values.size()));
    QCOMPARE(s.sum, sum);
}

void tst_MetricsRegistry::quantile_data()
{
    QTest::addColumn<QList<double>>("values");
    QTest::addColumn<double>("q");
    QTest::addColumn<double>("expected");
    // Buckets 1, 2, 4: linear interpolation inside the bucket (Prometheus histogram_quantile).
    const QList<double> tenLow{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    const QList<double> fiveFive{0.5, 0.5, 0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 1.5, 1.5};

    QTest::newRow("empty") << QList<double>{} << 0.5 << 0.0;
    QTest::newRow("median in first bucket") << tenLow << 0.5 << 0.5;
    QTest::newRow("p90 in first bucket") << tenLow << 0.9 << 0.9;
    QTest::newRow("median at bucket edge") << fiveFive << 0.5 << 1.0;
    QTest::newRow("p75 in second bucket") << fiveFive << 0.75 << 1.5;
    QTest::newRow("p100") << fiveFive << 1.0 << 2.0;
    QTest::newRow("in +Inf bucket → highest bound") << QList<double>{0.5, 100, 100, 100} << 0.99 << 4.0;
    QTest::newRow("third bucket") << QList<double>{3, 3, 3, 3} << 0.5 << 3.0;
}

void tst_MetricsRegistry::quantile()
{
    QFETCH(QList<double>, values);
    QFETCH(double, q);
    QFETCH(double, expected);
    Histogram h({1, 2, 4});
    for (double v : values)
        h.observe(v);
    QCOMPARE(h.snapshot().quantile(q), expected);
}

void tst_MetricsRegistry::aggregation()
{
    MetricsRegistry m;
    QCOMPARE(m.sum("unknown"), 0.0);
    QVERIFY(m.series("unknown").empty());
    QCOMPARE(m.mergedHistogram("unknown").count, quint64(0));
    QVERIFY(m.mergedHistogram("unknown").cumulative.empty());

    m.counter("req_total", "R", {{"route", "/a"}}).inc(2);
    m.counter("req_total", "R", {{"route", "/b"}}).inc(3);
    QCOMPARE(m.sum("req_total"), 5.0);
    auto series = m.series("req_total");
    QCOMPARE(series.size(), size_t(2));
    std::sort(series.begin(), series.end(), [](const auto &x, const auto &y) { return x.first[0].second < y.first[0].second; });
    QCOMPARE(series[0].first, (Labels{{"route", "/a"}}));
    QCOMPARE(series[0].second, 2.0);
    QCOMPARE(series[1].first, (Labels{{"route", "/b"}}));
    QCOMPARE(series[1].second, 3.0);

    Histogram &h1 = m.histogram("lat", "L", {1, 2}, {{"route", "/a"}});
    // Later registrations of the family keep the first bounds.
    Histogram &h2 = m.histogram("lat", "L", {5, 10, 20}, {{"route", "/b"}});
    QVERIFY(&h1 != &h2);
    QCOMPARE(&m.histogram("lat", "L", {1, 2}, {{"route", "/a"}}), &h1);
    h1.observe(0.5);
    h1.observe(3);
    h2.observe(1.5);
    QCOMPARE(h2.snapshot().upperBounds, (std::vector<double>{1, 2}));
    const auto merged = m.mergedHistogram("lat");
    QCOMPARE(merged.count, quint64(3));
    QCOMPARE(merged.sum, 5.0);
    QCOMPARE(merged.cumulative, (std::vector<quint64>{1, 2, 3}));
    QCOMPARE(m.sum("lat"), 0.0); // sum() is for counters and gauges
}

void tst_MetricsRegistry::prometheusFormat()
{
    MetricsRegistry m;
    m.counter("http_requests_total", "HTTP requests", {{"method", "GET"}, {"status", "200"}}).inc(3);
    m.counter("http_requests_total", "HTTP requests", {{"method", "POST"}, {"status", "201"}}).inc();
    m.gauge("queue_depth", "Queued jobs").set(7);
    m.gauge("temperature", "Fractional").set(-0.25);
    m.counter("plain_total", "No labels").inc(12);
    const QByteArray text = m.renderPrometheus();

    QVERIFY(text.endsWith('\n'));
    QCOMPARE(text.count("# HELP http_requests_total HTTP requests\n"), 1); // once per family
    QCOMPARE(text.count("# TYPE http_requests_total counter\n"), 1);
    QVERIFY(text.contains("# HELP queue_depth Queued jobs\n# TYPE queue_depth gauge\n"));
    QCOMPARE(sample(text, "http_requests_total{method=\"GET\",status=\"200\"}"), QByteArray("3"));
    QCOMPARE(sample(text, "http_requests_total{method=\"POST\",status=\"201\"}"), QByteArray("1"));
    QCOMPARE(sample(text, "queue_depth"), QByteArray("7"));
    QCOMPARE(sample(text, "temperature"), QByteArray("-0.25"));
    QCOMPARE(sample(text, "plain_total"), QByteArray("12"));

    // HELP/TYPE precede the family's samples.
    const qsizetype type = text.indexOf("# TYPE http_requests_total counter");
    QVERIFY(type >= 0 && type < text.indexOf("http_requests_total{"));

    // Every line is a comment or "name{labels} value" with a parseable value.
    static const QRegularExpression sampleLine(
        QStringLiteral(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? (\S+)$)"));
    for (const QByteArray &line : lines(text)) {
        if (line.startsWith("# HELP ") || line.startsWith("# TYPE "))
            continue;
        const auto match = sampleLine.match(QString::fromUtf8(line));
        QVERIFY2(match.hasMatch(), line.constData());
        const QString value = match.captured(4);
        bool ok = false;
        value.toDouble(&ok);
        QVERIFY2(ok || value == u"+Inf" || value == u"-Inf" || value == u"NaN", line.constData());
    }
}

void tst_MetricsRegistry::labelEscaping_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("rendered");
    QTest::newRow("plain") << QStringLiteral("/api/v1/problems") << QByteArray("/api/v1/problems");
    QTest::newRow("quote") << QStringLiteral("say \"hi\"") << QByteArray("say \\\"hi\\\"");
    QTest::newRow("backslash") << QStringLiteral("C:\\dir") << QByteArray("C:\\\\dir");
    QTest::newRow("newline") << QStringLiteral("a\nb") << QByteArray("a\\nb");
    QTest::newRow("all") << QStringLiteral("\\\"\n") << QByteArray("\\\\\\\"\\n");
    QTest::newRow("utf8") << QStringLiteral("wasser-für-alle") << QStringLiteral("wasser-für-alle").toUtf8();
}

void tst_MetricsRegistry::labelEscaping()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, rendered);
    MetricsRegistry m;
    m.counter("esc_total", "Escaping", {{"v", value}}).inc();
    const QByteArray text = m.renderPrometheus();
    QCOMPARE(sample(text, "esc_total{v=\"" + rendered + "\"}"), QByteArray("1"));
    // An escaped newline never splits the sample across lines.
    for (const QByteArray &line : lines(text))
        QVERIFY2(line.startsWith('#') || line.contains(' '), line.constData());
}

void tst_MetricsRegistry::prometheusHistogram()
{
    MetricsRegistry m;
    Histogram &h = m.histogram("http_request_duration_seconds", "Latency", {0.5, 1, 2}, {{"route", "/x"}});
    for (double v : {0.25, 0.5, 0.75, 1.0, 4.0})
        h.observe(v);
    Histogram &plain = m.histogram("job_seconds", "Job time", {0.001, 0.25});
    plain.observe(0.0005);
    const QByteArray text = m.renderPrometheus();

    QVERIFY(text.contains("# HELP http_request_duration_seconds Latency\n# TYPE http_request_duration_seconds histogram\n"));
    const QByteArray n = "http_request_duration_seconds";
    QCOMPARE(sample(text, n + "_bucket{route=\"/x\",le=\"0.5\"}"), QByteArray("2"));
    QCOMPARE(sample(text, n + "_bucket{route=\"/x\",le=\"1\"}"), QByteArray("4"));
    QCOMPARE(sample(text, n + "_bucket{route=\"/x\",le=\"2\"}"), QByteArray("4"));
    QCOMPARE(sample(text, n + "_bucket{route=\"/x\",le=\"+Inf\"}"), QByteArray("5"));
    QCOMPARE(sample(text, n + "_sum{route=\"/x\"}"), QByteArray("6.5"));
    QCOMPARE(sample(text, n + "_count{route=\"/x\"}"), QByteArray("5"));
    // Buckets in increasing le order, +Inf last, then _sum and _count.
    const qsizetype b05 = text.indexOf(QByteArray(n + "_bucket{route=\"/x\",le=\"0.5\"}"));
    const qsizetype b1 = text.indexOf(QByteArray(n + "_bucket{route=\"/x\",le=\"1\"}"));
    const qsizetype inf = text.indexOf(QByteArray(n + "_bucket{route=\"/x\",le=\"+Inf\"}"));
    const qsizetype sum = text.indexOf(QByteArray(n + "_sum{"));
    const qsizetype count = text.indexOf(QByteArray(n + "_count{"));
    QVERIFY(b05 < b1 && b1 < inf && inf < sum && sum < count);

    // Without labels only le is inside the braces; _sum/_count have none.
    QCOMPARE(sample(text, "job_seconds_bucket{le=\"0.001\"}"), QByteArray("1"));
    QCOMPARE(sample(text, "job_seconds_bucket{le=\"0.25\"}"), QByteArray("1"));
    QCOMPARE(sample(text, "job_seconds_bucket{le=\"+Inf\"}"), QByteArray("1"));
    QCOMPARE(sample(text, "job_seconds_sum"), QByteArray("0.0005"));
    QCOMPARE(sample(text, "job_seconds_count"), QByteArray("1"));
    QVERIFY(!text.contains("job_seconds{"));
}

void tst_MetricsRegistry::processMetrics()
{
    MetricsRegistry m;
    const qint64 before = QDateTime::currentSecsSinceEpoch();
    const QByteArray text = m.renderPrometheus(); // empty registry: only process_* metrics
    for (const char *name : {"process_resident_memory_bytes", "process_virtual_memory_bytes", "process_cpu_seconds_total",
                             "process_open_fds", "process_threads", "process_start_time_seconds"}) {
        const QByteArray n(name);
        QVERIFY2(text.contains(QByteArray("# HELP " + n + ' ')), name);
        QVERIFY2(text.contains(QByteArray("# TYPE " + n + ' ')), name);
        bool ok = false;
        const double v = sample(text, n).toDouble(&ok);
        QVERIFY2(ok, name);
        QVERIFY2(v >= 0, name);
    }
    QVERIFY(text.contains("# TYPE process_cpu_seconds_total counter\n"));
    QVERIFY(text.contains("# TYPE process_resident_memory_bytes gauge\n"));
    QVERIFY(sample(text, "process_resident_memory_bytes").toDouble() > 1024 * 1024);
    QVERIFY(sample(text, "process_virtual_memory_bytes").toDouble() >= sample(text, "process_resident_memory_bytes").toDouble());
    QVERIFY(sample(text, "process_open_fds").toInt() >= 3);
    QVERIFY(sample(text, "process_threads").toInt() >= 1);
    // Started at most a few minutes ago, and not in the future (the clock tick rounding allows ±2 s).
    const double start = sample(text, "process_start_time_seconds").toDouble();
    QVERIFY2(start <= before + 2 && start > before - 600, qPrintable(QString::number(start, 'f', 0)));
}

void tst_MetricsRegistry::concurrentUpdates()
{
    MetricsRegistry m;
    constexpr int kThreads = 8;
    constexpr int kPerThread = 20000;
    Counter &shared = m.counter("shared_total", "Shared");
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&m, &shared, t] {
            for (int i = 0; i < kPerThread; ++i) {
                shared.inc();
                // Lookups race with registrations of new series from other threads.
                m.counter("per_thread_total", "Per thread", {{"t", QString::number(t)}}).inc();
                m.gauge("g", "G").add(1);
                m.histogram("h", "H", {1, 10}).observe(i % 20);
                if (i % 1000 == 0)
                    (void)m.renderPrometheus();
            }
        });
    }
    for (auto &t : threads)
        t.join();
    const double total = double(kThreads) * kPerThread;
    QCOMPARE(shared.value(), total);
    QCOMPARE(m.sum("per_thread_total"), total);
    QCOMPARE(m.series("per_thread_total").size(), size_t(kThreads));
    QCOMPARE(m.sum("g"), total);
    const auto h = m.mergedHistogram("h");
    QCOMPARE(h.count, quint64(total));
    QCOMPARE(h.cumulative.back(), quint64(total));
    QCOMPARE(h.cumulative[0], quint64(kThreads) * (kPerThread / 20) * 2); // values 0 and 1
    QCOMPARE(h.sum, double(kThreads) * (kPerThread / 20) * (19 * 20 / 2));
}

void tst_MetricsRegistry::defaultLatencyBuckets()
{
    const auto &b = MetricsRegistry::defaultLatencyBuckets();
    QVERIFY(!b.empty());
    QVERIFY(std::is_sorted(b.begin(), b.end()));
    QVERIFY(b.front() <= 0.01);
    QCOMPARE(b.back(), 10.0);
}

QTEST_GUILESS_MAIN(tst_MetricsRegistry)
#include "tst_metrics.moc"
