#include <utility> // before Asio (Boost 1.74 + g++ 12 in C++20)

#include "smtpserver.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QThread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include <sys/socket.h>

namespace bw::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct SmtpTestServer::Private {
    Options options;
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::thread thread;
    std::atomic_bool stopping{false};
    mutable std::mutex mutex;
    int currentFd = -1;
    QList<Message> messages;
    QStringList transcript;
    int connections = 0;
    QString error;

    void run();
    void serve(tcp::socket &socket);
    void note(const QString &line)
    {
        std::lock_guard lock(mutex);
        transcript << line;
    }
};

namespace {
// Blocking line I/O over the plain socket or, after STARTTLS, the TLS stream.
class Conn {
public:
    explicit Conn(tcp::socket &socket) : m_socket(socket) {}
    void startTls(asio::ssl::context &ctx, error_code &ec)
    {
        m_tls = std::make_unique<asio::ssl::stream<tcp::socket &>>(m_socket, ctx);
        m_tls->handshake(asio::ssl::stream_base::server, ec);
    }
    bool tls() const { return m_tls != nullptr; }
    bool readLine(QByteArray *line)
    {
        error_code ec;
        const std::size_t n =
            m_tls ? asio::read_until(*m_tls, m_buffer, "\r\n", ec) : asio::read_until(m_socket, m_buffer, "\r\n", ec);
        if (ec)
            return false;
        const auto data = m_buffer.data();
        const std::string s(asio::buffers_begin(data), asio::buffers_begin(data) + std::ptrdiff_t(n));
        m_buffer.consume(n);
        *line = QByteArray::fromStdString(s).chopped(2);
        return true;
    }
    bool hasBufferedInput() const { return m_buffer.size() > 0; }
    bool send(const QByteArray &text)
    {
        error_code ec;
        if (m_tls)
            asio::write(*m_tls, asio::buffer(text.constData(), size_t(text.size())), ec);
        else
            asio::write(m_socket, asio::buffer(text.constData(), size_t(text.size())), ec);
        return !ec;
    }

private:
    tcp::socket &m_socket;
    std::unique_ptr<asio::ssl::stream<tcp::socket &>> m_tls;
    asio::streambuf m_buffer{1 << 20};
};
} // namespace

QByteArray SmtpTestServer::Message::header(const QByteArray &name) const
{
    const QByteArray head = data.left(data.indexOf("\r\n\r\n"));
    const QList<QByteArray> lines = head.split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        if (line.toLower().startsWith(QByteArray(name.toLower() + ':'))) {
            QByteArray value = line.mid(name.size() + 1).trimmed();
            while (i + 1 < lines.size() && (lines[i + 1].startsWith(' ') || lines[i + 1].startsWith('\t')))
                value += ' ' + lines[++i].trimmed();
            return value;
        }
    }
    return {};
}

QByteArray SmtpTestServer::Message::body() const
{
    const qsizetype at = data.indexOf("\r\n\r\n");
    return at < 0 ? QByteArray() : data.mid(at + 4);
}

SmtpTestServer::SmtpTestServer(Options options) : d(std::make_unique<Private>())
{
    d->options = std::move(options);
}

SmtpTestServer::~SmtpTestServer()
{
    stop();
}

bool SmtpTestServer::start()
{
    error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    d->acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        d->acceptor.bind(endpoint, ec);
    if (!ec)
        d->acceptor.listen(16, ec);
    if (ec) {
        d->error = QString::fromStdString(ec.message());
        return false;
    }
    d->thread = std::thread([this] { d->run(); });
    return true;
}

void SmtpTestServer::stop()
{
    if (!d->thread.joinable())
        return;
    d->stopping = true;
    {
        // shutdown(2) wakes the blocking accept/read in the server thread.
        std::lock_guard lock(d->mutex);
        ::shutdown(d->acceptor.native_handle(), SHUT_RDWR);
        if (d->currentFd >= 0)
            ::shutdown(d->currentFd, SHUT_RDWR);
    }
    d->thread.join();
    error_code ignored;
    d->acceptor.close(ignored);
}

