#include "ui/review/reviewpanel.h"

#include "ui/review/agebadgedelegate.h"
#include "ui/review/reviewdetailhtml.h"
#include "ui/review/reviewfilterbar.h"
#include "ui/review/reviewmodel.h"

#include <QAction>
#include <QComboBox>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace bw::ui {

using Action = ReviewLoader::Action;

QStringList ReviewPanel::reasonTemplates()
{
    return {tr("Reviewed: aligned with its domain, no harmful content; the flag was a false positive."),
            tr("Reviewed: the matched phrase is used in a harmless, factual context."),
            tr("Rejected: contains personal data that must not be published."),
            tr("Rejected: not aligned with any of the impact domains."),
            tr("Rejected: promotes harm, surveillance or an unsafe activity."),
            tr("Rejected: spam, advertising or a duplicate submission.")};
}

ReviewPanel::ReviewPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context), m_model(new ReviewModel(this)), m_proxy(new QSortFilterProxyModel(this)),
      m_loader(new ReviewLoader(context, m_model, this)), m_filters(new ReviewFilterBar), m_table(new QTableView),
      m_detail(new QTextBrowser), m_templates(new QComboBox), m_notes(new QPlainTextEdit), m_notesCount(new QLabel),
      m_error(new QLabel), m_info(new QLabel), m_count(new QLabel), m_approveButton(new QPushButton),
      m_rejectButton(new QPushButton)
{
    setObjectName(QStringLiteral("reviewPanel"));
    setFocusProxy(m_table); // showing the panel puts the keyboard on the queue (J/K/C/A/R work at once)
    m_model->setModeratorId(context.admin.moderatorId);
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterKeyColumn(ReviewModel::Agent);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    // The queue: fixed row heights and no resize-to-contents, so 100 000 rows cost nothing to lay out.
    m_table->setObjectName(QStringLiteral("reviewTable"));
    m_table->setModel(m_proxy);
    m_table->setItemDelegateForColumn(ReviewModel::Age, new AgeBadgeDelegate(m_table));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setSortingEnabled(false); // the service's order is the SLA order
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setSectionResizeMode(ReviewModel::Title, QHeaderView::Stretch);
    m_table->setColumnWidth(ReviewModel::Age, 170);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);

    m_detail->setObjectName(QStringLiteral("reviewDetail"));
    m_detail->setOpenLinks(false);
    m_detail->setPlaceholderText(tr("Select an item to see its content, the guardrail results and the agent's history."));

    m_templates->setObjectName(QStringLiteral("reviewTemplates"));
    m_templates->setToolTip(tr("Fill the notes with a reason template"));
    m_templates->addItem(tr("Reason template…"));
    m_templates->addItems(reasonTemplates());
    m_notes->setObjectName(QStringLiteral("reviewNotes"));
    m_notes->setPlaceholderText(tr("Notes for the decision (at least 10 characters; one note for all selected items)"));
    m_notes->setMaximumHeight(90);
    m_notes->setTabChangesFocus(true);
    m_notes->installEventFilter(this);
    m_notesCount->setObjectName(QStringLiteral("reviewNotesCount"));
    m_error->setObjectName(QStringLiteral("reviewError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("QLabel { background: #fdecea; color: #8e1b1b; border: 1px solid #e57373;"
                                          " border-radius: 3px; padding: 4px; }"));
    m_error->hide();
    m_info->setObjectName(QStringLiteral("reviewInfo"));
    m_count->setObjectName(QStringLiteral("reviewCount"));

    // Actions: the shortcuts work anywhere in the panel and show in the menus and tooltips.
    auto *toolbar = new QToolBar;
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    QAction *refresh = addShortcutAction(QStringLiteral("actionReviewRefresh"), tr("Refresh"), {QKeySequence(Qt::Key_F5)},
                                         &ReviewPanel::applyFilters);
    QAction *previous =
        addShortcutAction(QStringLiteral("actionReviewPrevious"), tr("Previous Item"), {QKeySequence(Qt::Key_K)}, nullptr);
    QAction *next = addShortcutAction(QStringLiteral("actionReviewNext"), tr("Next Item"), {QKeySequence(Qt::Key_J)}, nullptr);
    connect(previous, &QAction::triggered, this, [this] { moveCurrent(-1); });
    connect(next, &QAction::triggered, this, [this] { moveCurrent(+1); });
    m_claim = addShortcutAction(QStringLiteral("actionReviewClaim"), tr("Claim"), {QKeySequence(Qt::Key_C)}, &ReviewPanel::claim);
    m_release = addShortcutAction(QStringLiteral("actionReviewRelease"), tr("Release"), {QKeySequence(Qt::Key_Escape)},
                                  &ReviewPanel::release);
    m_approve =
        addShortcutAction(QStringLiteral("actionReviewApprove"), tr("Approve"),
                          {QKeySequence(Qt::Key_A), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A)}, &ReviewPanel::approve);
    m_reject = addShortcutAction(QStringLiteral("actionReviewReject"), tr("Reject"),
                                 {QKeySequence(Qt::Key_R), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R)}, &ReviewPanel::reject);
    QAction *notes = addShortcutAction(QStringLiteral("actionReviewNotes"), tr("Write Notes"), {QKeySequence(Qt::Key_N)},
                                       &ReviewPanel::focusNotes);
    QAction *filters =
        addShortcutAction(QStringLiteral("actionReviewFilters"), tr("Filters"),
                          {QKeySequence(Qt::CTRL | Qt::Key_F), QKeySequence(Qt::Key_Slash)}, &ReviewPanel::focusFilters);
    m_filterAgent =
        addShortcutAction(QStringLiteral("actionReviewFilterAgent"), tr("Only This Agent"), {}, &ReviewPanel::filterByAgent);

    auto *menu = new QMenu(this);
    menu->addActions({m_claim, m_release});
    menu->addSeparator();
    menu->addActions({m_approve, m_reject, notes});
    menu->addSeparator();
    menu->addActions({next, previous, m_filterAgent, filters, refresh});
    auto *menuButton = new QToolButton;
    menuButton->setObjectName(QStringLiteral("reviewActionsMenu"));
    menuButton->setText(tr("Actions"));
    menuButton->setMenu(menu);
    menuButton->setPopupMode(QToolButton::InstantPopup);
    toolbar->addActions({m_claim, m_release, m_approve, m_reject});
    toolbar->addSeparator();
    toolbar->addActions({previous, next, refresh});
    toolbar->addWidget(menuButton);
    connect(m_table, &QWidget::customContextMenuRequested, this,
            [this, menu](const QPoint &pos) { menu->popup(m_table->viewport()->mapToGlobal(pos)); });

    m_approveButton->setObjectName(QStringLiteral("reviewApproveButton"));
    m_rejectButton->setObjectName(QStringLiteral("reviewRejectButton"));
    for (auto [button, action] : {std::pair{m_approveButton, m_approve}, std::pair{m_rejectButton, m_reject}}) {
        button->setText(action->text());
        button->setToolTip(action->toolTip());
        connect(button, &QPushButton::clicked, action, &QAction::trigger);
    }

    // Layout: filters + toolbar / error / queue | detail + decision.
    auto *decision = new QWidget;
    auto *decisionLayout = new QVBoxLayout(decision);
    decisionLayout->setContentsMargins(0, 0, 0, 0);
    auto *decisionRow = new QHBoxLayout;
    decisionRow->addWidget(m_templates, 1);
    decisionRow->addWidget(m_notesCount);
    decisionRow->addWidget(m_rejectButton);
    decisionRow->addWidget(m_approveButton);
    decisionLayout->addWidget(m_notes);
    decisionLayout->addLayout(decisionRow);
    auto *right = new QSplitter(Qt::Vertical);
    right->addWidget(m_detail);
    right->addWidget(decision);
    right->setStretchFactor(0, 1);
    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_table);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *status = new QHBoxLayout;
    status->addWidget(m_count);
    status->addWidget(m_info, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_filters);
    layout->addWidget(toolbar);
    layout->addWidget(m_error);
    layout->addWidget(split, 1);
    layout->addLayout(status);

    connect(m_filters, &ReviewFilterBar::changed, this, &ReviewPanel::applyFilters);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ReviewPanel::currentChanged);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ReviewPanel::updateActions);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &ReviewPanel::updateActions);
    connect(m_loader, &ReviewLoader::pageLoaded, this, &ReviewPanel::onPageLoaded);
    connect(m_loader, &ReviewLoader::pageFailed, this, &ReviewPanel::showError);
    connect(m_loader, &ReviewLoader::detailLoaded, this, &ReviewPanel::onDetailLoaded);
    connect(m_loader, &ReviewLoader::detailFailed, this, [this](const QString &id, const QString &message) {
        if (id == currentItemId())
            m_detail->setPlainText(message);
    });
    connect(m_loader, &ReviewLoader::actionFinished, this, &ReviewPanel::onActionFinished);
    connect(m_templates, &QComboBox::activated, this, [this](int index) {
        if (index <= 0)
            return;
        m_notes->setPlainText(m_templates->itemText(index));
        m_templates->setCurrentIndex(0);
        focusNotes();
    });
    connect(m_notes, &QPlainTextEdit::textChanged, this, [this] {
        const int n = int(m_notes->toPlainText().trimmed().size());
        m_notesCount->setText(tr("%n character(s)", nullptr, n));
        m_notesCount->setStyleSheet(n < 10 ? QStringLiteral("color: #8e1b1b;") : QString());
    });
    Q_EMIT m_notes->textChanged();

    m_ageTimer.setInterval(std::chrono::seconds(30));
    connect(&m_ageTimer, &QTimer::timeout, m_model, &ReviewModel::refreshAges);
    m_ageTimer.start();
    updateActions();
    applyFilters();
}

