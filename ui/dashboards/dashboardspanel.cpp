#include "ui/dashboards/dashboardspanel.h"

#include "server/monitoring/monitoringservice.h"
#include "ui/charts/timeserieschart.h"
#include "ui/common/dbworker.h"
#include "ui/dashboards/dashboardmodels.h"

#include <QComboBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QScrollArea>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <cmath>

namespace bw::ui {

namespace series = monitoring::series;

// Points per history series: more than a chart's width in pixels would only cost paint time.
constexpr int kHistoryPoints = 240;

struct DashboardsPanel::SeriesSpec {
    QString name;     // metric_samples.name
    QString legend;   // "" for a single series; per-label series use the label
    double scale = 1; // seconds → ms, ratio → %, bytes → MB
    bool perLabel = false;
};

struct DashboardsPanel::ChartBox {
    QString id;
    QString unit;
    std::vector<SeriesSpec> specs;
    QStringList keys; // one per chart series: "<spec index>\n<label>"
    TimeSeriesChart *chart = nullptr;
    QLabel *value = nullptr;
};

namespace {
// The live value of a node series from the rates of the last tick (per label for per-queue ones).
std::map<QString, double> liveValues(const QString &name, const monitoring::NodeRates &r)
{
    const auto single = [](double v) { return std::map<QString, double>{{QString(), v}}; };
    if (name == QLatin1StringView(series::kRequestRate))
        return single(r.requestRate);
    if (name == QLatin1StringView(series::kErrorRate))
        return single(r.errorRate);
    if (name == QLatin1StringView(series::kLatencyP50))
        return single(r.p50);
    if (name == QLatin1StringView(series::kLatencyP95))
        return single(r.p95);
    if (name == QLatin1StringView(series::kLatencyP99))
        return single(r.p99);
    if (name == QLatin1StringView(series::kActiveConnections))
        return single(r.activeConnections);
    if (name == QLatin1StringView(series::kGuardrailP95))
        return single(r.guardrailP95);
    if (name == QLatin1StringView(series::kJobDurationP95))
        return single(r.jobDurationP95);
    if (name == QLatin1StringView(series::kJobProcessedRate))
        return r.jobsProcessedRate;
    if (name == QLatin1StringView(series::kJobFailedRate))
        return r.jobsFailedPerMinute;
    if (name == QLatin1StringView(series::kQueueDepth))
        return r.queueDepth;
    return {}; // cluster series: history only
}

QString formatValue(double v)
{
    const QLocale locale;
    const double a = std::fabs(v);
    return locale.toString(v, 'f', a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}
} // namespace

DashboardsPanel::DashboardsPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context), m_worker(context.worker), m_windowBox(new QComboBox), m_status(new QLabel),
      m_tabs(new QTabWidget), m_routes(new RouteModel(this)), m_slowQueries(new SlowQueryModel(this))
{
    setObjectName(QStringLiteral("dashboardsPanel"));
    auto *title = new QLabel(tr("Dashboards"));
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_windowBox->setObjectName(QStringLiteral("dashboardWindow"));
    m_windowBox->addItems({tr("Last 15 minutes"), tr("Last hour"), tr("Last 24 hours"), tr("Last 7 days"), tr("Last 30 days")});
    m_windowBox->setCurrentIndex(m_window);
    m_windowBox->setToolTip(tr("Time window of the charts. Up to one hour, charts also move live every second."));
    auto *windowLabel = new QLabel(tr("&Window:"));
    windowLabel->setBuddy(m_windowBox);
    m_status->setObjectName(QStringLiteral("dashboardStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *top = new QHBoxLayout;
    top->addWidget(title);
    top->addStretch(1);
    top->addWidget(m_status);
    top->addSpacing(12);
    top->addWidget(windowLabel);
    top->addWidget(m_windowBox);

    buildTabs();

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_tabs, 1);

    connect(m_windowBox, &QComboBox::currentIndexChanged, this, [this](int index) { setWindow(Window(index)); });
    m_liveTimer.setInterval(std::chrono::seconds(1));
    connect(&m_liveTimer, &QTimer::timeout, this, &DashboardsPanel::tickLive);
    m_historyTimer.setInterval(std::chrono::minutes(1));
    connect(&m_historyTimer, &QTimer::timeout, this, [this] {
        if (isVisible())
            refreshHistory();
    });
    if (m_context.metrics)
        m_liveTimer.start();
    m_historyTimer.start();
    setWindow(m_window);
}

DashboardsPanel::~DashboardsPanel() = default;

std::chrono::seconds DashboardsPanel::windowSpan(Window window)
{
    using namespace std::chrono;
    switch (window) {
    case Minutes15:
        return minutes(15);
    case Hour1:
        return hours(1);
    case Hours24:
        return hours(24);
    case Days7:
        return hours(24 * 7);
    case Days30:
        return hours(24 * 30);
    }
    return hours(1);
}

void DashboardsPanel::buildTabs()
{
    const QStringList names = {tr("API health"), tr("Queues"), tr("Database"), tr("Business")};
    for (const QString &name : names) {
        auto *page = new QWidget;
        new QGridLayout(page);
        auto *scroll = new QScrollArea;
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        scroll->setWidget(page);
        m_tabs->addTab(scroll, name);
        m_tabPages.push_back(page);
    }
    using S = SeriesSpec;
    // API health
    addChart(0, QStringLiteral("requestRate"), tr("Request rate"), tr("req/s"), {S{series::kRequestRate, {}}});
    addChart(0, QStringLiteral("errorRate"), tr("Server errors (5xx)"), tr("5xx/s"), {S{series::kErrorRate, {}}});
    addChart(0, QStringLiteral("latency"), tr("Latency p50 / p95 / p99"), tr("ms"),
             {S{series::kLatencyP50, QStringLiteral("p50"), 1000}, S{series::kLatencyP95, QStringLiteral("p95"), 1000},
              S{series::kLatencyP99, QStringLiteral("p99"), 1000}},
             500);
    addChart(0, QStringLiteral("connections"), tr("Active connections"), tr("connections"), {S{series::kActiveConnections, {}}});
    auto *routeView = new QTableView;
    routeView->setObjectName(QStringLiteral("routeTable"));
    routeView->setModel(m_routes);
    routeView->verticalHeader()->hide();
    routeView->horizontalHeader()->setSectionResizeMode(RouteModel::Route, QHeaderView::Stretch);
    routeView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    routeView->setSelectionBehavior(QAbstractItemView::SelectRows);
    routeView->setMinimumHeight(180);
    auto *routeBox = new QGroupBox(tr("Requests per route (since start)"));
    (new QVBoxLayout(routeBox))->addWidget(routeView);
    static_cast<QGridLayout *>(m_tabPages[0]->layout())->addWidget(routeBox, 2, 0, 1, 2);

    // Queues
    addChart(1, QStringLiteral("queueDepth"), tr("Queue depth"), tr("jobs"), {S{series::kQueueDepth, {}, 1, true}});
    addChart(1, QStringLiteral("processed"), tr("Jobs processed"), tr("jobs/s"), {S{series::kJobProcessedRate, {}, 1, true}});
    addChart(1, QStringLiteral("failed"), tr("Failed attempts"), tr("per minute"), {S{series::kJobFailedRate, {}, 1, true}});
    addChart(1, QStringLiteral("jobDuration"), tr("Job duration p95"), tr("s"), {S{series::kJobDurationP95, {}}});
    addChart(1, QStringLiteral("guardrailLatency"), tr("Guardrail evaluation p95"), tr("s"), {S{series::kGuardrailP95, {}}}, 5);

    // Database
    addChart(2, QStringLiteral("dbConnections"), tr("Connections"), tr("connections"),
             {S{series::kDbConnections, tr("in use")}, S{series::kDbMaxConnections, tr("maximum")}});
    addChart(2, QStringLiteral("queryLatency"), tr("Query latency (pg_stat_statements)"), tr("ms"),
             {S{series::kDbQueryMeanMs, {}}});
    addChart(2, QStringLiteral("dbSize"), tr("Database size"), tr("MB"), {S{series::kDbSizeBytes, {}, 1e-6}});
    addChart(2, QStringLiteral("cacheHit"), tr("Cache hit ratio"), tr("%"), {S{series::kDbCacheHitRatio, {}, 100}});
    addChart(2, QStringLiteral("deadTuples"), tr("Dead tuples"), tr("rows"), {S{series::kDbDeadTuples, {}}});
    auto *slowView = new QTableView;
    slowView->setObjectName(QStringLiteral("slowQueryTable"));
    slowView->setModel(m_slowQueries);
    slowView->verticalHeader()->hide();
    slowView->horizontalHeader()->setSectionResizeMode(SlowQueryModel::Query, QHeaderView::Stretch);
    slowView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    slowView->setWordWrap(false);
    slowView->setMinimumHeight(180);
    m_slowStatus = new QLabel;
    m_slowStatus->setWordWrap(true);
    auto *slowBox = new QGroupBox(tr("Slow statements (mean above 100 ms)"));
    auto *slowLayout = new QVBoxLayout(slowBox);
    slowLayout->addWidget(m_slowStatus);
    slowLayout->addWidget(slowView);
    static_cast<QGridLayout *>(m_tabPages[2]->layout())->addWidget(slowBox, 3, 0, 1, 2);

    // Business
    addChart(3, QStringLiteral("activeAgents"), tr("Active agents (24 h)"), tr("agents"), {S{series::kActiveAgents24h, {}}});
    addChart(3, QStringLiteral("problemsToday"), tr("Problems reported today"), tr("problems"), {S{series::kProblemsToday, {}}});
    addChart(3, QStringLiteral("approvalRate"), tr("Guardrail approval rate (24 h)"), tr("%"),
             {S{series::kApprovalRate, {}, 100}});
    addChart(3, QStringLiteral("missionsWeek"), tr("Missions completed (7 days)"), tr("missions"),
             {S{series::kMissionsWeek, {}}});
    addChart(3, QStringLiteral("tokensWeek"), tr("Tokens distributed (7 days)"), tr("tokens"), {S{series::kTokensWeek, {}}});
}

QWidget *DashboardsPanel::addChart(int tab, const QString &id, const QString &title, const QString &unit,
                                   std::vector<SeriesSpec> specs, double threshold)
{
    auto *box = new QGroupBox(title);
    box->setObjectName(id + QStringLiteral("Box"));
    auto *value = new QLabel(QStringLiteral("–"));
    value->setObjectName(id + QStringLiteral("Value"));
    QFont big = value->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    big.setBold(true);
    value->setFont(big);
    auto *chart = new TimeSeriesChart;
    chart->setObjectName(id);
    chart->setValueTitle(unit);
    chart->setMinimumSize(300, 190);
    if (threshold >= 0)
        chart->setThreshold(threshold);
    auto *layout = new QVBoxLayout(box);
    layout->addWidget(value);
    layout->addWidget(chart, 1);
    auto *grid = static_cast<QGridLayout *>(m_tabPages[size_t(tab)]->layout());
    const int n = grid->count();
    grid->addWidget(box, n / 2, n % 2);

    ChartBox c;
    c.id = id;
    c.unit = unit;
    c.specs = std::move(specs);
    c.chart = chart;
    c.value = value;
    QStringList names;
    for (size_t i = 0; i < c.specs.size(); ++i) {
        if (c.specs[i].perLabel)
            continue; // series appear as labels are seen
        c.keys << QString::number(i) + u'\n';
        names << c.specs[i].legend;
    }
    if (!names.isEmpty())
        chart->setSeriesNames(names);
    m_charts.push_back(std::move(c));
    return box;
}

int DashboardsPanel::seriesIndex(ChartBox &box, int spec, const QString &label)
{
    const QString key = QString::number(spec) + u'\n' + (box.specs[size_t(spec)].perLabel ? label : QString());
    int i = int(box.keys.indexOf(key));
    if (i >= 0)
        return i;
    box.keys << key;
    QStringList names;
    for (const QString &k : box.keys) {
        const int s = k.section(u'\n', 0, 0).toInt();
        names << (box.specs[size_t(s)].perLabel ? k.section(u'\n', 1) : box.specs[size_t(s)].legend);
    }
    box.chart->setSeriesNames(names);
    return int(box.keys.size()) - 1;
}

void DashboardsPanel::updateValueLabel(ChartBox &box)
{
    if (box.keys.isEmpty() || (box.chart->pointCount() == 0 && box.keys.size() == 1)) {
        box.value->setText(QStringLiteral("–"));
        return;
    }
    QStringList parts;
    double total = 0;
    const bool perLabel = box.specs.front().perLabel;
    for (int i = 0; i < box.keys.size(); ++i) {
        if (box.chart->seriesPointCount(i) == 0)
            continue;
        if (perLabel)
            total += box.chart->seriesLastValue(i);
        else
            parts << (box.keys.size() > 1 ? tr("%1 %2").arg(box.specs[size_t(box.keys[i].section(u'\n', 0, 0).toInt())].legend,
                                                            formatValue(box.chart->seriesLastValue(i)))
                                          : formatValue(box.chart->seriesLastValue(i)));
    }
    if (perLabel)
        parts << tr("%1 in total").arg(formatValue(total));
    box.value->setText(parts.isEmpty() ? QStringLiteral("–") : tr("%1 %2").arg(parts.join(QStringLiteral(" · ")), box.unit));
}

void DashboardsPanel::setLiveInterval(std::chrono::milliseconds interval)
{
    m_liveTimer.setInterval(interval);
}

void DashboardsPanel::setWindow(Window window)
{
    m_window = window;
    if (m_windowBox->currentIndex() != window) {
        const QSignalBlocker block(m_windowBox);
        m_windowBox->setCurrentIndex(window);
    }
    // The charts change when the history arrives (applyHistory), one tab per event-loop pass.
    refreshHistory();
}

void DashboardsPanel::refreshHistory()
{
    if (!m_worker || !m_context.monitoring) {
        m_status->setText(tr("History unavailable: no database connection."));
        return;
    }
    QStringList names;
    for (const ChartBox &box : m_charts)
        for (const SeriesSpec &s : box.specs)
            if (!names.contains(s.name))
                names << s.name;
    const quint64 generation = ++m_generation;
    const auto span = windowSpan(m_window);
    m_historyInFlight = true;
    m_status->setText(tr("Loading history…"));
    m_worker->submit(
        this,
        [monitoring = m_context.monitoring, names, span] {
            const QDateTime to = QDateTime::currentDateTimeUtc();
            return monitoring->metricHistory(names, to.addSecs(-qint64(span.count())), to, kHistoryPoints);
        },
        [this, generation](const Result<QList<monitoring::SeriesHistory>> &result) { applyHistory(generation, result); });
    if (!m_slowInFlight)
        loadSlowQueries();
}

void DashboardsPanel::applyHistory(quint64 generation, const Result<QList<monitoring::SeriesHistory>> &result)
{
    if (generation != m_generation)
        return; // a newer window was chosen meanwhile
    m_historyInFlight = false;
    if (!result) {
        m_status->setText(tr("History unavailable: %1").arg(result.error().message));
        return;
    }
    // Re-laying out a chart costs a few ms: the visible dashboard first, the others in later
    // event-loop passes, so the GUI thread never holds on to more than one tab's charts.
    const auto history = std::make_shared<QList<monitoring::SeriesHistory>>(*result);
    std::vector<int> order{m_tabs->currentIndex()};
    for (int tab = 0; tab < int(m_tabPages.size()); ++tab)
        if (tab != m_tabs->currentIndex())
            order.push_back(tab);
    applyHistoryTabs(generation, history, order, 0);
}

void DashboardsPanel::applyHistoryTabs(quint64 generation, std::shared_ptr<QList<monitoring::SeriesHistory>> history,
                                       std::vector<int> order, size_t next)
{
    if (generation != m_generation)
        return;
    if (next >= order.size()) {
        int points = 0;
        for (const monitoring::SeriesHistory &h : *history)
            points += int(h.points.size());
        ++m_historyLoads;
        m_status->setText(points == 0 ? tr("No samples recorded in this window yet.") : QString());
        Q_EMIT historyLoaded(int(history->size()));
        return;
    }
    const QWidget *page = m_tabPages[size_t(order[next])];
    for (ChartBox &box : m_charts) {
        if (!page->isAncestorOf(box.chart))
            continue;
        box.chart->beginBatch();
        box.chart->setWindow(windowSpan(m_window));
        box.chart->clear(); // live points of the previous window
        for (size_t spec = 0; spec < box.specs.size(); ++spec) {
            const SeriesSpec &s = box.specs[spec];
            for (const monitoring::SeriesHistory &h : *history) {
                if (h.name != s.name)
                    continue;
                QList<QPointF> scaled = h.points;
                for (QPointF &p : scaled)
                    p.setY(p.y() * s.scale);
                box.chart->setPoints(seriesIndex(box, int(spec), h.label), scaled);
            }
        }
        box.chart->endBatch();
        updateValueLabel(box);
    }
    QTimer::singleShot(0, this, [this, generation, history, order = std::move(order), next]() mutable {
        applyHistoryTabs(generation, std::move(history), std::move(order), next + 1);
    });
}

void DashboardsPanel::loadSlowQueries()
{
    if (!m_worker || !m_context.monitoring)
        return;
    m_slowInFlight = true;
    m_worker->submit(
        this, [monitoring = m_context.monitoring] { return monitoring->slowQueries(); },
        [this](const Result<QList<monitoring::SlowQuery>> &result) {
            m_slowInFlight = false;
            if (!result) {
                m_slowStatus->setText(
                    tr("Query statistics need the pg_stat_statements extension (%1).").arg(result.error().message));
                m_slowQueries->setQueries({});
                return;
            }
            m_slowStatus->setText(result->isEmpty() ? tr("No statement averages more than 100 ms.") : QString());
            m_slowQueries->setQueries(*result);
        });
}

void DashboardsPanel::tickLive()
{
    if (!m_context.metrics)
        return;
    monitoring::NodeMetricsSnapshot now = monitoring::NodeMetricsSnapshot::capture(*m_context.metrics);
    if (m_previous) {
        const monitoring::NodeRates rates = monitoring::NodeRates::between(*m_previous, now);
        m_routes->setRoutes(rates.routes);
        // Long windows show history only. A hidden panel (another one is open) skips its 19
        // charts too — ~20 ms of GUI-thread work a second for nobody; showing it reloads history.
        const bool plotLive = isVisible() && windowSpan(m_window) <= std::chrono::hours(1);
        const QDateTime at = QDateTime::fromMSecsSinceEpoch(now.atMs);
        for (ChartBox &box : m_charts) {
            if (!plotLive)
                break;
            bool changed = false;
            box.chart->beginBatch();
            for (size_t spec = 0; spec < box.specs.size(); ++spec) {
                for (const auto &[label, value] : liveValues(box.specs[spec].name, rates)) {
                    box.chart->addSeriesPoint(seriesIndex(box, int(spec), label), at, value * box.specs[spec].scale);
                    changed = true;
                }
            }
            box.chart->endBatch();
            if (changed)
                updateValueLabel(box);
        }
    }
    m_previous = std::move(now);
    Q_EMIT liveSampled();
}

void DashboardsPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_historyLoads > 0 && !m_historyInFlight)
        refreshHistory();
}

QStringList DashboardsPanel::chartIds() const
{
    QStringList ids;
    for (const ChartBox &box : m_charts)
        ids << box.id;
    return ids;
}

TimeSeriesChart *DashboardsPanel::chart(const QString &id) const
{
    for (const ChartBox &box : m_charts)
        if (box.id == id)
            return box.chart;
    return nullptr;
}

QString DashboardsPanel::valueText(const QString &id) const
{
    for (const ChartBox &box : m_charts)
        if (box.id == id)
            return box.value->text();
    return {};
}

} // namespace bw::ui
