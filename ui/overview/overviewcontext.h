#pragma once
// What the composition root tells the UI once the server is up. Plain value; the pointers are
// owned by the app and must outlive the MainWindow.

#include <QDateTime>
#include <QString>

namespace bw {
class MetricsRegistry;
namespace db {
class Database;
}
} // namespace bw

namespace bw::ui {

struct OverviewContext {
    bw::db::Database *database = nullptr;            // may be null until the database is ready
    const bw::MetricsRegistry *metrics = nullptr;
    QString listenAddress;                           // "127.0.0.1:4000"
    bool embeddedDatabase = true;
    QString databaseDescription;                     // e.g. "embedded (/path)" or redacted URL
    QDateTime startedAt;
};

} // namespace bw::ui
