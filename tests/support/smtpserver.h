#pragma once
// A real, small SMTP server for tests (RFC 5321 subset): EHLO/HELO, STARTTLS (OpenSSL, with a
// throw-away self-signed certificate made by the `openssl` CLI), AUTH PLAIN/LOGIN, MAIL/RCPT/DATA,
// RSET, NOOP, QUIT; it captures every accepted message. Runs on its own thread with blocking
// Boost.Asio sockets, one connection at a time, on 127.0.0.1:<any free port>. Fault switches
// make it stall, refuse recipients or leave out STARTTLS. Start/stop/read from the test thread.

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

namespace bw::test {

class SmtpTestServer final {
public:
    struct Options {
        bool offerStartTls = true;
        bool requireTls = true; // 530 to AUTH/MAIL before STARTTLS
        QString certFile;       // PEM, required when offerStartTls
        QString keyFile;
        QString username; // empty: no AUTH advertised or required
        QString password;
        QStringList authMechanisms{QStringLiteral("PLAIN"), QStringLiteral("LOGIN")};
        bool stallGreeting = false;  // accept, then say nothing (client timeouts)
        int rejectRecipientCode = 0; // e.g. 550: every RCPT TO is refused
    };

    struct Message {
        QString mailFrom;
        QStringList recipients;
        QByteArray data; // as received, dot-stuffing undone, CRLF line ends
        bool overTls = false;
        QString authenticatedUser;
        QByteArray header(const QByteArray &name) const; // first header with that name (unfolded)
        QByteArray body() const;                         // after the blank line
    };

    explicit SmtpTestServer(Options options);
    ~SmtpTestServer();

    bool start(); // false + lastError() on failure
    void stop();
    quint16 port() const;
    QString lastError() const;

    QList<Message> messages() const;
    bool waitForMessages(int count, int timeoutMs) const; // polls; no event loop needed
    QStringList transcript() const;                       // client lines (credentials redacted)
    int connectionCount() const;
    void clear();

    // CN=localhost, SAN DNS:localhost + IP:127.0.0.1, valid one day; written to dir/cert.pem, dir/key.pem.
    static bool makeCertificate(const QString &dir, QString *certFile, QString *keyFile, QString *error);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace bw::test
