#include <utility> // before Asio: Boost 1.74 + g++ 12 in C++20 needs std::exchange declared first

#include "server/domain/mail/smtpmailer.h"

#include "server/core/ids.h"

#include <QDateTime>
#include <QLocale>
#include <QStringList>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <memory>

namespace bw::domain {

namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct Reply {
    int code = 0;
    QStringList lines; // text after "NNN-" / "NNN "
    QString text() const { return QString::number(code) + u' ' + lines.join(u' '); }
};

// One SMTP conversation. Every asynchronous step runs the private io_context in 100 ms slices
// until it completes, its deadline passes or cancel is set; then the socket is closed.
class Session {
public:
    Session(const SmtpOptions &options, const std::atomic_bool &cancel) : m_o(options), m_cancel(cancel) {}

    Status connect()
    {
        tcp::resolver::results_type endpoints;
        error_code ec = wait([&](auto handler) {
            m_resolver.async_resolve(m_o.host.toStdString(), std::to_string(m_o.port),
                                     [handler, &endpoints](const error_code &e, tcp::resolver::results_type r) mutable {
                                         endpoints = std::move(r);
                                         handler(e);
                                     });
        });
        if (ec)
            return failure(QStringLiteral("resolving the host"), ec);
        ec = wait([&](auto handler) { asio::async_connect(m_socket, endpoints, handler); });
        if (ec)
            return failure(QStringLiteral("connecting"), ec);
        return success();
    }

    Result<Reply> readReply()
    {
        Reply reply;
        for (int n = 0; n < 200; ++n) {
            const error_code ec = wait([&](auto handler) {
                if (m_tls)
                    asio::async_read_until(*m_tls, m_buffer, "\r\n", handler);
                else
                    asio::async_read_until(m_socket, m_buffer, "\r\n", handler);
            });
            if (ec)
                return failure(QStringLiteral("reading the reply"), ec).error();
            const auto data = m_buffer.data();
            const std::string all(asio::buffers_begin(data), asio::buffers_end(data));
            const std::size_t end = all.find("\r\n");
            const QString line = QString::fromUtf8(all.data(), qsizetype(end));
            m_buffer.consume(end + 2);
            bool ok = false;
            const int code = line.left(3).toInt(&ok);
            if (!ok || code < 200 || code > 599 || (line.size() > 3 && line[3] != u'-' && line[3] != u' '))
                return ApiError::unavailable(QStringLiteral("SMTP %1: malformed reply '%2'").arg(where(), line.left(200)));
            reply.code = code;
            reply.lines << line.mid(4);
            if (line.size() <= 3 || line[3] == u' ')
                return reply;
        }
        return ApiError::unavailable(QStringLiteral("SMTP %1: reply too long").arg(where()));
    }

    Status write(const QByteArray &bytes)
    {
        const error_code ec = wait([&](auto handler) {
            if (m_tls)
                asio::async_write(*m_tls, asio::buffer(bytes.constData(), size_t(bytes.size())), handler);
            else
                asio::async_write(m_socket, asio::buffer(bytes.constData(), size_t(bytes.size())), handler);
        });
        return ec ? failure(QStringLiteral("sending"), ec) : success();
    }

    // Sends one command line; the reply code must be one of expected. shown: how the command
    // appears in errors (credentials never do).
    Result<Reply> command(const QByteArray &line, std::initializer_list<int> expected, const QString &shown)
    {
        if (Status w = write(line + "\r\n"); !w)
            return w.error();
        return expect(expected, shown);
    }

    Result<Reply> expect(std::initializer_list<int> expected, const QString &shown)
    {
        auto reply = readReply();
        if (!reply)
            return reply.error();
        if (std::find(expected.begin(), expected.end(), reply->code) == expected.end())
            return ApiError::unavailable(
                QStringLiteral("SMTP %1: %2 was answered '%3'").arg(where(), shown, reply->text().left(300)));
        return reply;
    }

    Status startTls()
    {
        // Bytes the server sent before the handshake would be read as if they were protected.
        if (m_buffer.size() > 0)
            return ApiError::unavailable(QStringLiteral("SMTP %1: unexpected data after STARTTLS").arg(where()));
        error_code ec;
        m_context.set_default_verify_paths(ec);
        if (!m_o.caFile.isEmpty()) {
            m_context.load_verify_file(m_o.caFile.toStdString(), ec);
            if (ec)
                return ApiError::unavailable(
                    QStringLiteral("SMTP: cannot load CA file %1: %2").arg(m_o.caFile, QString::fromStdString(ec.message())));
        }
        m_context.set_verify_mode(asio::ssl::verify_peer);
        SSL_CTX_set_min_proto_version(m_context.native_handle(), TLS1_2_VERSION);
        m_tls = std::make_unique<asio::ssl::stream<tcp::socket &>>(m_socket, m_context);
        const std::string host = m_o.host.toStdString();
        m_tls->set_verify_callback(asio::ssl::host_name_verification(host));
        error_code notAnAddress;
        asio::ip::make_address(host, notAnAddress);
        if (notAnAddress) // SNI takes host names only
            SSL_set_tlsext_host_name(m_tls->native_handle(), host.c_str());
        ec = wait([&](auto handler) { m_tls->async_handshake(asio::ssl::stream_base::client, handler); });
        if (ec)
            return failure(QStringLiteral("TLS handshake (certificate or host name not trusted?)"), ec);
        return success();
    }

