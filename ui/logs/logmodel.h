#pragma once
// The Logs page's models: LogModel keeps the newest `capacity` lines (older ones fall off the
// top, so memory stays bounded however long the console runs) and LogFilterModel filters them by
// minimum level, category, text and request id. GUI thread.

#include "ui/logs/logentry.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

#include <deque>

namespace bw::ui {

class LogModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Time, Level, Category, Message, RequestId, ColumnCount };
    enum Role { RawLineRole = Qt::UserRole + 1, LevelRankRole, RequestIdRole, FieldsRole };

    explicit LogModel(int capacity = 20000, QObject *parent = nullptr);

    void append(const LogEntries &batch);
    void clear();
    int capacity() const { return m_capacity; }
    const LogEntry &entry(int row) const { return m_entries[size_t(row)]; }
    QStringList categories() const; // seen so far, sorted

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void categoriesChanged();

private:
    const int m_capacity;
    std::deque<LogEntry> m_entries;
    QStringList m_categories;
};

class LogFilterModel final : public QSortFilterProxyModel {
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    void setMinimumLevel(int rank);            // 0 debug … 3 error
    void setCategory(const QString &category); // "" = all; else prefix match (bw.http matches bw.http.access)
    void setText(const QString &text);         // case-insensitive, in message, fields and ids
    void setRequestId(const QString &id);      // "" = all; else the line's requestId contains it

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    int m_minLevel = 0;
    QString m_category, m_text, m_requestId;
};

} // namespace bw::ui
