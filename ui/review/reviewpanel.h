#pragma once
// The moderators' review queue (guardrails.md "Human review"): filters, the paged queue table with
// SLA age badges, the selected item's detail, and claim / release / approve / reject (also in bulk)
// with notes and reason templates, all keyboard-driven. GUI thread; every service call goes
// through ReviewLoader (the DbWorker thread).

#include "ui/common/consolecontext.h"
#include "ui/review/reviewloader.h"

#include <QTimer>
#include <QWidget>

class QAction;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTextBrowser;

namespace bw::ui {

class ReviewFilterBar;
class ReviewModel;

class ReviewPanel final : public QWidget {
    Q_OBJECT
public:
    explicit ReviewPanel(const ConsoleContext &context, QWidget *parent = nullptr);

    ReviewModel *model() const { return m_model; }
    ReviewLoader *loader() const { return m_loader; }
    QTableView *table() const { return m_table; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    QString errorText() const;
    QString currentItemId() const;

    // Reason templates offered for notes (what a moderator most often writes).
    static QStringList reasonTemplates();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QAction *addShortcutAction(const QString &name, const QString &text, const QList<QKeySequence> &keys,
                               void (ReviewPanel::*slot)());
    void applyFilters();
    void moveCurrent(int delta);
    void selectProxyRow(int row);
    QStringList selectedIds() const;
    void claim();
    void release();
    void approve();
    void reject();
    void decide(ReviewLoader::Action action);
    void focusNotes();
    void focusFilters();
    void filterByAgent();
    void currentChanged();
    void updateActions();
    void onPageLoaded();
    void onActionFinished(const ReviewLoader::Outcome &outcome);
    void onDetailLoaded(const moderation::FlaggedDetail &detail);
    void showError(const QString &message);
    void showInfo(const QString &message);
    void updateCount();

    ConsoleContext m_context;
    ReviewModel *m_model;
    QSortFilterProxyModel *m_proxy;
    ReviewLoader *m_loader;
    ReviewFilterBar *m_filters;
    QTableView *m_table;
    QTextBrowser *m_detail;
    QComboBox *m_templates;
    QPlainTextEdit *m_notes;
    QLabel *m_notesCount;
    QLabel *m_error;
    QLabel *m_info;
    QLabel *m_count;
    QPushButton *m_approveButton;
    QPushButton *m_rejectButton;
    QAction *m_claim = nullptr;
    QAction *m_release = nullptr;
    QAction *m_approve = nullptr;
    QAction *m_reject = nullptr;
    QAction *m_filterAgent = nullptr;
    QTimer m_ageTimer;
    QString m_detailId;    // the item the detail pane shows
    int m_autoFetches = 0; // pages fetched to fill a client-side filter
};

} // namespace bw::ui
