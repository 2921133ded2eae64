#pragma once
// One parsed line of the structured log (server/core/logging.h writes JSON lines). Plain value:
// made on the tail thread, handed to the GUI thread in batches.

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

namespace bw::ui {

struct LogEntry {
    QDateTime time;
    QString level; // debug | info | warning | error | fatal (or "raw" for a line that is not JSON)
    QString category;
    QString message;
    QString requestId;
    QString agentId;
    QString fields; // compact JSON of "fields", "" when none
    QString raw;    // the line as written

    // 0 debug, 1 info, 2 warning, 3 error/fatal; raw lines count as info.
    int levelRank() const;
    static LogEntry parse(const QByteArray &line);
};

using LogEntries = QList<LogEntry>;

} // namespace bw::ui

Q_DECLARE_METATYPE(bw::ui::LogEntries)
