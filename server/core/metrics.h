#pragma once
// In-process metrics (counters, gauges, histograms with labels) rendered as Prometheus text 0.0.4.
// Thread-safe: HTTP I/O threads, pool threads and workers update; /metrics and the GUI read.

#include <QByteArray>
#include <QString>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace bw {

using Labels = std::vector<std::pair<QString, QString>>;

class Counter final {
public:
    void inc(double by = 1.0) { m_value.fetch_add(by, std::memory_order_relaxed); }
    double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value{0.0};
};

class Gauge final {
public:
    void set(double v) { m_value.store(v, std::memory_order_relaxed); }
    void add(double by) { m_value.fetch_add(by, std::memory_order_relaxed); }
    double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value{0.0};
};

class Histogram final {
public:
    explicit Histogram(std::vector<double> upperBounds);
    void observe(double value);

    struct Snapshot {
        std::vector<double> upperBounds; // without +Inf
        std::vector<quint64> cumulative; // one per bound, then +Inf
        double sum = 0;
        quint64 count = 0;
        // Linear interpolation inside the bucket, as Prometheus' histogram_quantile does.
        double quantile(double q) const;
    };
    Snapshot snapshot() const;

private:
    std::vector<double> m_bounds;
    std::unique_ptr<std::atomic<quint64>[]> m_buckets; // non-cumulative; last = +Inf
    std::atomic<double> m_sum{0.0};
    std::atomic<quint64> m_count{0};
};

class MetricsRegistry final {
public:
    MetricsRegistry();
    ~MetricsRegistry();

    // Returned references stay valid for the registry's lifetime; cache them on hot paths.
    Counter &counter(const QString &name, const QString &help, const Labels &labels = {});
    Gauge &gauge(const QString &name, const QString &help, const Labels &labels = {});
    Histogram &histogram(const QString &name, const QString &help, const std::vector<double> &upperBounds,
                         const Labels &labels = {});

    // Sum of a counter or gauge over all its label sets (0 when unknown).
    double sum(const QString &name) const;
    // Merged snapshot of a histogram over all its label sets (empty when unknown).
    Histogram::Snapshot mergedHistogram(const QString &name) const;
    // name{labels} → value for every series of a counter/gauge family (for per-route tables).
    std::vector<std::pair<Labels, double>> series(const QString &name) const;

    QByteArray renderPrometheus() const; // includes process_* metrics

    static const std::vector<double> &defaultLatencyBuckets(); // 0.01 … 10 s (operations.md)

private:
    struct Family;
    Family &family(const QString &name, const QString &help, int type);
    mutable std::mutex m_mutex;
    std::map<QString, std::unique_ptr<Family>> m_families;
};

} // namespace bw
