#pragma once
// The agent-facing HTTP/1.1 server on Boost.Beast: keep-alive, in-order pipelining, header/body
// limits (431/413), header/idle/body timeouts, graceful drain. Owns N I/O threads; every parsed
// request goes to the Pipeline. Beast types stay in server.cpp (pimpl) to keep builds fast.

#include "server/core/config.h"

#include <memory>

namespace bw {
class MetricsRegistry;
}

namespace bw::http {

class Pipeline;

class HttpServer final {
public:
    HttpServer(const Config &config, Pipeline &pipeline, MetricsRegistry *metrics);
    ~HttpServer();

    // Binds, listens and starts the I/O threads. Port 0 picks a free port (see port()).
    Status start();
    quint16 port() const;
    int activeConnections() const;
    // Stops accepting, closes idle keep-alive connections, lets in-flight requests finish and
    // answers them with "Connection: close", then stops the I/O threads. Blocking (up to
    // timeoutMs): never call it on the GUI thread. Returns false when connections had to be cut.
    bool shutdown(int timeoutMs);

    struct Impl; // public so the connection sessions in server.cpp can refer to it

private:
    std::shared_ptr<Impl> d;
};

} // namespace bw::http
