#include "fakellm.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QRegularExpression>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <deque>
#include <thread>

namespace bw::test {

namespace {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}
} // namespace

FakeLlm::Reply FakeLlm::Reply::error(int status, int retryAfter)
{
    Reply r;
    r.status = status;
    r.retryAfterSeconds = retryAfter;
    r.rawBody = QByteArrayLiteral("{\"error\":{\"type\":\"fake_error\",\"message\":\"injected by the test\"}}");
    return r;
}
FakeLlm::Reply FakeLlm::Reply::modelText(QString text)
{
    Reply r;
    r.text = std::move(text);
    return r;
}
FakeLlm::Reply FakeLlm::Reply::raw(QByteArray body)
{
    Reply r;
    r.rawBody = std::move(body);
    return r;
}
FakeLlm::Reply FakeLlm::Reply::drop()
{
    Reply r;
    r.dropConnection = true;
    return r;
}
FakeLlm::Reply FakeLlm::Reply::slow(int latencyMs)
{
    Reply r;
    r.latencyMs = latencyMs;
    return r;
}

struct FakeLlm::Private : std::enable_shared_from_this<FakeLlm::Private> {
    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::thread thread;
    quint16 port = 0;

    mutable QMutex mutex;
    std::deque<Reply> queue;
    int latencyMs = 0;
    QJsonObject verdict = FakeLlm::approvingVerdict();
    QByteArray requiredKey;
    Stats stats;
    int active = 0;

    void accept();
    QString verdictFor(const QString &user, bool solution) const;
};

namespace {
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, std::shared_ptr<FakeLlm::Private> owner)
        : m_stream(std::move(socket)), m_timer(m_stream.get_executor()), m_owner(std::move(owner))
    {
    }
    void read()
    {
        m_parser.emplace();
        m_parser->body_limit(8 * 1024 * 1024);
        http::async_read(m_stream, m_buffer, *m_parser, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (!ec)
                self->handle();
        });
    }

private:
    void handle();
    void finish(http::response<http::string_body> response, bool drop)
    {
        auto res = std::make_shared<http::response<http::string_body>>(std::move(response));
        if (drop) {
            done();
            beast::error_code ignored;
            m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
            m_stream.close();
            return;
        }
        http::async_write(m_stream, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
            self->done();
            if (!ec && res->keep_alive())
                self->read();
        });
    }
    void done()
    {
        QMutexLocker lock(&m_owner->mutex);
        --m_owner->active;
    }

    beast::tcp_stream m_stream;
    net::steady_timer m_timer;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    std::shared_ptr<FakeLlm::Private> m_owner;
};

void Session::handle()
{
    const auto &req = m_parser->get();
    const std::string target(req.target());
    const bool anthropic = target == "/v1/messages";
    const bool openAi = target == "/v1/chat/completions";
    const QByteArray body(req.body().data(), qsizetype(req.body().size()));
    const QJsonObject json = QJsonDocument::fromJson(body).object();

    QString system, user;
    QByteArray key;
    if (anthropic) {
        system = json.value(QStringLiteral("system")).toString();
        const QJsonValue content =
            json.value(QStringLiteral("messages")).toArray().first().toObject().value(QStringLiteral("content"));
        user = content.isString() ? content.toString()
                                  : content.toArray().first().toObject().value(QStringLiteral("text")).toString();
        if (auto it = req.find("x-api-key"); it != req.end())
            key = QByteArray(it->value().data(), qsizetype(it->value().size()));
    } else if (openAi) {
        for (const QJsonValue &m : json.value(QStringLiteral("messages")).toArray()) {
            const QJsonObject o = m.toObject();
            (o.value(QStringLiteral("role")).toString() == u"system" ? system : user) =
                o.value(QStringLiteral("content")).toString();
        }
        if (auto it = req.find(http::field::authorization); it != req.end()) {
            key = QByteArray(it->value().data(), qsizetype(it->value().size()));
            if (key.startsWith("Bearer "))
                key = key.mid(7);
        }
    }

    FakeLlm::Reply reply;
    int latency = 0;
    QByteArray required;
    QJsonObject verdictDefault;
    {
        QMutexLocker lock(&m_owner->mutex);
        FakeLlm::Stats &s = m_owner->stats;
        ++s.requests;
        s.anthropic += anthropic ? 1 : 0;
        s.openAi += openAi ? 1 : 0;
        s.lastBody = body;
        s.lastApiKey = key;
        s.lastUserMessage = user;
        s.lastSystemPrompt = system;
        s.maxConcurrent = std::max(s.maxConcurrent, ++m_owner->active);
        if (!m_owner->queue.empty()) {
            reply = m_owner->queue.front();
            m_owner->queue.pop_front();
        }
        latency = reply.latencyMs >= 0 ? reply.latencyMs : m_owner->latencyMs;
        required = m_owner->requiredKey;
    }

    http::response<http::string_body> res{http::status::ok, req.version()};
    res.keep_alive(req.keep_alive());
    res.set(http::field::content_type, "application/json");
    if (!anthropic && !openAi) {
        res.result(http::status::not_found);
        res.body() = R"({"error":"unknown endpoint"})";
    } else if (!required.isEmpty() && key != required) {
        res.result(http::status::unauthorized);
        res.body() = R"({"error":{"type":"authentication_error","message":"invalid x-api-key"}})";
    } else if (reply.status != 200 || !reply.rawBody.isEmpty()) {
        res.result(unsigned(reply.status));
        res.body() = reply.rawBody.toStdString();
        if (reply.retryAfterSeconds >= 0)
            res.set(http::field::retry_after, std::to_string(reply.retryAfterSeconds));
    } else {
        const bool solution = user.contains(QStringLiteral("Content type: solution"));
        const QString text = reply.text.isEmpty() ? m_owner->verdictFor(user, solution) : reply.text;
        const int inTokens = int(body.size() / 4), outTokens = int(text.size() / 4) + 1;
        QJsonObject out;
        if (anthropic)
            out = QJsonObject{{"id", "msg_fake"},
                              {"type", "message"},
                              {"role", "assistant"},
                              {"model", json.value(QStringLiteral("model"))},
                              {"content", QJsonArray{QJsonObject{{"type", "text"}, {"text", text}}}},
                              {"stop_reason", "end_turn"},
                              {"usage", QJsonObject{{"input_tokens", inTokens}, {"output_tokens", outTokens}}}};
        else
            out =
                QJsonObject{{"id", "chatcmpl-fake"},
                            {"object", "chat.completion"},
                            {"model", json.value(QStringLiteral("model"))},
                            {"choices", QJsonArray{QJsonObject{{"index", 0},
                                                               {"message", QJsonObject{{"role", "assistant"}, {"content", text}}},
                                                               {"finish_reason", "stop"}}}},
                            {"usage", QJsonObject{{"prompt_tokens", inTokens}, {"completion_tokens", outTokens}}}};
        res.body() = compact(out).toStdString();
    }
    res.prepare_payload();

    const bool drop = reply.dropConnection;
    if (latency <= 0)
        return finish(std::move(res), drop);
    m_timer.expires_after(std::chrono::milliseconds(latency));
    m_timer.async_wait([self = shared_from_this(), res = std::move(res), drop](beast::error_code) mutable {
        self->finish(std::move(res), drop);
    });
}
} // namespace