QAction *ReviewPanel::addShortcutAction(const QString &name, const QString &text, const QList<QKeySequence> &keys,
                                        void (ReviewPanel::*slot)())
{
    auto *action = new QAction(text, this);
    action->setObjectName(name);
    action->setShortcuts(keys);
    action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    if (!keys.isEmpty())
        action->setToolTip(tr("%1 (%2)").arg(text, keys.first().toString(QKeySequence::NativeText)));
    addAction(action);
    if (slot)
        connect(action, &QAction::triggered, this, slot);
    return action;
}

bool ReviewPanel::eventFilter(QObject *watched, QEvent *event)
{
    // Esc in the notes goes back to the queue instead of releasing the claim.
    if (watched == m_notes && (event->type() == QEvent::ShortcutOverride || event->type() == QEvent::KeyPress)
        && static_cast<QKeyEvent *>(event)->key() == Qt::Key_Escape) {
        event->accept();
        if (event->type() == QEvent::KeyPress)
            m_table->setFocus(Qt::ShortcutFocusReason);
        return event->type() == QEvent::KeyPress;
    }
    return QWidget::eventFilter(watched, event);
}

QString ReviewPanel::errorText() const
{
    return m_error->isVisible() || !m_error->isHidden() ? m_error->text() : QString();
}