    void close()
    {
        error_code ignored;
        m_socket.close(ignored);
    }

    QString where() const { return QStringLiteral("%1:%2").arg(m_o.host).arg(m_o.port); }

private:
    template <typename Start>
    error_code wait(Start start)
    {
        bool done = false;
        error_code result;
        start([&done, &result](const error_code &ec, auto &&...) {
            result = ec;
            done = true;
        });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_o.timeoutMs);
        while (!done) {
            if (m_cancel || std::chrono::steady_clock::now() >= deadline) {
                const bool cancelled = m_cancel;
                abort(); // completes the pending handler (with operation_aborted) before we return
                return cancelled ? error_code(asio::error::operation_aborted) : error_code(asio::error::timed_out);
            }
            if (m_io.stopped())
                m_io.restart();
            m_io.run_one_for(std::chrono::milliseconds(100));
        }
        return result;
    }

    void abort()
    {
        m_resolver.cancel();
        close();
        m_io.restart();
        m_io.run();
        m_io.restart();
    }

    Status failure(const QString &step, const error_code &ec)
    {
        const QString why = ec == asio::error::timed_out           ? QStringLiteral("timed out after %1 ms").arg(m_o.timeoutMs)
                            : ec == asio::error::operation_aborted ? QStringLiteral("cancelled")
                                                                   : QString::fromStdString(ec.message());
        return ApiError::unavailable(QStringLiteral("SMTP %1: %2 failed: %3").arg(where(), step, why));
    }

    const SmtpOptions &m_o;
    const std::atomic_bool &m_cancel;
    asio::io_context m_io;
    tcp::resolver m_resolver{m_io};
    tcp::socket m_socket{m_io};
    asio::ssl::context m_context{asio::ssl::context::tls_client};
    std::unique_ptr<asio::ssl::stream<tcp::socket &>> m_tls;
    asio::streambuf m_buffer{64 * 1024};
};

bool hasLineBreak(const QString &s)
{
    return s.contains(u'\r') || s.contains(u'\n');
}

QStringList capabilities(const Reply &ehlo)
{
    QStringList caps;
    for (qsizetype i = 1; i < ehlo.lines.size(); ++i) // line 0 is the greeting text
        caps << ehlo.lines[i].trimmed().toUpper();
    return caps;
}

QString authMechanisms(const QStringList &caps)
{
    for (const QString &c : caps) {
        if (c.startsWith(QLatin1String("AUTH ")) || c.startsWith(QLatin1String("AUTH=")))
            return c.mid(5);
    }
    return {};
}
} // namespace

SmtpMailer::SmtpMailer(SmtpOptions options) : m_options(std::move(options)) {}

QString SmtpMailer::description() const
{
    return QStringLiteral("smtp %1:%2%3")
        .arg(m_options.host)
        .arg(m_options.port)
        .arg(m_options.startTls ? QStringLiteral(" (STARTTLS)") : QStringLiteral(" (no TLS)"));
}

QString SmtpMailer::addressOf(const QString &mailbox)
{
    if (hasLineBreak(mailbox))
        return {};
    const qsizetype open = mailbox.lastIndexOf(u'<');
    const qsizetype close = mailbox.lastIndexOf(u'>');
    if (open >= 0 && close > open)
        return mailbox.mid(open + 1, close - open - 1).trimmed();
    return mailbox.trimmed();
}