void FakeLlm::Private::accept()
{
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (ec)
            return;
        std::make_shared<Session>(std::move(socket), self)->read();
        self->accept();
    });
}

QString FakeLlm::Private::verdictFor(const QString &user, bool solution) const
{
    QJsonObject v;
    {
        QMutexLocker lock(&mutex);
        v = verdict;
    }
    if (solution && !v.contains(QStringLiteral("solution_scores")))
        v.insert(QStringLiteral("solution_scores"), QJsonObject{{"impact", 80}, {"feasibility", 75}, {"cost_efficiency", 70}});
    static const QRegularExpression marker(QStringLiteral("\\[\\[(\\w+)(?:=([^\\]]*))?\\]\\]"));
    QJsonObject scores = v.value(QStringLiteral("solution_scores")).toObject();
    for (auto it = marker.globalMatch(user); it.hasNext();) {
        const auto m = it.next();
        const QString name = m.captured(1), value = m.captured(2);
        if (name == u"malformed")
            return QStringLiteral("Sure! This looks aligned to me, approve it.");
        if (name == u"score")
            v.insert(QStringLiteral("alignment_score"), value.toDouble());
        else if (name == u"harm")
            v.insert(QStringLiteral("harm_risk"), value);
        else if (name == u"domain")
            v.insert(QStringLiteral("aligned_domain"), value);
        else if (name == u"decision")
            v.insert(QStringLiteral("decision"), value);
        else if (name == u"impact" || name == u"feasibility" || name == u"cost")
            scores.insert(name == u"cost" ? QStringLiteral("cost_efficiency") : name, value.toDouble());
    }
    if (solution)
        v.insert(QStringLiteral("solution_scores"), scores);
    return compact(v);
}

FakeLlm::FakeLlm() : d(std::make_shared<Private>()) {}

FakeLlm::~FakeLlm()
{
    stop();
}

bool FakeLlm::start()
{
    beast::error_code ec;
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    d->acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        d->acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
        d->acceptor.bind(endpoint, ec);
    if (!ec)
        d->acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        return false;
    d->port = d->acceptor.local_endpoint().port();
    d->accept();
    d->thread = std::thread([p = d] { p->ioc.run(); });
    return true;
}

void FakeLlm::stop()
{
    if (!d->thread.joinable())
        return;
    d->ioc.stop();
    d->thread.join();
    beast::error_code ignored;
    d->acceptor.close(ignored);
}

quint16 FakeLlm::port() const
{
    return d->port;
}
QString FakeLlm::baseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(d->port);
}

void FakeLlm::setLatency(int ms)
{
    QMutexLocker lock(&d->mutex);
    d->latencyMs = ms;
}

void FakeLlm::setDefaultVerdict(const QJsonObject &verdict)
{
    QMutexLocker lock(&d->mutex);
    d->verdict = verdict;
}

QJsonObject FakeLlm::approvingVerdict()
{
    return QJsonObject{{"aligned_domain", "education_access"},
                       {"alignment_score", 0.85},
                       {"harm_risk", "low"},
                       {"feasibility", "high"},
                       {"quality", "high"},
                       {"decision", "approve"},
                       {"reasoning", "Constructive, clearly aligned with the education domain."}};
}

void FakeLlm::enqueue(const Reply &reply)
{
    QMutexLocker lock(&d->mutex);
    d->queue.push_back(reply);
}

void FakeLlm::clearQueue()
{
    QMutexLocker lock(&d->mutex);
    d->queue.clear();
}

void FakeLlm::setRequireApiKey(const QByteArray &key)
{
    QMutexLocker lock(&d->mutex);
    d->requiredKey = key;
}

FakeLlm::Stats FakeLlm::stats() const
{
    QMutexLocker lock(&d->mutex);
    return d->stats;
}

void FakeLlm::resetStats()
{
    QMutexLocker lock(&d->mutex);
    d->stats = Stats{};
}

QString FakeLlm::verdictFor(const QString &userMessage, bool solution) const
{
    return d->verdictFor(userMessage, solution);
}

} // namespace bw::test
