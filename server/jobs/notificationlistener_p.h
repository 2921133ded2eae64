#pragma once
// Private to bw_jobs: LISTENs on the queue channel over a dedicated libpq connection in its own
// thread and wakes the named queue's workers. Reconnects with backoff; after every (re)connect it
// wakes every queue (notifications sent while disconnected are lost; the workers' ≤ 1 s poll
// covers the gap too). Owned by JobSystem (main thread); the loop runs on its own thread.

#include "server/db/connectionsettings.h"
#include "server/jobs/jobscore_p.h"

#include <memory>

namespace bw::jobs::detail {

class NotificationListener final {
public:
    NotificationListener(std::shared_ptr<Core> core, db::ConnectionSettings settings);
    ~NotificationListener();

    void start();
    // Asks the loop to end (wakes its poll() at once) and waits up to timeoutMs.
    bool stop(int timeoutMs);
    // True while LISTEN is active (tests and the health panel).
    bool listening() const;

private:
    struct Shared;
    std::shared_ptr<Shared> m_shared;
    ManagedThread m_thread;
};

} // namespace bw::jobs::detail
