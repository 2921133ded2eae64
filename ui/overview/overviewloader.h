#pragma once
// Gathers the Overview's numbers and publishes them as OverviewSnapshot values. Lives on the GUI
// thread: samples MetricsRegistry (lock-only reads, no I/O) once a second and asks the DbWorker
// thread for counts every few seconds. Never runs SQL or waits itself.

#include "ui/overview/overviewcontext.h"
#include "ui/overview/overviewsnapshot.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <optional>

namespace bw::ui {

class DbWorker;

class OverviewLoader final : public QObject {
    Q_OBJECT
public:
    explicit OverviewLoader(QObject *parent = nullptr);

    void setSampleInterval(std::chrono::milliseconds interval); // metrics; default 1 s
    void setCountInterval(std::chrono::milliseconds interval);  // database facts; default 5 s

    void setStarting(const QString &message);
    // Starts polling. worker may be null (no database yet): database rows stay unknown.
    void start(const OverviewContext &context, DbWorker *worker);
    void setStopping(const QString &message); // stops polling, keeps the last numbers
    void setFailed(const QString &message);   // likewise

    const OverviewSnapshot &snapshot() const { return m_snapshot; }

    // Result of one database poll; public so the closure's value type can be named.
    struct DatabaseFacts {
        QString error;
        QString version;
        qint64 sizeBytes = 0;
        qint64 agents = 0;
        qint64 problems = 0;
    };

Q_SIGNALS:
    void snapshotChanged(const bw::ui::OverviewSnapshot &snapshot);
    void rateSampled(const QDateTime &time, double requestsPerSecond);

private:
    void sampleMetrics();
    void pollDatabase();
    void applyDatabaseFacts(const DatabaseFacts &facts);
    void stopPolling(ServerState state, const QString &message);
    void publish();

    OverviewContext m_context;
    QPointer<DbWorker> m_worker;
    OverviewSnapshot m_snapshot;
    QTimer m_sampleTimer;
    QTimer m_countTimer;
    QElapsedTimer m_sinceLastSample;
    std::optional<double> m_lastRequestTotal;
    bool m_pollInFlight = false;
};

} // namespace bw::ui
