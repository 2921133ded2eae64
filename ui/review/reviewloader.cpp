#include "ui/review/reviewloader.h"

#include "server/moderation/reviewservice.h"
#include "ui/common/dbworker.h"
#include "ui/review/reviewmodel.h"

#include <QLocale>

namespace bw::ui {

using moderation::FlaggedDetail;
using moderation::FlaggedItem;
using moderation::FlaggedPage;
using moderation::FlaggedQuery;
using moderation::ReviewService;

ReviewLoader::ReviewLoader(const ConsoleContext &context, ReviewModel *model, QObject *parent)
    : QObject(parent), m_context(context), m_worker(context.worker), m_model(model)
{
    m_query.limit = kPageSize;
    connect(m_model, &ReviewModel::moreRequested, this, &ReviewLoader::fetchPage);
}

void ReviewLoader::setQuery(const FlaggedQuery &query)
{
    m_query = query;
    m_query.limit = kPageSize;
    m_query.cursor.clear();
    m_nextCursor.clear();
    ++m_generation; // pages of the previous query are dropped on arrival
    m_model->reset(true);
    m_model->fetchMore({});
}

void ReviewLoader::fetchPage()
{
    if (!m_worker || !m_context.reviews) {
        m_model->setFetchFailed();
        Q_EMIT pageFailed(tr("The server is not running."));
        return;
    }
    FlaggedQuery query = m_query;
    query.cursor = m_nextCursor;
    ReviewService *reviews = m_context.reviews;
    const moderation::AdminCaller actor = m_context.admin;
    const int generation = m_generation;
    m_worker->submit(
        this, [reviews, actor, query]() { return reviews->list(actor, query); },
        [this, generation](const Result<FlaggedPage> &page) {
            if (generation != m_generation)
                return;
            if (!page) {
                m_model->setFetchFailed();
                Q_EMIT pageFailed(describe(Action::Claim, page.error()));
                return;
            }
            m_nextCursor = page->nextCursor;
            m_model->appendPage(page->items, page->hasMore);
            Q_EMIT pageLoaded(int(page->items.size()), page->hasMore);
        });
}

void ReviewLoader::loadDetail(const QString &id)
{
    if (!m_detailInFlight.isEmpty()) {
        m_detailQueued = id; // a burst of J/K presses loads only the item the moderator stops on
        return;
    }
    submitDetail(id);
}

void ReviewLoader::submitDetail(const QString &id)
{
    if (!m_worker || !m_context.reviews || id.isEmpty())
        return;
    m_detailInFlight = id;
    ReviewService *reviews = m_context.reviews;
    const moderation::AdminCaller actor = m_context.admin;
    m_worker->submit(
        this, [reviews, actor, id]() { return reviews->detail(actor, id); },
        [this, id](const Result<FlaggedDetail> &detail) {
            m_detailInFlight.clear();
            const QString queued = std::exchange(m_detailQueued, QString());
            if (!queued.isEmpty() && queued != id) {
                submitDetail(queued);
                return;
            }
            if (!detail) {
                Q_EMIT detailFailed(id, describe(Action::Claim, detail.error()));
                return;
            }
            m_model->updateItem(detail->item);
            Q_EMIT detailLoaded(*detail);
        });
}

void ReviewLoader::run(Action action, const QStringList &ids, const QString &notes)
{
    if (!m_worker || !m_context.reviews || ids.isEmpty())
        return;
    ReviewService *reviews = m_context.reviews;
    const moderation::AdminCaller actor = m_context.admin;
    ++m_actionsInFlight;
    m_worker->submit(
        this,
        [reviews, actor, action, ids, notes]() {
            Outcome out;
            out.action = action;
            const auto collect = [&](const QString &id, const Result<FlaggedItem> &r) {
                if (r)
                    out.updated << *r;
                else
                    out.errors << qMakePair(id, r.error());
            };
            if (action == Action::Claim || action == Action::Release) {
                for (const QString &id : ids)
                    collect(id, action == Action::Claim ? reviews->claim(actor, id) : reviews->release(actor, id));
                return out;
            }
            const QString decision = action == Action::Approve ? QStringLiteral("approve") : QStringLiteral("reject");
            auto made = moderation::ReviewDecision::make(decision, notes);
            if (!made) {
                for (const QString &id : ids)
                    out.errors << qMakePair(id, made.error());
                return out;
            }
            if (ids.size() == 1) {
                collect(ids.first(), reviews->review(actor, ids.first(), *made));
                return out;
            }
            // Bulk: one note for all, each item in its own transaction.
            const QList<moderation::BulkOutcome> outcomes = reviews->reviewMany(actor, ids, *made);
            for (const moderation::BulkOutcome &o : outcomes) {
                if (o.error) {
                    out.errors << qMakePair(o.id, *o.error);
                } else {
                    FlaggedItem decided;
                    decided.id = o.id;
                    decided.status = action == Action::Approve ? QStringLiteral("approved") : QStringLiteral("rejected");
                    decided.decision = decision;
                    out.updated << decided;
                }
            }
            return out;
        },
        [this](const Outcome &outcome) {
            --m_actionsInFlight;
            Q_EMIT actionFinished(outcome);
        });
}

QString ReviewLoader::describe(Action action, const ApiError &error)
{
    QString text;
    switch (error.kind) {
    case ErrorKind::AlreadyClaimed: {
        const QDateTime until =
            QDateTime::fromString(error.details.value(QStringLiteral("claimExpiresAt")).toString(), Qt::ISODateWithMs);
        text = until.isValid() ? tr("Another moderator has claimed this item until %1.")
                                     .arg(QLocale().toString(until.toLocalTime().time(), QLocale::ShortFormat))
                               : tr("Another moderator has claimed this item.");
        break;
    }
    case ErrorKind::Conflict:
        text = action == Action::Release && !error.message.contains(QStringLiteral("decided"))
                   ? tr("This item is not claimed.")
                   : tr("This item was already decided by someone else.");
        break;
    case ErrorKind::Forbidden:
        if (action == Action::Release)
            text = tr("Only the claimant or an administrator can release this claim.");
        else if (error.message.contains(QStringLiteral("expired")))
            text = tr("Your claim on this item expired. Claim it again (C).");
        else if (error.message.contains(QStringLiteral("another moderator")))
            text = tr("Another moderator holds the claim on this item.");
        else if (error.message.contains(QStringLiteral("Claim the")))
            text = tr("Claim the item (C) before deciding it.");
        else
            text = tr("You are not allowed to do this.");
        break;
    case ErrorKind::Validation:
        text = tr("Notes must be 10 to 2000 characters.");
        break;
    case ErrorKind::NotFound:
        text = tr("This item no longer exists.");
        break;
    case ErrorKind::ServiceUnavailable:
        text = tr("The server is unavailable: %1").arg(error.message);
        break;
    default:
        text = tr("The server could not do this: %1").arg(error.message);
        break;
    }
    return tr("%1 (%2 %3)").arg(text).arg(error.status()).arg(error.code());
}

} // namespace bw::ui
