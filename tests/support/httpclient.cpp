#include "httpclient.h"

#include <QJsonDocument>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bw::test {

QJsonObject HttpReply::json() const
{
    return QJsonDocument::fromJson(body).object();
}

HttpConnection::HttpConnection(quint16 port, const char *host)
{
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, host, &addr.sin_addr);
    if (::connect(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        ::close(m_fd);
        m_fd = -1;
        return;
    }
    int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

HttpConnection::~HttpConnection()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

bool HttpConnection::send(const QByteArray &bytes)
{
    qsizetype sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(m_fd, bytes.constData() + sent, size_t(bytes.size() - sent), MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        sent += n;
    }
    return true;
}

bool HttpConnection::fill(int timeoutMs)
{
    pollfd p{m_fd, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) <= 0)
        return false;
    char chunk[65536];
    const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
    if (n <= 0)
        return false;
    m_buffer.append(chunk, n);
    return true;
}

std::optional<HttpReply> HttpConnection::read(int timeoutMs, bool headOnly)
{
    if (m_fd < 0)
        return std::nullopt;
    qsizetype end;
    while ((end = m_buffer.indexOf("\r\n\r\n")) < 0)
        if (!fill(timeoutMs))
            return std::nullopt;
    HttpReply reply;
    const QList<QByteArray> lines = m_buffer.left(end).split('\n');
    m_buffer.remove(0, end + 4);
    const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
    reply.status = statusLine.value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon > 0)
            reply.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
    }
    if (headOnly || reply.status == 100 || reply.status == 204 || reply.status == 304)
        return reply;
    if (reply.header("transfer-encoding").toLower().contains("chunked")) {
        for (;;) {
            qsizetype lineEnd;
            while ((lineEnd = m_buffer.indexOf("\r\n")) < 0)
                if (!fill(timeoutMs))
                    return std::nullopt;
            const qsizetype size = m_buffer.left(lineEnd).trimmed().toLongLong(nullptr, 16);
            while (m_buffer.size() < lineEnd + 2 + size + 2)
                if (!fill(timeoutMs))
                    return std::nullopt;
            reply.body += m_buffer.mid(lineEnd + 2, size);
            m_buffer.remove(0, lineEnd + 2 + size + 2);
            if (size == 0)
                return reply;
        }
    }
    const qsizetype length = reply.header("content-length").toLongLong();
    while (m_buffer.size() < length)
        if (!fill(timeoutMs))
            return std::nullopt;
    reply.body = m_buffer.left(length);
    m_buffer.remove(0, length);
    return reply;
}

bool HttpConnection::waitForClose(int timeoutMs)
{
    if (m_fd < 0)
        return true;
    for (;;) {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, timeoutMs) <= 0)
            return false;
        char chunk[4096];
        const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            return true;
        m_buffer.append(chunk, n); // a final response before close is fine
    }
}

std::optional<HttpReply> HttpConnection::request(const QByteArray &method, const QByteArray &target, const QByteArray &body,
                                                 const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QByteArray raw = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    bool hasType = false;
    for (const auto &[name, value] : headers) {
        raw += name + ": " + value + "\r\n";
        hasType |= name.toLower() == "content-type";
    }
    if (!body.isEmpty() || method == "POST" || method == "PATCH" || method == "PUT") {
        if (!hasType)
            raw += "Content-Type: application/json\r\n";
        raw += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    }
    raw += "\r\n" + body;
    if (!send(raw))
        return std::nullopt;
    return read(10000, method == "HEAD");
}

HttpReply httpRequest(quint16 port, const QByteArray &method, const QByteArray &target, const QByteArray &body,
                      const QList<QPair<QByteArray, QByteArray>> &headers)
{
    HttpConnection c(port);
    auto reply = c.request(method, target, body, headers);
    return reply ? *reply : HttpReply{};
}

QByteArray bearer(const QString &apiKey)
{
    return "Bearer " + apiKey.toLatin1();
}

} // namespace bw::test
