#include "server.h"

#include <utility> // must precede Asio with g++ 12 in C++20 (platform.md)

#include "server/core/metrics.h"
#include "server/core/threadrole.h"
#include "server/http/pipeline.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <QLoggingCategory>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

Q_LOGGING_CATEGORY(lcHttp, "bw.http")

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace bw::http {

class Session;

struct HttpServer::Impl {
    Impl(const Config &c, Pipeline &p, MetricsRegistry *m) : config(c), pipeline(p), ioc(std::max(1, c.ioThreads))
    {
        if (m)
            activeGauge = &m->gauge(QStringLiteral("http_active_connections"), QStringLiteral("Open HTTP connections"));
    }

    Config config;
    Pipeline &pipeline;
    Gauge *activeGauge = nullptr;
    std::atomic<int> active{0};
    std::atomic<bool> draining{false};
    quint16 boundPort = 0;
    std::mutex sessionsMutex;
    std::map<Session *, std::weak_ptr<Session>> sessions;
    // Declared last so it is destroyed first: pending handlers own sessions, which unregister above.
    net::io_context ioc;
    // Keeps the I/O threads alive while a request is on the pool and no socket operation is
    // pending (e.g. during drain, after the acceptor has closed).
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::optional<tcp::acceptor> acceptor;
    std::vector<std::thread> threads;

    void accept();
    bool acceptFailed(const beast::error_code &ec); // true: the retry is scheduled (back-off)

    // Touched only by the acceptor's handlers (one outstanding accept at a time).
    net::steady_timer acceptRetry{ioc};
    std::chrono::milliseconds acceptBackoff{0};
    int acceptFailures = 0;
    std::chrono::steady_clock::time_point nextAcceptLog{};
};

// One TCP connection. Lives on its own strand; all members are touched only from it.
class Session final : public std::enable_shared_from_this<Session> {
public:
    Session(HttpServer::Impl &server, tcp::socket &&socket)
        : m_server(server), m_stream(std::move(socket)), m_idleTimer(m_stream.get_executor())
    {
        boost::system::error_code ec;
        const auto endpoint = m_stream.socket().remote_endpoint(ec);
        auto address = endpoint.address();
        if (address.is_v6() && address.to_v6().is_v4_mapped())
            address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
        m_peerIp = ec ? QString() : QString::fromStdString(address.to_string());
        m_stream.socket().set_option(tcp::no_delay(true), ec);
    }

    ~Session()
    {
        m_server.active.fetch_sub(1);
        if (m_server.activeGauge)
            m_server.activeGauge->add(-1);
        std::lock_guard lock(m_server.sessionsMutex);
        m_server.sessions.erase(this);
    }

    void start()
    {
        {
            std::lock_guard lock(m_server.sessionsMutex);
            m_server.sessions.emplace(this, weak_from_this());
        }
        net::dispatch(m_stream.get_executor(), [self = shared_from_this()] { self->waitForRequest(); });
    }

    // Called during drain: idle connections close now, busy ones after their response.
    void closeIfIdle()
    {
        net::post(m_stream.get_executor(), [self = shared_from_this()] {
            if (!self->m_busy)
                self->close();
        });
    }

private:
    void waitForRequest()
    {
        m_busy = false;
        if (m_server.draining) {
            close();
            return;
        }
        if (m_buffer.size() > 0) { // a pipelined request is already buffered
            readHeader();
            return;
        }
        m_idleTimer.expires_after(std::chrono::milliseconds(m_server.config.idleTimeoutMs));
        m_idleTimer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec)
                self->close();
        });
        m_stream.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
            self->m_idleTimer.cancel();
            if (ec || !self->m_stream.socket().is_open())
                return self->close();
            self->readHeader();
        });
    }

    void readHeader()
    {
        m_busy = true;
        m_parser.emplace();
        m_parser->header_limit(std::uint32_t(m_server.config.maxHeaderBytes));
        // The real (per-route) body limit is applied once the request line is known; until then
        // Beast must not reject a large Content-Length itself, or we could not answer 413.
        m_parser->body_limit(std::numeric_limits<std::uint64_t>::max());
        m_stream.expires_after(std::chrono::milliseconds(m_server.config.headerTimeoutMs));
        bhttp::async_read_header(m_stream, m_buffer, *m_parser,
                                 [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onHeader(ec); });
    }

    void onHeader(beast::error_code ec)
    {
        if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted
            || ec == net::error::connection_reset || ec == net::error::eof)
            return close(); // idle or slow client (slowloris): cut, no answer owed
        m_started.start();
        if (ec == bhttp::error::header_limit)
            return reject(
                ApiError::make(ErrorKind::HeaderTooLarge,
                               QStringLiteral("Request header section exceeds %1 bytes").arg(m_server.config.maxHeaderBytes)));
        if (ec)
            return reject(
                ApiError::badRequest(QStringLiteral("Malformed HTTP request: %1").arg(QString::fromStdString(ec.message()))));

        m_request = toRequest(m_parser->get());
        // RFC 9112 §6.1: a request's only acceptable transfer coding here is a final `chunked`. Beast
        // reads anything else ("xchunked", "chunked, identity") as body-less, which a proxy in front
        // may frame differently: refuse instead of guessing where this request ends.
        if (const auto &head = m_parser->get(); head.count(bhttp::field::transfer_encoding) > 0
                                                && (head.count(bhttp::field::transfer_encoding) > 1 || !m_parser->chunked()
                                                    || QByteArray(head[bhttp::field::transfer_encoding].data(),
                                                                  qsizetype(head[bhttp::field::transfer_encoding].size()))
                                                               .trimmed()
                                                               .toLower()
                                                           != "chunked"))
            return reject(ApiError::badRequest(QStringLiteral("Unsupported Transfer-Encoding: only \"chunked\" is accepted")));
        const qint64 limit = m_server.pipeline.bodyLimit(m_request.method, m_request.path);
        const auto length = m_parser->content_length();
        if (length && *length > std::uint64_t(limit))
            return reject(ApiError::make(ErrorKind::PayloadTooLarge, QStringLiteral("Request body exceeds %1 bytes").arg(limit)));
        m_parser->body_limit(std::uint64_t(limit));
        if (m_parser->is_done())
            return dispatch();
        if (beast::iequals(m_parser->get()[bhttp::field::expect], "100-continue")) {
            auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
            m_stream.expires_after(std::chrono::milliseconds(m_server.config.bodyTimeoutMs));
            bhttp::async_write(m_stream, *cont, [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
                if (ec)
                    return self->close();
                self->readBody();
            });
            return;
        }
        readBody();
    }

    void readBody()
    {
        m_stream.expires_after(std::chrono::milliseconds(m_server.config.bodyTimeoutMs));
        bhttp::async_read(m_stream, m_buffer, *m_parser, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec == bhttp::error::body_limit)
                return self->reject(ApiError::make(ErrorKind::PayloadTooLarge, QStringLiteral("Request body too large")));
            if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream || ec == net::error::connection_reset
                || ec == net::error::eof)
                return self->close(); // a body that stops arriving is cut, not waited for
            if (ec)
                return self->reject(
                    ApiError::badRequest(QStringLiteral("Malformed HTTP body: %1").arg(QString::fromStdString(ec.message()))));
            auto &body = self->m_parser->get().body();
            self->m_request.body = QByteArray(body.data(), qsizetype(body.size()));
            self->dispatch();
        });
    }

    Request toRequest(const bhttp::request<bhttp::string_body> &msg)
    {
        Request req;
        req.timer = m_started;
        req.method = QByteArray(msg.method_string().data(), qsizetype(msg.method_string().size()));
        req.target = QByteArray(msg.target().data(), qsizetype(msg.target().size()));
        const qsizetype q = req.target.indexOf('?');
        req.path = QUrl::fromPercentEncoding(q < 0 ? req.target : req.target.left(q));
        if (q >= 0) {
            QByteArray raw = req.target.mid(q + 1);
            raw.replace('+', "%20");
            const QUrlQuery query(QString::fromLatin1(raw));
            for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded))
                req.query.insert(key, value);
        }
        for (const auto &field : msg) {
            const auto name = field.name_string();
            const auto value = field.value();
            req.headers.insert(QByteArray(name.data(), qsizetype(name.size())).toLower(),
                               QByteArray(value.data(), qsizetype(value.size())));
        }
        req.peerIp = m_peerIp;
        m_keepAlive = msg.keep_alive();
        m_version = msg.version();
        return req;
    }

    void reject(ApiError error)
    {
        if (!m_started.isValid())
            m_started.start();
        if (m_request.method.isEmpty() && m_parser && m_parser->is_header_done())
            m_request = toRequest(m_parser->get());
        m_request.timer = m_started;
        m_request.peerIp = m_peerIp;
        m_request.rejection = std::move(error);
        m_closeAfter = true; // the rest of the stream cannot be trusted
        dispatch();
    }

    void dispatch()
    {
        m_stream.expires_never();
        m_lastWasHead = m_request.isHead();
        auto self = shared_from_this();
        m_server.pipeline.handle(std::move(m_request), [self](Response response) {
            net::post(self->m_stream.get_executor(),
                      [self, response = std::move(response)]() mutable { self->write(std::move(response)); });
        });
        m_request = Request{};
    }

    void write(Response response)
    {
        const bool head = m_lastWasHead;
        auto res = std::make_shared<bhttp::response<bhttp::string_body>>(bhttp::int_to_status(unsigned(response.status)),
                                                                         m_version ? m_version : 11);
        res->set(bhttp::field::server, "betterworld");
        res->set(bhttp::field::content_type,
                 beast::string_view(response.contentType.constData(), size_t(response.contentType.size())));
        for (const auto &[name, value] : response.headers)
            res->set(beast::string_view(name.constData(), size_t(name.size())),
                     beast::string_view(value.constData(), size_t(value.size())));
        const bool keep = m_keepAlive && !m_closeAfter && !response.closeConnection && !m_server.draining;
        res->keep_alive(keep);
        if (head) {
            res->content_length(std::uint64_t(response.body.size()));
        } else {
            res->body().assign(response.body.constData(), size_t(response.body.size()));
            res->prepare_payload();
        }
        m_stream.expires_after(std::chrono::milliseconds(m_server.config.bodyTimeoutMs));
        bhttp::async_write(m_stream, *res, [self = shared_from_this(), res, keep](beast::error_code ec, std::size_t) {
            if (ec || !keep)
                return self->close();
            self->waitForRequest();
        });
    }

    void close()
    {
        m_idleTimer.cancel();
        beast::error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        m_stream.socket().close(ec);
    }

    HttpServer::Impl &m_server;
    beast::tcp_stream m_stream;
    beast::flat_buffer m_buffer;
    net::steady_timer m_idleTimer;
    std::optional<bhttp::request_parser<bhttp::string_body>> m_parser;
    Request m_request;
    QElapsedTimer m_started;
    QString m_peerIp;
    unsigned m_version = 11;
    bool m_keepAlive = true;
    bool m_closeAfter = false;
    bool m_busy = false;
    bool m_lastWasHead = false;
};

