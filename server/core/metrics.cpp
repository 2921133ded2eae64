#include "metrics.h"

#include <QDir>
#include <QFile>

#include <algorithm>
#include <cmath>
#include <unistd.h>

namespace bw {

namespace {
enum Type { CounterType, GaugeType, HistogramType };

QString labelKey(const Labels &labels)
{
    QString key;
    for (const auto &[k, v] : labels)
        key += k + u'\x1f' + v + u'\x1e';
    return key;
}

QByteArray escapeLabel(const QString &value)
{
    QByteArray out;
    for (const char c : value.toUtf8()) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QByteArray renderLabels(const Labels &labels, const QByteArray &extra = {})
{
    if (labels.empty() && extra.isEmpty())
        return {};
    QByteArray out = "{";
    bool first = true;
    for (const auto &[k, v] : labels) {
        if (!first)
            out += ',';
        out += k.toUtf8() + "=\"" + escapeLabel(v) + '"';
        first = false;
    }
    if (!extra.isEmpty()) {
        if (!first)
            out += ',';
        out += extra;
    }
    return out + '}';
}

QByteArray number(double v)
{
    if (std::isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    if (std::isnan(v))
        return "NaN";
    if (v == std::floor(v) && std::fabs(v) < 1e15)
        return QByteArray::number(static_cast<qint64>(v));
    return QByteArray::number(v, 'g', 12);
}

// Linux /proc readings for the process_* metrics Prometheus clients conventionally export.
QByteArray processMetrics()
{
    QByteArray out;
    const long pageSize = sysconf(_SC_PAGESIZE);
    const long ticks = sysconf(_SC_CLK_TCK);
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (statm.open(QIODevice::ReadOnly)) {
        const QList<QByteArray> f = statm.readAll().split(' ');
        if (f.size() >= 2) {
            out +=
                "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n# TYPE process_virtual_memory_bytes gauge\n";
            out += "process_virtual_memory_bytes " + number(f[0].toDouble() * pageSize) + '\n';
            out +=
                "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n";
            out += "process_resident_memory_bytes " + number(f[1].toDouble() * pageSize) + '\n';
        }
    }
    QFile stat(QStringLiteral("/proc/self/stat"));
    if (stat.open(QIODevice::ReadOnly)) {
        const QByteArray all = stat.readAll();
        // Fields after the parenthesised command name; utime/stime are fields 14/15, starttime 22.
        const QList<QByteArray> f = all.mid(all.lastIndexOf(')') + 2).split(' ');
        if (f.size() > 19) {
            const double cpu = (f[11].toDouble() + f[12].toDouble()) / ticks;
            out +=
                "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\n";
            out += "process_cpu_seconds_total " + number(cpu) + '\n';
            out += "# HELP process_threads Number of OS threads.\n# TYPE process_threads gauge\n";
            out += "process_threads " + f[17] + '\n';
            QFile uptime(QStringLiteral("/proc/uptime"));
            if (uptime.open(QIODevice::ReadOnly)) {
                const double bootAgo = uptime.readAll().split(' ').value(0).toDouble();
                const double startedSecondsAfterBoot = f[19].toDouble() / ticks;
                const double start = std::floor(::time(nullptr) - bootAgo + startedSecondsAfterBoot);
                out +=
                    "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n# TYPE process_start_time_seconds gauge\n";
                out += "process_start_time_seconds " + number(start) + '\n';
            }
        }
    }
    const qsizetype fds =
        QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot).size();
    out += "# HELP process_open_fds Number of open file descriptors.\n# TYPE process_open_fds gauge\n";
    out += "process_open_fds " + number(double(fds)) + '\n';
    return out;
}
} // namespace

Histogram::Histogram(std::vector<double> upperBounds)
    : m_bounds(std::move(upperBounds)), m_buckets(new std::atomic<quint64>[m_bounds.size() + 1])
{
    std::sort(m_bounds.begin(), m_bounds.end());
    for (size_t i = 0; i <= m_bounds.size(); ++i)
        m_buckets[i].store(0);
}

void Histogram::observe(double value)
{
    const size_t i = std::lower_bound(m_bounds.begin(), m_bounds.end(), value) - m_bounds.begin();
    m_buckets[i].fetch_add(1, std::memory_order_relaxed);
    m_sum.fetch_add(value, std::memory_order_relaxed);
    m_count.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const
{
    Snapshot s;
    s.upperBounds = m_bounds;
    quint64 running = 0;
    for (size_t i = 0; i <= m_bounds.size(); ++i) {
        running += m_buckets[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    s.sum = m_sum.load(std::memory_order_relaxed);
    s.count = running;
    return s;
}

double Histogram::Snapshot::quantile(double q) const
{
    if (count == 0 || cumulative.empty())
        return 0;
    const double rank = q * double(count);
    for (size_t i = 0; i < cumulative.size(); ++i) {
        if (double(cumulative[i]) >= rank) {
            if (i == upperBounds.size()) // +Inf bucket: the best answer is the highest finite bound
                return upperBounds.empty() ? 0 : upperBounds.back();
            const double lower = i == 0 ? 0 : upperBounds[i - 1];
            const double below = i == 0 ? 0 : double(cumulative[i - 1]);
            const double inBucket = double(cumulative[i]) - below;
            return inBucket <= 0 ? upperBounds[i] : lower + (upperBounds[i] - lower) * (rank - below) / inBucket;
        }
    }
    return upperBounds.empty() ? 0 : upperBounds.back();
}

struct MetricsRegistry::Family {
    QString help;
    int type = CounterType;
    std::vector<double> bounds;
    struct Series {
        Labels labels;
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Gauge> gauge;
        std::unique_ptr<Histogram> histogram;
    };
    std::map<QString, Series> series;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family &MetricsRegistry::family(const QString &name, const QString &help, int type)
{
    auto &slot = m_families[name];
    if (!slot) {
        slot = std::make_unique<Family>();
        slot->help = help;
        slot->type = type;
    }
    return *slot;
}

Counter &MetricsRegistry::counter(const QString &name, const QString &help, const Labels &labels)
{
    std::lock_guard lock(m_mutex);
    auto &s = family(name, help, CounterType).series[labelKey(labels)];
    if (!s.counter) {
        s.labels = labels;
        s.counter = std::make_unique<Counter>();
    }
    return *s.counter;
}

Gauge &MetricsRegistry::gauge(const QString &name, const QString &help, const Labels &labels)
{
    std::lock_guard lock(m_mutex);
    auto &s = family(name, help, GaugeType).series[labelKey(labels)];
    if (!s.gauge) {
        s.labels = labels;
        s.gauge = std::make_unique<Gauge>();
    }
    return *s.gauge;
}

Histogram &MetricsRegistry::histogram(const QString &name, const QString &help, const std::vector<double> &upperBounds,
                                      const Labels &labels)
{
    std::lock_guard lock(m_mutex);
    Family &f = family(name, help, HistogramType);
    if (f.bounds.empty())
        f.bounds = upperBounds;
    auto &s = f.series[labelKey(labels)];
    if (!s.histogram) {
        s.labels = labels;
        s.histogram = std::make_unique<Histogram>(f.bounds);
    }
    return *s.histogram;
}

double MetricsRegistry::sum(const QString &name) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_families.find(name);
    if (it == m_families.end())
        return 0;
    double total = 0;
    for (const auto &[key, s] : it->second->series)
        total += s.counter ? s.counter->value() : s.gauge ? s.gauge->value() : 0;
    return total;
}

std::vector<std::pair<Labels, double>> MetricsRegistry::series(const QString &name) const
{
    std::lock_guard lock(m_mutex);
    std::vector<std::pair<Labels, double>> out;
    const auto it = m_families.find(name);
    if (it == m_families.end())
        return out;
    for (const auto &[key, s] : it->second->series)
        out.emplace_back(s.labels, s.counter ? s.counter->value() : s.gauge ? s.gauge->value() : 0);
    return out;
}

Histogram::Snapshot MetricsRegistry::mergedHistogram(const QString &name) const
{
    std::lock_guard lock(m_mutex);
    Histogram::Snapshot merged;
    const auto it = m_families.find(name);
    if (it == m_families.end())
        return merged;
    for (const auto &[key, s] : it->second->series) {
        if (!s.histogram)
            continue;
        const auto one = s.histogram->snapshot();
        if (merged.cumulative.empty()) {
            merged = one;
            continue;
        }
        for (size_t i = 0; i < merged.cumulative.size() && i < one.cumulative.size(); ++i)
            merged.cumulative[i] += one.cumulative[i];
        merged.sum += one.sum;
        merged.count += one.count;
    }
    return merged;
}

QByteArray MetricsRegistry::renderPrometheus() const
{
    QByteArray out;
    {
        std::lock_guard lock(m_mutex);
        for (const auto &[name, f] : m_families) {
            const QByteArray n = name.toUtf8();
            static const char *types[] = {"counter", "gauge", "histogram"};
            out += "# HELP " + n + ' ' + f->help.toUtf8() + "\n# TYPE " + n + ' ' + types[f->type] + '\n';
            for (const auto &[key, s] : f->series) {
                if (s.counter) {
                    out += n + renderLabels(s.labels) + ' ' + number(s.counter->value()) + '\n';
                } else if (s.gauge) {
                    out += n + renderLabels(s.labels) + ' ' + number(s.gauge->value()) + '\n';
                } else if (s.histogram) {
                    const auto snap = s.histogram->snapshot();
                    for (size_t i = 0; i < snap.cumulative.size(); ++i) {
                        const double le = i < snap.upperBounds.size() ? snap.upperBounds[i] : INFINITY;
                        out += n + "_bucket" + renderLabels(s.labels, "le=\"" + number(le) + '"') + ' '
                               + number(double(snap.cumulative[i])) + '\n';
                    }
                    out += n + "_sum" + renderLabels(s.labels) + ' ' + number(snap.sum) + '\n';
                    out += n + "_count" + renderLabels(s.labels) + ' ' + number(double(snap.count)) + '\n';
                }
            }
        }
    }
    return out + processMetrics();
}

const std::vector<double> &MetricsRegistry::defaultLatencyBuckets()
{
    static const std::vector<double> buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    return buckets;
}

} // namespace bw