QByteArray SmtpMailer::formatMessage(const QString &from, const MailMessage &message, const QString &messageId)
{
    const auto ascii = [](const QString &s) {
        return std::all_of(s.cbegin(), s.cend(), [](QChar c) { return c.unicode() >= 0x20 && c.unicode() < 0x7f; });
    };
    const QByteArray subject =
        ascii(message.subject) ? message.subject.toLatin1() : "=?UTF-8?B?" + message.subject.toUtf8().toBase64() + "?=";
    const QString date =
        QLocale::c().toString(QDateTime::currentDateTimeUtc(), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss '+0000'"));
    QByteArray out;
    out += "Date: " + date.toLatin1() + "\r\n";
    out += "From: " + from.toUtf8() + "\r\n";
    out += "To: " + message.to.toUtf8() + "\r\n";
    out += "Subject: " + subject + "\r\n";
    out += "Message-ID: <" + messageId.toUtf8() + ">\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += "Content-Transfer-Encoding: 8bit\r\n\r\n";
    QString body = message.body;
    body.replace(QLatin1String("\r\n"), QLatin1String("\n")).replace(u'\r', u'\n');
    const QStringList lines = body.split(u'\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (i == lines.size() - 1 && lines[i].isEmpty())
            break; // a trailing newline ends the last line
        const QByteArray line = lines[i].toUtf8();
        if (line.startsWith('.'))
            out += '.'; // dot-stuffing (RFC 5321 §4.5.2)
        out += line + "\r\n";
    }
    return out;
}

Status SmtpMailer::send(const MailMessage &message, const std::atomic_bool &cancel)
{
    const QString from = addressOf(m_options.from);
    const QString to = addressOf(message.to);
    if (from.isEmpty() || !from.contains(u'@'))
        return ApiError::badRequest(QStringLiteral("SMTP: smtp/from is not a valid address"));
    if (to.isEmpty() || !to.contains(u'@') || to.contains(u'<') || hasLineBreak(message.subject))
        return ApiError::badRequest(QStringLiteral("SMTP: invalid recipient or subject"));

    Session s(m_options, cancel);
    if (Status c = s.connect(); !c)
        return c;
    auto step = [&]() -> Status {
        if (auto greeting = s.expect({220}, QStringLiteral("the greeting")); !greeting)
            return greeting.error();
        const QByteArray ehlo = "EHLO " + m_options.heloName.toUtf8();
        auto hello = s.command(ehlo, {250}, QStringLiteral("EHLO"));
        if (!hello)
            return hello.error();
        QStringList caps = capabilities(*hello);
        if (m_options.startTls) {
            if (!caps.contains(QStringLiteral("STARTTLS")))
                return ApiError::unavailable(
                    QStringLiteral("SMTP %1: the server does not offer STARTTLS (smtp/starttls is on)").arg(s.where()));
            if (auto r = s.command("STARTTLS", {220}, QStringLiteral("STARTTLS")); !r)
                return r.error();
            if (Status tls = s.startTls(); !tls)
                return tls;
            hello = s.command(ehlo, {250}, QStringLiteral("EHLO after STARTTLS"));
            if (!hello)
                return hello.error();
            caps = capabilities(*hello);
        }
        if (!m_options.username.isEmpty()) {
            const QStringList mechanisms = authMechanisms(caps).split(u' ', Qt::SkipEmptyParts);
            const QByteArray user = m_options.username.toUtf8();
            const QByteArray pass = m_options.password.toUtf8();
            if (mechanisms.contains(QStringLiteral("PLAIN"))) {
                const QByteArray token = QByteArray(QByteArray(1, '\0') + user + QByteArray(1, '\0') + pass).toBase64();
                if (auto r = s.command("AUTH PLAIN " + token, {235}, QStringLiteral("AUTH PLAIN")); !r)
                    return r.error();
            } else if (mechanisms.contains(QStringLiteral("LOGIN"))) {
                if (auto r = s.command("AUTH LOGIN", {334}, QStringLiteral("AUTH LOGIN")); !r)
                    return r.error();
                if (auto r = s.command(user.toBase64(), {334}, QStringLiteral("AUTH LOGIN (user name)")); !r)
                    return r.error();
                if (auto r = s.command(pass.toBase64(), {235}, QStringLiteral("AUTH LOGIN (password)")); !r)
                    return r.error();
            } else {
                return ApiError::unavailable(
                    QStringLiteral("SMTP %1: no supported AUTH mechanism (PLAIN, LOGIN) offered").arg(s.where()));
            }
        }
        if (auto r = s.command("MAIL FROM:<" + from.toUtf8() + ">", {250}, QStringLiteral("MAIL FROM")); !r)
            return r.error();
        if (auto r = s.command("RCPT TO:<" + to.toUtf8() + ">", {250, 251}, QStringLiteral("RCPT TO")); !r)
            return r.error();
        if (auto r = s.command("DATA", {354}, QStringLiteral("DATA")); !r)
            return r.error();
        const QString domain = from.section(u'@', -1);
        MailMessage normalized = message;
        normalized.to = to;
        const QByteArray payload = formatMessage(m_options.from, normalized, ids::newUuid() + u'@' + domain);
        if (Status w = s.write(payload + ".\r\n"); !w)
            return w;
        if (auto r = s.expect({250}, QStringLiteral("the message")); !r)
            return r.error();
        (void)s.command("QUIT", {221}, QStringLiteral("QUIT")); // delivered already; a rude close is fine
        return success();
    };
    const Status result = step();
    s.close();
    return result;
}

} // namespace bw::domain