quint16 SmtpTestServer::port() const
{
    error_code ec;
    const auto ep = d->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

QString SmtpTestServer::lastError() const
{
    return d->error;
}

QList<SmtpTestServer::Message> SmtpTestServer::messages() const
{
    std::lock_guard lock(d->mutex);
    return d->messages;
}

bool SmtpTestServer::waitForMessages(int count, int timeoutMs) const
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        {
            std::lock_guard lock(d->mutex);
            if (d->messages.size() >= count)
                return true;
        }
        QThread::msleep(20);
    }
    std::lock_guard lock(d->mutex);
    return d->messages.size() >= count;
}

QStringList SmtpTestServer::transcript() const
{
    std::lock_guard lock(d->mutex);
    return d->transcript;
}

int SmtpTestServer::connectionCount() const
{
    std::lock_guard lock(d->mutex);
    return d->connections;
}

void SmtpTestServer::clear()
{
    std::lock_guard lock(d->mutex);
    d->messages.clear();
    d->transcript.clear();
}

void SmtpTestServer::Private::run()
{
    while (!stopping) {
        tcp::socket socket(io);
        error_code ec;
        acceptor.accept(socket, ec);
        if (ec || stopping)
            break;
        {
            std::lock_guard lock(mutex);
            currentFd = socket.native_handle();
            ++connections;
        }
        serve(socket);
        {
            std::lock_guard lock(mutex);
            currentFd = -1;
        }
        socket.close(ec);
    }
}