void HttpServer::Impl::accept()
{
    acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor->is_open())
            return;
        if (!ec) {
            active.fetch_add(1);
            if (activeGauge)
                activeGauge->add(1);
            std::make_shared<Session>(*this, std::move(socket))->start();
            acceptBackoff = std::chrono::milliseconds(0);
        } else if (acceptFailed(ec)) {
            return; // retried by the back-off timer
        }
        if (!draining)
            accept();
    });
}

// Out of descriptors (EMFILE/ENFILE) or memory, accept() fails at once for as long as the cause lasts:
// re-arming immediately spins a core and floods the log (3.4 M lines in 8 s were measured). Back off
// (10 ms doubling to 1 s) and log one line per 10 s with the number of failures in between.
bool HttpServer::Impl::acceptFailed(const beast::error_code &ec)
{
    const auto now = std::chrono::steady_clock::now();
    ++acceptFailures;
    if (now >= nextAcceptLog) {
        qCWarning(lcHttp).noquote() << "accept failed:" << QString::fromStdString(ec.message())
                                    << QStringLiteral("(%1 failures in the last 10 s; backing off)").arg(acceptFailures);
        acceptFailures = 0;
        nextAcceptLog = now + std::chrono::seconds(10);
    }
    const bool resourceShortage = ec == net::error::no_descriptors || ec == net::error::no_buffer_space
                                  || ec == net::error::no_memory || ec.value() == ENFILE;
    if (!resourceShortage)
        return false;
    acceptBackoff = std::clamp(acceptBackoff * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
    acceptRetry.expires_after(acceptBackoff);
    acceptRetry.async_wait([this](beast::error_code waitEc) {
        if (!waitEc && !draining && acceptor && acceptor->is_open())
            accept();
    });
    return true;
}

HttpServer::HttpServer(const Config &config, Pipeline &pipeline, MetricsRegistry *metrics)
    : d(std::make_shared<Impl>(config, pipeline, metrics))
{
}

HttpServer::~HttpServer()
{
    shutdown(0);
}

Status HttpServer::start()
{
    boost::system::error_code ec;
    const auto address = net::ip::make_address(d->config.listenHost.toStdString(), ec);
    if (ec)
        return ApiError::badRequest(QStringLiteral("invalid listen address %1").arg(d->config.listenHost));
    const tcp::endpoint endpoint(address, d->config.listenPort);
    d->acceptor.emplace(d->ioc);
    d->acceptor->open(endpoint.protocol(), ec);
    if (!ec)
        d->acceptor->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
        d->acceptor->bind(endpoint, ec);
    if (!ec)
        d->acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        return ApiError::unavailable(
            QStringLiteral("cannot listen on %1: %2").arg(d->config.listenAddress(), QString::fromStdString(ec.message())));
    d->boundPort = d->acceptor->local_endpoint().port();
    d->work.emplace(d->ioc.get_executor());
    d->accept();
    for (int i = 0; i < std::max(1, d->config.ioThreads); ++i) {
        d->threads.emplace_back([impl = d] {
            setCurrentThreadName("bw-http-io");
            setCurrentThreadRole(ThreadRole::HttpIo); // no SQL here: the thread check refuses it
            impl->ioc.run();
        });
    }
    qCInfo(lcHttp).noquote() << "listening on" << QStringLiteral("%1:%2").arg(d->config.listenHost).arg(d->boundPort);
    return success();
}

quint16 HttpServer::port() const
{
    return d->boundPort;
}
int HttpServer::activeConnections() const
{
    return d->active.load();
}

bool HttpServer::shutdown(int timeoutMs)
{
    if (d->threads.empty())
        return true;
    d->draining = true;
    net::post(d->ioc, [impl = d] {
        boost::system::error_code ec;
        if (impl->acceptor)
            impl->acceptor->close(ec);
        impl->acceptRetry.cancel(); // a back-off in progress must not re-open accepting
    });
    std::vector<std::shared_ptr<Session>> open;
    {
        std::lock_guard lock(d->sessionsMutex);
        for (auto &[ptr, weak] : d->sessions)
            if (auto s = weak.lock())
                open.push_back(std::move(s));
    }
    // Outside the lock: dropping the last reference runs ~Session, which takes the lock itself.
    for (auto &s : open)
        s->closeIfIdle();
    open.clear();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (d->active.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const bool clean = d->active.load() == 0;
    if (!clean)
        qCWarning(lcHttp) << "drain timed out with" << d->active.load() << "connections open; closing them";
    d->work.reset();
    d->ioc.stop();
    for (auto &t : d->threads)
        if (t.joinable())
            t.join();
    d->threads.clear();
    return clean;
}

} // namespace bw::http
