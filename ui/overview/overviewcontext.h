#pragma once
// What the composition root tells the UI once the server is up. Plain value; the pointers are
// owned by the app and must outlive the MainWindow (app::addDatabaseServices fills the database part).

#include <QDateTime>
#include <QString>

#include <functional>
#include <memory>

namespace bw {
class MetricsRegistry;
namespace ops {
class InstanceStatusService;
}
} // namespace bw

namespace bw::ui {

struct OverviewContext {
    // Both empty until the database is ready. The instance facts are read on the window's
    // DbWorker thread, which runs releaseThreadConnection as it ends.
    std::shared_ptr<const bw::ops::InstanceStatusService> instanceStatus;
    std::function<void()> releaseThreadConnection;
    const bw::MetricsRegistry *metrics = nullptr;
    QString listenAddress; // "127.0.0.1:4000"
    bool embeddedDatabase = true;
    QString databaseDescription; // e.g. "embedded (/path)" or redacted URL
    QDateTime startedAt;
};

} // namespace bw::ui
