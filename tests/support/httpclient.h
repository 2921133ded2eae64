#pragma once
// A deliberately small blocking HTTP/1.1 client over POSIX sockets for black-box API tests: it can
// send exactly the bytes a test wants (pipelining, slow headers, oversized bodies) and read the
// answers back one by one. Test thread only.

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace bw::test {

struct HttpReply {
    int status = 0;
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;
    QByteArray header(const QByteArray &name) const { return headers.value(name.toLower()); }
    QJsonObject json() const; // the body as an object ({} when not JSON)
};

class HttpConnection final {
public:
    explicit HttpConnection(quint16 port, const char *host = "127.0.0.1");
    ~HttpConnection();
    HttpConnection(const HttpConnection &) = delete;
    HttpConnection &operator=(const HttpConnection &) = delete;

    bool isConnected() const { return m_fd >= 0; }
    bool send(const QByteArray &bytes);
    // Reads one response (Content-Length or chunked). headOnly: no body expected (HEAD).
    std::optional<HttpReply> read(int timeoutMs = 5000, bool headOnly = false);
    // True when the server closes the connection within timeoutMs (EOF or reset).
    bool waitForClose(int timeoutMs);

    std::optional<HttpReply> request(const QByteArray &method, const QByteArray &target, const QByteArray &body = {},
                                     const QList<QPair<QByteArray, QByteArray>> &headers = {});

private:
    bool fill(int timeoutMs);
    int m_fd = -1;
    QByteArray m_buffer;
};

// One request on a fresh connection.
HttpReply httpRequest(quint16 port, const QByteArray &method, const QByteArray &target, const QByteArray &body = {},
                      const QList<QPair<QByteArray, QByteArray>> &headers = {});

QByteArray bearer(const QString &apiKey);

} // namespace bw::test