QString ReviewPanel::currentItemId() const
{
    return m_table->currentIndex().data(ReviewModel::ItemIdRole).toString();
}

void ReviewPanel::applyFilters()
{
    m_autoFetches = 0;
    m_proxy->setFilterFixedString(m_filters->clientAgentFilter());
    m_detailId.clear();
    m_detail->clear();
    showError({});
    m_loader->setQuery(m_filters->query());
    updateCount();
}

void ReviewPanel::selectProxyRow(int row)
{
    if (row < 0 || row >= m_proxy->rowCount())
        return;
    const QModelIndex index = m_proxy->index(row, ReviewModel::Title);
    m_table->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_table->scrollTo(index);
}

void ReviewPanel::moveCurrent(int delta)
{
    const int current = m_table->currentIndex().isValid() ? m_table->currentIndex().row() : -1;
    const int target = current + delta;
    if (target >= m_proxy->rowCount() && m_proxy->canFetchMore({}))
        m_proxy->fetchMore({}); // the next page comes; J again moves on
    selectProxyRow(std::clamp(target, 0, int(m_proxy->rowCount()) - 1));
}

QStringList ReviewPanel::selectedIds() const
{
    QStringList ids;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
        ids << index.data(ReviewModel::ItemIdRole).toString();
    if (ids.isEmpty() && m_table->currentIndex().isValid())
        ids << currentItemId();
    return ids;
}

void ReviewPanel::claim()
{
    if (const QStringList ids = selectedIds(); !ids.isEmpty()) {
        showError({});
        m_loader->run(Action::Claim, ids);
    }
}

void ReviewPanel::release()
{
    if (const QStringList ids = selectedIds(); !ids.isEmpty()) {
        showError({});
        m_loader->run(Action::Release, ids);
    }
}

void ReviewPanel::approve()
{
    decide(Action::Approve);
}

void ReviewPanel::reject()
{
    decide(Action::Reject);
}

void ReviewPanel::decide(Action action)
{
    const QStringList ids = selectedIds();
    if (ids.isEmpty())
        return;
    const QString notes = m_notes->toPlainText().trimmed();
    if (notes.size() < 10) {
        showError(tr("Write a note of at least 10 characters first (N focuses the notes, or pick a reason template)."));
        focusNotes();
        return;
    }
    showError({});
    m_loader->run(action, ids, notes);
}

void ReviewPanel::focusNotes()
{
    m_notes->setFocus(Qt::ShortcutFocusReason);
}

void ReviewPanel::focusFilters()
{
    m_filters->focusFirst();
}

void ReviewPanel::filterByAgent()
{
    if (const auto *item = m_model->itemAt(m_proxy->mapToSource(m_table->currentIndex()).row()))
        m_filters->setAgent(item->agentId);
}

