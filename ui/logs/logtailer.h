#pragma once
// Follows the rotating JSON log file (betterworld.log, rotated to .1, .2 …) like `tail -F`: on
// start it reads the last initialBytes, then polls for appended bytes, notices rotation
// (inode change) and truncation, and emits parsed lines in batches. Lives on its own thread
// (moveToThread): file I/O and JSON parsing never touch the GUI thread. Call its slots through
// queued connections / QMetaObject::invokeMethod.

#include "ui/logs/logentry.h"

#include <QByteArray>
#include <QFile>
#include <QObject>
#include <QTimer>

namespace bw::ui {

class LogTailer final : public QObject {
    Q_OBJECT
public:
    explicit LogTailer(QObject *parent = nullptr);

    // Tail-thread slots.
    Q_INVOKABLE void follow(const QString &path, qint64 initialBytes, int pollMs);
    Q_INVOKABLE void stop();

Q_SIGNALS:
    void entries(const bw::ui::LogEntries &batch);
    void status(const QString &message); // file missing / reopened

private:
    void poll();
    bool reopen(bool fromEnd);
    void readAvailable();

    QString m_path;
    QFile m_file;
    quint64 m_inode = 0;
    qint64 m_offset = 0;
    qint64 m_initialBytes = 0;
    QByteArray m_partial;
    QTimer *m_timer = nullptr;
    bool m_missingReported = false;
};

} // namespace bw::ui