void SmtpTestServer::Private::serve(tcp::socket &socket)
{
    Conn conn(socket);
    QByteArray line;
    if (options.stallGreeting) {
        while (conn.readLine(&line)) {
        } // say nothing until the client gives up
        return;
    }
    asio::ssl::context tlsContext(asio::ssl::context::tls_server);
    if (options.offerStartTls) {
        tlsContext.use_certificate_chain_file(options.certFile.toStdString());
        tlsContext.use_private_key_file(options.keyFile.toStdString(), asio::ssl::context::pem);
    }
    const bool authEnabled = !options.username.isEmpty();
    bool authed = false;
    QString authUser;
    Message current;
    bool inMail = false;

    const auto checkCredentials = [&](const QByteArray &user, const QByteArray &pass) {
        if (QString::fromUtf8(user) == options.username && QString::fromUtf8(pass) == options.password) {
            authed = true;
            authUser = QString::fromUtf8(user);
            return conn.send("235 2.7.0 Authentication successful\r\n");
        }
        return conn.send("535 5.7.8 Authentication credentials invalid\r\n");
    };

    if (!conn.send("220 localhost ESMTP bw-test\r\n"))
        return;
    while (conn.readLine(&line)) {
        const QByteArray upper = line.toUpper();
        const QByteArray verb = upper.split(' ').value(0);
        note(QString::fromUtf8(verb == "AUTH" ? line.left(10) + " [redacted]" : line.left(200)));
        if (verb == "EHLO" || verb == "HELO") {
            QByteArray reply = "250-localhost greets you\r\n";
            if (options.offerStartTls && !conn.tls())
                reply += "250-STARTTLS\r\n";
            if (authEnabled && (conn.tls() || !options.requireTls))
                reply += "250-AUTH " + options.authMechanisms.join(u' ').toLatin1() + "\r\n";
            reply += "250 8BITMIME\r\n";
            if (!conn.send(reply))
                return;
        } else if (verb == "STARTTLS") {
            if (!options.offerStartTls || conn.tls()) {
                conn.send("503 5.5.1 STARTTLS not available\r\n");
                continue;
            }
            if (conn.hasBufferedInput()) { // a client must not pipeline past STARTTLS
                conn.send("503 5.5.1 Pipelining past STARTTLS\r\n");
                return;
            }
            if (!conn.send("220 2.0.0 Ready to start TLS\r\n"))
                return;
            error_code ec;
            conn.startTls(tlsContext, ec);
            if (ec) {
                note(QStringLiteral("TLS handshake failed: ") + QString::fromStdString(ec.message()));
                return;
            }
            authed = false; // RFC 3207: forget everything learnt before TLS
            inMail = false;
        } else if (verb == "AUTH") {
            if (!authEnabled) {
                conn.send("502 5.5.1 AUTH not available\r\n");
            } else if (options.requireTls && !conn.tls()) {
                conn.send("530 5.7.0 Must issue a STARTTLS command first\r\n");
            } else {
                const QList<QByteArray> parts = line.split(' ');
                const QByteArray mechanism = parts.value(1).toUpper();
                if (mechanism == "PLAIN" && options.authMechanisms.contains(QStringLiteral("PLAIN"))) {
                    QByteArray token = parts.value(2);
                    if (token.isEmpty()) {
                        if (!conn.send("334 \r\n") || !conn.readLine(&token))
                            return;
                    }
                    const QList<QByteArray> fields = QByteArray::fromBase64(token).split('\0');
                    if (!checkCredentials(fields.value(1), fields.value(2)))
                        return;
                } else if (mechanism == "LOGIN" && options.authMechanisms.contains(QStringLiteral("LOGIN"))) {
                    QByteArray user, pass;
                    if (!conn.send("334 VXNlcm5hbWU6\r\n") || !conn.readLine(&user) || !conn.send("334 UGFzc3dvcmQ6\r\n")
                        || !conn.readLine(&pass))
                        return;
                    if (!checkCredentials(QByteArray::fromBase64(user), QByteArray::fromBase64(pass)))
                        return;
                } else {
                    conn.send("504 5.5.4 Unrecognized authentication type\r\n");
                }
            }
        } else if (verb == "MAIL") {
            if (options.requireTls && !conn.tls())
                conn.send("530 5.7.0 Must issue a STARTTLS command first\r\n");
            else if (authEnabled && !authed)
                conn.send("530 5.7.0 Authentication required\r\n");
            else {
                current = Message{};
                current.mailFrom = QString::fromUtf8(line.mid(line.indexOf('<') + 1, line.indexOf('>') - line.indexOf('<') - 1));
                current.overTls = conn.tls();
                current.authenticatedUser = authUser;
                inMail = true;
                conn.send("250 2.1.0 OK\r\n");
            }
        } else if (verb == "RCPT") {
            if (!inMail)
                conn.send("503 5.5.1 MAIL first\r\n");
            else if (options.rejectRecipientCode)
                conn.send(QByteArray::number(options.rejectRecipientCode) + " 5.1.1 Recipient rejected\r\n");
            else {
                current.recipients << QString::fromUtf8(
                    line.mid(line.indexOf('<') + 1, line.indexOf('>') - line.indexOf('<') - 1));
                conn.send("250 2.1.5 OK\r\n");
            }
        } else if (verb == "DATA") {
            if (!inMail || current.recipients.isEmpty()) {
                conn.send("503 5.5.1 RCPT first\r\n");
                continue;
            }
            if (!conn.send("354 End data with <CR><LF>.<CR><LF>\r\n"))
                return;
            QByteArray data;
            QByteArray dataLine;
            while (true) {
                if (!conn.readLine(&dataLine))
                    return;
                if (dataLine == ".")
                    break;
                if (dataLine.startsWith('.'))
                    dataLine.remove(0, 1); // undo dot-stuffing
                data += dataLine + "\r\n";
            }
            current.data = data;
            {
                std::lock_guard lock(mutex);
                messages << current;
            }
            inMail = false;
            conn.send("250 2.0.0 OK queued\r\n");
        } else if (verb == "RSET") {
            inMail = false;
            conn.send("250 2.0.0 OK\r\n");
        } else if (verb == "NOOP") {
            conn.send("250 2.0.0 OK\r\n");
        } else if (verb == "QUIT") {
            conn.send("221 2.0.0 Bye\r\n");
            return;
        } else {
            conn.send("502 5.5.2 Command not recognized\r\n");
        }
    }
}

bool SmtpTestServer::makeCertificate(const QString &dir, QString *certFile, QString *keyFile, QString *error)
{
    *certFile = dir + QStringLiteral("/cert.pem");
    *keyFile = dir + QStringLiteral("/key.pem");
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                   QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                   QStringLiteral("-keyout"), *keyFile, QStringLiteral("-out"), *certFile, QStringLiteral("-days"),
                   QStringLiteral("1"), QStringLiteral("-subj"), QStringLiteral("/CN=localhost"), QStringLiteral("-addext"),
                   QStringLiteral("subjectAltName=DNS:localhost,IP:127.0.0.1")});
    if (!openssl.waitForFinished(30000) || openssl.exitStatus() != QProcess::NormalExit || openssl.exitCode() != 0) {
        *error = QStringLiteral("openssl req failed: ") + QString::fromLocal8Bit(openssl.readAllStandardError());
        return false;
    }
    return true;
}

} // namespace bw::test