void ReviewPanel::currentChanged()
{
    updateActions();
    const QString id = currentItemId();
    if (id.isEmpty() || id == m_detailId)
        return;
    m_detailId = id;
    m_detail->setPlainText(tr("Loading…"));
    m_loader->loadDetail(id);
}

void ReviewPanel::updateActions()
{
    const auto *item = m_model->itemAt(m_proxy->mapToSource(m_table->currentIndex()).row());
    const int selected = int(m_table->selectionModel()->selectedRows().size());
    const bool pending = item && item->status == u"pending_review";
    const bool mine =
        item && item->claimActive && item->assignedTo.compare(m_context.admin.moderatorId, Qt::CaseInsensitive) == 0;
    m_claim->setEnabled(pending);
    m_release->setEnabled(pending && item->claimActive && (mine || m_context.isAdmin()));
    m_approve->setEnabled(pending);
    m_reject->setEnabled(pending);
    m_filterAgent->setEnabled(item != nullptr);
    m_approveButton->setEnabled(pending);
    m_rejectButton->setEnabled(pending);
    m_approveButton->setText(selected > 1 ? tr("Approve %n Items", nullptr, selected) : m_approve->text());
    m_rejectButton->setText(selected > 1 ? tr("Reject %n Items", nullptr, selected) : m_reject->text());
}

void ReviewPanel::onPageLoaded()
{
    updateCount();
    // A name filter is applied to the loaded rows: fetch a few more pages until some match.
    if (!m_proxy->filterRegularExpression().pattern().isEmpty() && m_proxy->rowCount() < 50 && m_model->canFetchMore({})
        && m_autoFetches++ < 20)
        m_model->fetchMore({});
    if (!m_table->currentIndex().isValid() && m_proxy->rowCount() > 0 && m_table->isVisible())
        selectProxyRow(0);
}

void ReviewPanel::onActionFinished(const ReviewLoader::Outcome &outcome)
{
    const bool decided = outcome.action == Action::Approve || outcome.action == Action::Reject;
    const int currentRow = m_table->currentIndex().row();
    for (const moderation::FlaggedItem &item : outcome.updated) {
        if (decided && m_loader->query().status == u"pending_review")
            m_model->removeItem(item.id); // out of the queue; the row below becomes current
        else if (decided)
            m_loader->loadDetail(item.id);
        else
            m_model->updateItem(item);
    }
    if (decided && !outcome.updated.isEmpty()) {
        m_notes->clear();
        m_detailId.clear();
        m_table->selectionModel()->clearSelection();
        selectProxyRow(std::min(currentRow, int(m_proxy->rowCount()) - 1));
        currentChanged();
    } else if (!outcome.updated.isEmpty() && outcome.updated.first().id == currentItemId()) {
        m_loader->loadDetail(currentItemId()); // the claim shows in the detail's audit trail
    }
    const int done = int(outcome.updated.size());
    switch (outcome.action) {
    case Action::Claim:
        showInfo(tr("Claimed %n item(s).", nullptr, done));
        break;
    case Action::Release:
        showInfo(tr("Released %n item(s).", nullptr, done));
        break;
    case Action::Approve:
        showInfo(tr("Approved %n item(s): the content is published.", nullptr, done));
        break;
    case Action::Reject:
        showInfo(tr("Rejected %n item(s).", nullptr, done));
        break;
    }
    if (!outcome.errors.isEmpty()) {
        const QString first = ReviewLoader::describe(outcome.action, outcome.errors.first().second);
        showError(outcome.errors.size() == 1
                      ? first
                      : tr("%n item(s) failed. First error: %1", nullptr, int(outcome.errors.size())).arg(first));
        for (const auto &failure : outcome.errors)
            if (failure.first == currentItemId())
                m_loader->loadDetail(failure.first); // show who holds it / what changed
    }
    updateCount();
    updateActions();
}

void ReviewPanel::onDetailLoaded(const moderation::FlaggedDetail &detail)
{
    if (detail.item.id != currentItemId())
        return;
    m_detail->setHtml(ReviewDetailHtml::render(detail));
}

void ReviewPanel::showError(const QString &message)
{
    m_error->setText(message);
    m_error->setVisible(!message.isEmpty());
}

void ReviewPanel::showInfo(const QString &message)
{
    m_info->setText(message);
}

void ReviewPanel::updateCount()
{
    const int loaded = m_model->rowCount();
    const QString shown = m_proxy->rowCount() == loaded
                              ? tr("%n item(s) loaded", nullptr, loaded)
                              : tr("%1 of %n item(s) loaded match the agent filter", nullptr, loaded).arg(m_proxy->rowCount());
    m_count->setText(m_model->hasMore() ? tr("%1; more load as you scroll").arg(shown) : shown);
}

} // namespace bw::ui
