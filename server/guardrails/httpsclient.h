#pragma once
// A small blocking HTTP/1.1 POST client (Boost.Beast, TLS through OpenSSL with peer and host
// name verification) for the classifier providers. Blocks the calling thread — a job worker, never
// an I/O or GUI thread — for at most timeoutMs, DNS, connect, TLS and answer included. Any thread;
// each call is independent (one connection per call).

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace bw::guardrails {

struct HttpPost {
    QString url;                                  // http:// or https://
    QList<QPair<QByteArray, QByteArray>> headers; // besides Host, Content-Type, Content-Length
    QByteArray body;                              // sent as application/json
    int timeoutMs = 20000;
    qint64 maxResponseBytes = 4 * 1024 * 1024;
};

struct HttpAnswer {
    int status = 0; // 0 when no answer arrived
    QByteArray body;
    QByteArray retryAfter; // the Retry-After header, if any
    bool timedOut = false;
    QString error; // transport failure (DNS, connect, TLS, parse, timeout); "" when answered
    bool answered() const { return error.isEmpty(); }
};

HttpAnswer postJson(const HttpPost &request);

} // namespace bw::guardrails
