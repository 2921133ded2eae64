#pragma once
// The Logs page: a live tail of this node's structured log file (<data dir>/logs/betterworld.log)
// with level, category, text and request-id filters and a detail pane with the full JSON line.
// The file is read and parsed on the panel's own tail thread (LogTailer); the model keeps the
// newest lines only. GUI thread.

#include "ui/common/consolecontext.h"
#include "ui/logs/logentry.h"

#include <QThread>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTableView;

namespace bw::ui {

class LogFilterModel;
class LogModel;
class LogTailer;

class LogsPanel final : public QWidget {
    Q_OBJECT
public:
    explicit LogsPanel(const ConsoleContext &context, QWidget *parent = nullptr, int capacity = 20000);
    ~LogsPanel() override; // stops the tail thread (bounded by one poll)

    // Follows another file (tests; the default is the node's log file).
    void setLogFile(const QString &path, int pollMs = 250);
    QString logFile() const { return m_path; }

    LogModel *model() const { return m_model; }
    LogFilterModel *filter() const { return m_filter; }
    QTableView *view() const { return m_view; }
    void setMinimumLevel(int rank);
    void setCategory(const QString &category);
    void setText(const QString &text);
    void setRequestId(const QString &id);

private:
    void appendBatch(const LogEntries &batch);
    void showSelected();
    void updateCount();

    QString m_path;
    QThread m_thread;
    LogTailer *m_tailer;
    LogModel *m_model;
    LogFilterModel *m_filter;
    QTableView *m_view;
    QComboBox *m_level;
    QComboBox *m_category;
    QLineEdit *m_text;
    QLineEdit *m_requestId;
    QCheckBox *m_follow;
    QLabel *m_count;
    QLabel *m_status;
    QPlainTextEdit *m_detail;
};

} // namespace bw::ui
