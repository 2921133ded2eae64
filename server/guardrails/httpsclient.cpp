#include "httpsclient.h"

#include <QUrl>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace bw::guardrails {

namespace {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// One client context per process: loading the system CA bundle is slow; an SSL_CTX that is no
// longer modified may be shared by threads.
ssl::context &tlsContext()
{
    static ssl::context *ctx = [] {
        auto *c = new ssl::context(ssl::context::tls_client);
        c->set_default_verify_paths();
        c->set_verify_mode(ssl::verify_peer);
        c->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        return c;
    }();
    return *ctx;
}

// The async chain resolve → connect → [handshake] → write → read for one stream type. The
// caller's io_context runs it for at most the timeout; whatever has not completed by then is
// abandoned when the context and stream are destroyed (their handlers never run).
template <typename Stream>
struct Exchange {
    Stream &stream;
    tcp::resolver &resolver;
    std::string host;
    std::string port;
    http::request<http::string_body> &request;
    http::response_parser<http::string_body> &parser;
    beast::flat_buffer buffer;
    std::function<void(beast::error_code, const char *)> done;
    std::function<void(std::function<void(beast::error_code)>)> handshake; // empty for plain TCP

    void start()
    {
        resolver.async_resolve(host, port, [this](beast::error_code ec, const tcp::resolver::results_type &results) {
            if (ec)
                return done(ec, "resolve");
            beast::get_lowest_layer(stream).async_connect(results, [this](beast::error_code ec2, const tcp::endpoint &) {
                if (ec2)
                    return done(ec2, "connect");
                if (handshake)
                    handshake([this](beast::error_code ec3) { ec3 ? done(ec3, "TLS handshake") : write(); });
                else
                    write();
            });
        });
    }
    void write()
    {
        http::async_write(stream, request, [this](beast::error_code ec, std::size_t) {
            if (ec)
                return done(ec, "write");
            http::async_read(stream, buffer, parser, [this](beast::error_code ec2, std::size_t) { done(ec2, "read"); });
        });
    }
};
} // namespace

HttpAnswer postJson(const HttpPost &spec)
{
    HttpAnswer answer;
    const QUrl url(spec.url);
    const bool tls = url.scheme() == u"https";
    if (!url.isValid() || (!tls && url.scheme() != u"http") || url.host().isEmpty()) {
        answer.error = QStringLiteral("invalid URL %1").arg(spec.url);
        return answer;
    }
    const std::string host = url.host().toStdString();
    const int port = url.port(tls ? 443 : 80);
    QByteArray target = url.path(QUrl::FullyEncoded).toUtf8();
    if (target.isEmpty())
        target = "/";
    if (url.hasQuery())
        target += '?' + url.query(QUrl::FullyEncoded).toUtf8();

    http::request<http::string_body> request{http::verb::post, std::string(target.constData(), target.size()), 11};
    const bool defaultPort = port == (tls ? 443 : 80);
    request.set(http::field::host, defaultPort ? host : host + ':' + std::to_string(port));
    request.set(http::field::user_agent, "BetterWorld/" BW_VERSION);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::accept, "application/json");
    for (const auto &[name, value] : spec.headers)
        request.set(beast::string_view(name.constData(), name.size()), beast::string_view(value.constData(), value.size()));
    request.body().assign(spec.body.constData(), spec.body.size());
    request.prepare_payload();

    http::response_parser<http::string_body> parser;
    parser.body_limit(spec.maxResponseBytes);
    parser.header_limit(64 * 1024);

    net::io_context ioc(1);
    tcp::resolver resolver(ioc);
    bool finished = false;
    auto onDone = [&](beast::error_code ec, const char *step) {
        finished = true;
        if (ec && !(ec == ssl::error::stream_truncated && parser.is_done()))
            answer.error = QStringLiteral("%1 %2:%3 failed: %4")
                               .arg(QString::fromLatin1(step), url.host())
                               .arg(port)
                               .arg(QString::fromStdString(ec.message()));
    };
    const auto timeout = std::chrono::milliseconds(std::max(1, spec.timeoutMs));

    if (tls) {
        beast::ssl_stream<beast::tcp_stream> stream(ioc, tlsContext());
        if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) {
            answer.error = QStringLiteral("cannot set TLS server name %1").arg(url.host());
            return answer;
        }
        stream.set_verify_callback(ssl::host_name_verification(host));
        Exchange<beast::ssl_stream<beast::tcp_stream>> x{stream, resolver, host, std::to_string(port), request, parser,
                                                         {},     onDone,   {}};
        x.handshake = [&stream](std::function<void(beast::error_code)> next) {
            stream.async_handshake(ssl::stream_base::client, [next](beast::error_code ec) { next(ec); });
        };
        x.start();
        ioc.run_for(timeout);
    } else {
        beast::tcp_stream stream(ioc);
        Exchange<beast::tcp_stream> x{stream, resolver, host, std::to_string(port), request, parser, {}, onDone, {}};
        x.start();
        ioc.run_for(timeout);
    }

    if (!finished) {
        answer.timedOut = true;
        answer.error = QStringLiteral("no answer from %1:%2 within %3 ms").arg(url.host()).arg(port).arg(spec.timeoutMs);
        return answer;
    }
    if (!answer.error.isEmpty())
        return answer;
    const auto &response = parser.get();
    answer.status = int(response.result_int());
    answer.body = QByteArray(response.body().data(), qsizetype(response.body().size()));
    if (const auto it = response.find(http::field::retry_after); it != response.end())
        answer.retryAfter = QByteArray(it->value().data(), qsizetype(it->value().size()));
    return answer;
}

} // namespace bw::guardrails
