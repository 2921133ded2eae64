#pragma once
// SIGINT/SIGTERM → a Qt signal in the main thread (self-pipe + QSocketNotifier), so shutdown runs
// as ordinary event-loop work. A second signal while shutting down exits at once.

#include <QObject>

namespace bw::app {

class ShutdownSignals final : public QObject {
    Q_OBJECT
public:
    explicit ShutdownSignals(QObject *parent = nullptr);
    ~ShutdownSignals() override;

Q_SIGNALS:
    void shutdownRequested(int signalNumber);
};

} // namespace bw::app
