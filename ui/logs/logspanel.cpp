#include "ui/logs/logspanel.h"

#include "server/core/config.h"
#include "ui/logs/logmodel.h"
#include "ui/logs/logtailer.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace bw::ui {

LogsPanel::LogsPanel(const ConsoleContext &context, QWidget *parent, int capacity)
    : QWidget(parent), m_tailer(new LogTailer), m_model(new LogModel(capacity, this)), m_filter(new LogFilterModel(this)),
      m_view(new QTableView), m_level(new QComboBox), m_category(new QComboBox), m_text(new QLineEdit),
      m_requestId(new QLineEdit), m_follow(new QCheckBox(tr("&Follow"))), m_count(new QLabel), m_status(new QLabel),
      m_detail(new QPlainTextEdit)
{
    qRegisterMetaType<LogEntries>();
    setObjectName(QStringLiteral("logsPanel"));
    auto *title = new QLabel(tr("Logs"));
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_level->addItems({tr("Debug and above"), tr("Info and above"), tr("Warnings and errors"), tr("Errors only")});
    m_level->setObjectName(QStringLiteral("logLevel"));
    m_category->setEditable(true);
    m_category->setObjectName(QStringLiteral("logCategory"));
    m_category->addItem(QString());
    m_category->lineEdit()->setPlaceholderText(tr("All categories"));
    m_category->setMinimumContentsLength(16);
    m_text->setPlaceholderText(tr("Search text"));
    m_text->setClearButtonEnabled(true);
    m_text->setObjectName(QStringLiteral("logText"));
    m_requestId->setPlaceholderText(tr("Request ID"));
    m_requestId->setClearButtonEnabled(true);
    m_requestId->setObjectName(QStringLiteral("logRequestId"));
    m_follow->setChecked(true);
    m_follow->setToolTip(tr("Keep the newest line in view"));

    auto *filters = new QHBoxLayout;
    filters->addWidget(m_level);
    filters->addWidget(m_category);
    filters->addWidget(m_text, 2);
    filters->addWidget(m_requestId, 1);
    filters->addWidget(m_follow);

    m_filter->setSourceModel(m_model);
    m_view->setObjectName(QStringLiteral("logTable"));
    m_view->setModel(m_filter);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 4);
    m_view->horizontalHeader()->setSectionResizeMode(LogModel::Message, QHeaderView::Stretch);
    m_view->horizontalHeader()->setSectionResizeMode(LogModel::Time, QHeaderView::ResizeToContents);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideRight);
    m_detail->setReadOnly(true);
    m_detail->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_detail->setObjectName(QStringLiteral("logDetail"));

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(m_view);
    splitter->addWidget(m_detail);
    splitter->setStretchFactor(0, 4);
    splitter->setStretchFactor(1, 1);

    auto *top = new QHBoxLayout;
    top->addWidget(title);
    top->addStretch(1);
    top->addWidget(m_status);
    top->addWidget(m_count);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(filters);
    layout->addWidget(splitter, 1);

    m_level->setCurrentIndex(1);
    m_filter->setMinimumLevel(1);
    connect(m_level, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_filter->setMinimumLevel(i);
        updateCount();
    });
    connect(m_category, &QComboBox::currentTextChanged, this, [this](const QString &c) {
        m_filter->setCategory(c);
        updateCount();
    });
    connect(m_text, &QLineEdit::textChanged, this, [this](const QString &t) {
        m_filter->setText(t);
        updateCount();
    });
    connect(m_requestId, &QLineEdit::textChanged, this, [this](const QString &t) {
        m_filter->setRequestId(t);
        updateCount();
    });
    connect(m_model, &LogModel::categoriesChanged, this, [this] {
        const QString current = m_category->currentText();
        const QSignalBlocker block(m_category);
        m_category->clear();
        m_category->addItem(QString());
        m_category->addItems(m_model->categories());
        m_category->setCurrentText(current);
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &LogsPanel::showSelected);

    m_tailer->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_tailer, &QObject::deleteLater);
    connect(m_tailer, &LogTailer::entries, this, &LogsPanel::appendBatch);
    connect(m_tailer, &LogTailer::status, m_status, &QLabel::setText);
    m_thread.setObjectName(QStringLiteral("bw-log-tail"));
    m_thread.start();
    if (context.config)
        setLogFile(context.config->logDir() + QStringLiteral("/betterworld.log"));
    updateCount();
}

LogsPanel::~LogsPanel()
{
    QMetaObject::invokeMethod(m_tailer, &LogTailer::stop, Qt::QueuedConnection);
    m_thread.quit();
    m_thread.wait(5000); // one poll at most (bounded reads)
}

void LogsPanel::setLogFile(const QString &path, int pollMs)
{
    m_path = path;
    m_model->clear();
    QMetaObject::invokeMethod(
        m_tailer, [tailer = m_tailer, path, pollMs] { tailer->follow(path, 1024 * 1024, pollMs); }, Qt::QueuedConnection);
}

void LogsPanel::appendBatch(const LogEntries &batch)
{
    QScrollBar *bar = m_view->verticalScrollBar();
    const bool atBottom = bar->value() >= bar->maximum() - 2;
    m_model->append(batch);
    if (m_follow->isChecked() && atBottom)
        m_view->scrollToBottom();
    updateCount();
}

void LogsPanel::showSelected()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty()) {
        m_detail->clear();
        return;
    }
    const QString raw = rows.first().data(LogModel::RawLineRole).toString();
    const QJsonDocument doc = QJsonDocument::fromJson(raw.toUtf8());
    m_detail->setPlainText(doc.isNull() ? raw : QString::fromUtf8(doc.toJson(QJsonDocument::Indented)));
}

void LogsPanel::updateCount()
{
    m_count->setText(tr("%1 of %2 lines").arg(m_filter->rowCount()).arg(m_model->rowCount()));
}

void LogsPanel::setMinimumLevel(int rank)
{
    m_level->setCurrentIndex(std::clamp(rank, 0, 3));
}
void LogsPanel::setCategory(const QString &category)
{
    m_category->setCurrentText(category);
}
void LogsPanel::setText(const QString &text)
{
    m_text->setText(text);
}
void LogsPanel::setRequestId(const QString &id)
{
    m_requestId->setText(id);
}

} // namespace bw::ui
