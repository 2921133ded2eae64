#pragma once
// Runs the review queue's service calls (ReviewService list/detail/claim/release/review) on the
// console's DbWorker thread and hands results back on the GUI thread: keyset pages into the
// ReviewModel, details and action outcomes as signals. Lives on the GUI thread.

#include "server/moderation/flaggeditem.h"
#include "ui/common/consolecontext.h"

#include <QObject>
#include <QPointer>
#include <QStringList>

namespace bw::ui {

class DbWorker;
class ReviewModel;

class ReviewLoader final : public QObject {
    Q_OBJECT
public:
    enum class Action { Claim, Release, Approve, Reject };

    // One action over one or more items: the items as they are now, and per-item errors.
    struct Outcome {
        Action action = Action::Claim;
        QList<moderation::FlaggedItem> updated;
        QList<QPair<QString, ApiError>> errors; // item id → why it failed
    };

    static constexpr int kPageSize = 100; // the service's maximum

    ReviewLoader(const ConsoleContext &context, ReviewModel *model, QObject *parent = nullptr);

    void setQuery(const moderation::FlaggedQuery &query); // resets the model and loads page 1
    void reload() { setQuery(m_query); }
    const moderation::FlaggedQuery &query() const { return m_query; }

    void loadDetail(const QString &id); // latest request wins; → detailLoaded / detailFailed
    void run(Action action, const QStringList &ids, const QString &notes = {});
    bool isBusy() const { return m_actionsInFlight > 0; }

    // User-facing text for a failed action (tr(), with the HTTP status and code).
    static QString describe(Action action, const ApiError &error);

Q_SIGNALS:
    void pageLoaded(int rows, bool hasMore);
    void pageFailed(const QString &message);
    void detailLoaded(const bw::moderation::FlaggedDetail &detail);
    void detailFailed(const QString &id, const QString &message);
    void actionFinished(const bw::ui::ReviewLoader::Outcome &outcome);

private:
    void fetchPage();
    void submitDetail(const QString &id);

    ConsoleContext m_context;
    QPointer<DbWorker> m_worker;
    ReviewModel *m_model;
    moderation::FlaggedQuery m_query;
    QString m_nextCursor;
    int m_generation = 0;
    QString m_detailInFlight;
    QString m_detailQueued;
    int m_actionsInFlight = 0;
};

} // namespace bw::ui
