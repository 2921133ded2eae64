#pragma once
// A tiny real HTTP/1.1 server for the monitoring tests (webhook receiver, /health endpoint): its own
// thread with its own event loop, so code under test may block on it from any thread. Records each
// request (method, path, body); answers every request with status() and a small JSON body.

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QThread>

#include <atomic>

namespace bw::test {

class LocalHttpServer final : public QThread {
public:
    struct Request {
        QByteArray method, path, body;
    };

    LocalHttpServer();
    ~LocalHttpServer() override; // quits the loop and joins

    bool startServing(); // listens on 127.0.0.1:0; false on failure
    quint16 port() const { return m_port.load(); }
    void setStatus(int status) { m_status = status; }
    QList<Request> requests() const;

protected:
    void run() override;

private:
    std::atomic<quint16> m_port{0};
    std::atomic_int m_status{200};
    std::atomic_bool m_failed{false};
    mutable QMutex m_mutex;
    QList<Request> m_requests;
};

} // namespace bw::test
