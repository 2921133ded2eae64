#pragma once
// The review queue as a table: flagged items in the service's order (oldest first), appended a
// keyset page at a time. fetchMore() only asks for the next page (moreRequested); the
// ReviewLoader fetches it off the GUI thread and calls appendPage(). GUI thread.

#include "server/moderation/flaggeditem.h"

#include <QAbstractTableModel>
#include <QList>

#include <memory>
#include <vector>

namespace bw::ui {

class ReviewModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Age, Type, Title, Agent, Tier, Domain, Score, ClaimedBy, Status, ColumnCount };
    enum Role {
        ItemIdRole = Qt::UserRole + 1,
        AgeBadgeRole,    // new | normal | attention | overdue (FlaggedItem::ageBadgeFor)
        AgeSecondsRole,  // qint64, as of now
        ClaimActiveRole, // bool
        ClaimedByMeRole, // bool: an active claim of the signed-in moderator
    };

    explicit ReviewModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    void setModeratorId(const QString &moderatorId);
    // Empties the model; hasMore says whether a first page is expected.
    void reset(bool hasMore);
    void appendPage(const QList<moderation::FlaggedItem> &items, bool hasMore);
    void setFetchFailed(); // the in-flight page failed: allow fetchMore() again
    bool isFetching() const { return m_fetching; }
    bool hasMore() const { return m_hasMore; }

    // Replaces the row with the same id (no-op when not loaded); returns its row or -1.
    int updateItem(const moderation::FlaggedItem &item);
    bool removeItem(const QString &id);
    int rowOfId(const QString &id) const;
    const moderation::FlaggedItem *itemAt(int row) const;
    // Age columns move on with the clock: call every minute or so.
    void refreshAges();

    static QString formatAge(qint64 seconds);
    static QString badgeLabel(const QString &badge);
    static QString typeLabel(const QString &contentType);

Q_SIGNALS:
    void moreRequested();

private:
    qint64 ageOf(int row) const;

    struct Row {
        moderation::FlaggedItem item;
        qint64 createdLocalMs = 0; // created_at on the local clock: now − ageSeconds at load time
    };
    // Rows by pointer: growing or removing from 100 000 rows moves pointers, never FlaggedItems
    // (a QList<FlaggedItem> reallocation took > 100 ms at 80 000 rows).
    std::vector<std::unique_ptr<Row>> m_rows;
    QString m_moderatorId;
    bool m_hasMore = false;
    bool m_fetching = false;
};

} // namespace bw::ui
