#include "ui/overview/overviewpanel.h"

#include "ui/charts/timeserieschart.h"
#include "ui/overview/overviewloader.h"
#include "ui/overview/overviewmodel.h"

#include <QFrame>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QVBoxLayout>

namespace bw::ui {

OverviewPanel::OverviewPanel(QWidget *parent)
    : QWidget(parent), m_model(new OverviewModel(this)), m_loader(new OverviewLoader(this)), m_rateChart(new TimeSeriesChart),
      m_table(new QTableView), m_banner(new QFrame), m_bannerIcon(new QLabel), m_bannerText(new QLabel)
{
    setObjectName(QStringLiteral("overviewPanel"));

    auto *title = new QLabel(tr("Overview"));
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
    titleFont.setBold(true);
    title->setFont(titleFont);

    // Banner for "starting" and "failed": a plain framed row, so it follows the platform style.
    m_banner->setObjectName(QStringLiteral("overviewBanner"));
    m_banner->setFrameShape(QFrame::StyledPanel);
    m_banner->setAutoFillBackground(true);
    m_bannerText->setObjectName(QStringLiteral("overviewBannerText"));
    m_bannerText->setWordWrap(true);
    m_bannerText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *bannerLayout = new QHBoxLayout(m_banner);
    bannerLayout->addWidget(m_bannerIcon, 0, Qt::AlignTop);
    bannerLayout->addWidget(m_bannerText, 1);

    m_table->setObjectName(QStringLiteral("overviewTable"));
    m_table->setModel(m_model);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(OverviewModel::Name, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle);
    // As tall as its rows (no empty grid below), scrolling only if the window gets very small.
    m_table->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    m_table->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff); // values elide instead
    m_table->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Maximum);
    auto *tableColumn = new QWidget;
    auto *tableLayout = new QVBoxLayout(tableColumn);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->addWidget(m_table);
    tableLayout->addStretch(1);

    auto *chartBox = new QGroupBox(tr("Requests per second (last minute)"));
    auto *chartLayout = new QVBoxLayout(chartBox);
    m_rateChart->setObjectName(QStringLiteral("requestRateChart"));
    m_rateChart->setValueTitle(tr("req/s"));
    m_rateChart->setMinimumSize(320, 220);
    chartLayout->addWidget(m_rateChart);

    auto *splitter = new QSplitter(Qt::Horizontal);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(tableColumn);
    splitter->addWidget(chartBox);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(m_banner);
    layout->addWidget(splitter, 1);

    connect(m_loader, &OverviewLoader::snapshotChanged, this, &OverviewPanel::showSnapshot);
    connect(m_loader, &OverviewLoader::rateSampled, m_rateChart, &TimeSeriesChart::addPoint);

    showSnapshot(m_loader->snapshot());
}

void OverviewPanel::setStarting(const QString &message)
{
    m_loader->setStarting(message);
}

void OverviewPanel::setReady(const OverviewContext &context, DbWorker *worker)
{
    m_rateChart->clear();
    m_loader->start(context, worker);
}

void OverviewPanel::setStopping(const QString &message)
{
    m_loader->setStopping(message);
}

void OverviewPanel::setFailed(const QString &message)
{
    m_loader->setFailed(message);
}

void OverviewPanel::showSnapshot(const OverviewSnapshot &snapshot)
{
    m_model->setSnapshot(snapshot);
    updateBanner(snapshot);
}

void OverviewPanel::updateBanner(const OverviewSnapshot &snapshot)
{
    QStyle::StandardPixmap icon = QStyle::SP_MessageBoxInformation;
    QString text;
    switch (snapshot.state) {
    case ServerState::Starting:
        text = snapshot.stateMessage.isEmpty() ? tr("The server is starting.")
                                               : tr("The server is starting: %1").arg(snapshot.stateMessage);
        break;
    case ServerState::Stopping:
        text = snapshot.stateMessage.isEmpty() ? tr("The server is stopping.")
                                               : tr("The server is stopping: %1").arg(snapshot.stateMessage);
        break;
    case ServerState::Failed:
        icon = QStyle::SP_MessageBoxCritical;
        text = tr("The server could not start: %1").arg(snapshot.stateMessage);
        break;
    case ServerState::Running:
        if (!snapshot.databaseError.isEmpty()) {
            icon = QStyle::SP_MessageBoxWarning;
            text = tr("The database cannot be reached: %1").arg(snapshot.databaseError);
        }
        break;
    }
    m_banner->setVisible(!text.isEmpty());
    if (text.isEmpty())
        return;
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize);
    m_bannerIcon->setPixmap(style()->standardIcon(icon).pixmap(size, size));
    m_bannerText->setText(text);
}

} // namespace bw::ui
