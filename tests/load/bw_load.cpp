// bw_load: open-loop HTTP/1.1 load generator (Boost.Asio, one thread, N keep-alive connections).
//
// Open loop (--rate R): request i is due at start + i/R whatever the server does; when no
// connection is free it waits in a queue and its latency counts from the due time, so a slow
// server cannot hide its stalls (no coordinated omission). Ramping (--stages 10s:100,20s:2000):
// the rate moves linearly from --start-rate to each stage's target over the stage's duration.
// Closed loop (--rate 0): every connection sends its next request as soon as the last one returns.
// Summary as JSON on stdout; progress and errors on stderr.
//
//   bw_load --url 'http://127.0.0.1:4000/api/v1/problems?limit=20' --rate 1000 --duration 10s
//   bw_load --url http://127.0.0.1:4000/api/v1/problems --method POST --body-file p.json
//           --header 'Authorization: Bearer KEY' --header 'Content-Type: application/json' --rate 0 -c 16
//   bw_load --url http://127.0.0.1:4000 --scenario register-burst --rate 2000 --duration 5s
//   bw_load --url http://127.0.0.1:4000 --scenario create-problems --api-key KEY --rate 0
//           (several --api-key / KEY1,KEY2: requests cycle through the agents)

#include <utility> // before Asio (platform.md: g++ 12, C++20)

#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void die(const std::string &msg)
{
    std::cerr << "bw_load: " << msg << "\n";
    std::exit(2);
}

double parseSeconds(const std::string &s)
{
    char *end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    const std::string unit = end ? end : "";
    if (end == s.c_str() || v < 0)
        die("bad duration: " + s);
    if (unit.empty() || unit == "s")
        return v;
    if (unit == "ms")
        return v / 1000;
    if (unit == "m")
        return v * 60;
    die("bad duration unit: " + s);
}

struct Stage {
    double seconds;
    double target;
};

struct Options {
    std::string host = "127.0.0.1", port = "80", path = "/", method = "GET", body, scenario = "url";
    std::vector<std::string> apiKeys; // create-problems: requests cycle through them (one agent each)
    std::vector<std::string> headers;
    double rate = 100, startRate = 0, duration = 10, timeout = 10;
    std::vector<Stage> stages;
    int connections = 64;
    long maxQueue = -1; // due-but-unsent requests kept before dropping new ones; -1 = 10 s worth
};

std::string jsonEscape(const std::string &s)
{
    std::string out;
    for (const char c : s) {
        if (c == '"' || c == '\\')
            out += '\\', out += c;
        else if (static_cast<unsigned char>(c) < 0x20)
            out += ' ';
        else
            out += c;
    }
    return out;
}

// What to send as request number seq.
class RequestFactory {
public:
    explicit RequestFactory(const Options &o) : m_o(o)
    {
        std::random_device rd;
        char id[9];
        std::snprintf(id, sizeof id, "%08x", unsigned(rd()));
        m_runId = id;
        std::string head;
        if (o.scenario == "register-burst") {
            m_method = "POST";
            m_path = o.path == "/" ? "/api/v1/auth/agents/register" : o.path;
        } else if (o.scenario == "create-problems") {
            if (o.apiKeys.empty())
                die("--scenario create-problems needs --api-key");
            m_method = "POST";
            m_path = o.path == "/" ? "/api/v1/problems" : o.path;
        } else if (o.scenario == "url") {
            m_method = o.method;
            m_path = o.path;
        } else {
            die("unknown scenario " + o.scenario + " (url, register-burst, create-problems)");
        }
        if (o.scenario != "url" || !o.body.empty())
            head += "Content-Type: application/json\r\n";
        for (const auto &h : o.headers)
            head += h + "\r\n";
        m_prefix = m_method + " " + m_path + " HTTP/1.1\r\nHost: " + o.host + ":" + o.port + "\r\nUser-Agent: bw_load\r\n" + head;
        if (o.scenario == "url")
            m_fixed = m_prefix + "Content-Length: " + std::to_string(o.body.size()) + "\r\n\r\n" + o.body;
    }

    std::string make(std::uint64_t seq) const
    {
        if (!m_fixed.empty())
            return m_fixed;
        std::string body;
        if (m_o.scenario == "register-burst") {
            // Unique per request and run: lb<run>x<seq> ([a-z0-9_], no double underscores).
            body = "{\"username\":\"lb" + m_runId + "x" + std::to_string(seq)
                   + "\",\"framework\":\"custom\",\"specializations\":[\"education_access\"]}";
        } else {
            body = "{\"title\":\"Load test problem " + m_runId + " #" + std::to_string(seq)
                   + "\",\"description\":\"Generated by bw_load to measure POST /api/v1/problems under load; "
                     "fifty characters at least.\",\"domain\":\"education_access\",\"severity\":\"medium\","
                     "\"geographicScope\":\"local\",\"latitude\":52.52,\"longitude\":13.405,"
                     "\"evidenceLinks\":[\"https://example.org/evidence\"]}";
        }
        const std::string auth =
            m_o.apiKeys.empty() ? std::string() : "Authorization: Bearer " + m_o.apiKeys[seq % m_o.apiKeys.size()] + "\r\n";
        return m_prefix + auth + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }

private:
    const Options &m_o;
    std::string m_runId, m_method, m_path, m_prefix, m_fixed;
};

struct Stats {
    std::vector<double> latencyMs; // from the due time (open loop) or send time (closed)
    std::vector<double> serviceMs; // from the write to the last byte of the response
    std::vector<std::vector<double>> perStage;
    std::map<int, long> statuses;
    long transportErrors = 0; // connection failed mid-request (timeouts included)
    long timeouts = 0, dropped = 0, unfinished = 0, sent = 0, reconnects = 0;
    std::map<std::string, long> errorKinds;
};

class Load;

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(Load &load, net::io_context &ioc) : m_load(load), m_socket(ioc), m_timer(ioc) {}
    void connect();
    bool idle() const { return m_connected && !m_busy; }
    void send(std::string request, Clock::time_point due, int stage);

private:
    void read();
    bool parse(); // true when a complete response is in m_in
    void fail(const std::string &kind);
    void finish(int status);

    Load &m_load;
    tcp::socket m_socket;
    net::steady_timer m_timer;
    std::string m_out, m_in;
    std::array<char, 65536> m_buf{};
    bool m_connected = false, m_busy = false, m_closeAfter = false;
    Clock::time_point m_due, m_sentAt;
    int m_stage = 0;
    std::size_t m_needed = 0; // header + body bytes of the response, once the header is parsed
    int m_status = 0;
    bool m_chunked = false;
    std::uint64_t m_generation = 0; // invalidates handlers of a previous request after a timeout
};

class Load {
public:
    explicit Load(const Options &o) : m_o(o), m_factory(o)
    {
        tcp::resolver resolver(m_ioc);
        boost::system::error_code ec;
        auto results = resolver.resolve(o.host, o.port, ec);
        if (ec || results.empty())
            die("cannot resolve " + o.host + ":" + o.port + ": " + ec.message());
        endpoint = results.begin()->endpoint();
        m_stats.perStage.resize(std::max<std::size_t>(1, o.stages.size()));
    }

    int run();
    tcp::endpoint endpoint;
    const Options &options() const { return m_o; }
    Stats &stats() { return m_stats; }
    void connected(bool ok)
    {
        if (!ok && !m_started)
            die("cannot connect to " + m_o.host + ":" + m_o.port);
        pump();
    }
    void completed(Connection &c, std::optional<int> status, double latencyMs, double serviceMs, int stage)
    {
        ++m_done;
        if (status) {
            ++m_stats.statuses[*status];
            m_stats.latencyMs.push_back(latencyMs);
            m_stats.serviceMs.push_back(serviceMs);
            m_stats.perStage[std::size_t(stage)].push_back(latencyMs);
        }
        if (closedLoop() && !m_stopped && c.idle())
            sendOn(c, Clock::now(), 0);
        pump();
    }

private:
    bool closedLoop() const { return m_o.rate <= 0 && m_o.stages.empty(); }
    bool generationOver() const { return m_nextDue >= m_totalSeconds - 1e-9; } // (float sums of 1/rate)
    double rateAt(double t, int *stage) const;
    void schedule();
    void pump();
    void sendOn(Connection &c, Clock::time_point due, int stage)
    {
        ++m_stats.sent;
        c.send(m_factory.make(m_seq++), due, stage);
    }
    void report(double elapsed);

    net::io_context m_ioc; // first: outlives the connections whose handlers it still holds
    const Options &m_o;
    RequestFactory m_factory;
    std::vector<std::shared_ptr<Connection>> m_conns;
    std::deque<std::pair<Clock::time_point, int>> m_queue; // due, stage
    std::optional<net::steady_timer> m_tick;
    Stats m_stats;
    Clock::time_point m_start;
    double m_totalSeconds = 0, m_nextDue = 0; // seconds since start
    double m_credit = 0;                      // fractional arrivals (ramps)
    std::uint64_t m_seq = 0;
    long m_done = 0;
    bool m_started = false, m_stopped = false;
};

void Connection::connect()
{
    m_connected = false;
    m_busy = false;
    m_in.clear();
    boost::system::error_code ignored;
    m_socket.close(ignored);
    m_socket.async_connect(m_load.endpoint, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec) {
            ++self->m_load.stats().errorKinds["connect: " + ec.message()];
            self->m_load.connected(false);
            auto t = std::make_shared<net::steady_timer>(self->m_socket.get_executor(), 100ms);
            t->async_wait([self, t](boost::system::error_code) { self->connect(); });
            return;
        }
        boost::system::error_code ignore;
        self->m_socket.set_option(tcp::no_delay(true), ignore);
        self->m_connected = true;
        self->m_load.connected(true);
    });
}

void Connection::send(std::string request, Clock::time_point due, int stage)
{
    m_busy = true;
    m_out = std::move(request);
    m_due = due;
    m_stage = stage;
    m_sentAt = Clock::now();
    m_needed = 0;
    m_status = 0;
    m_chunked = false;
    m_closeAfter = false;
    const auto gen = ++m_generation;
    m_timer.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(m_load.options().timeout)));
    m_timer.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
        if (!ec && self->m_generation == gen && self->m_busy) {
            ++self->m_load.stats().timeouts;
            self->fail("timeout");
        }
    });
    net::async_write(m_socket, net::buffer(m_out), [self = shared_from_this(), gen](boost::system::error_code ec, std::size_t) {
        if (self->m_generation != gen)
            return;
        if (ec)
            return self->fail("write: " + ec.message());
        self->read();
    });
}

void Connection::read()
{
    const auto gen = m_generation;
    m_socket.async_read_some(net::buffer(m_buf), [self = shared_from_this(), gen](boost::system::error_code ec, std::size_t n) {
        if (self->m_generation != gen)
            return;
        if (ec)
            return self->fail("read: " + ec.message());
        self->m_in.append(self->m_buf.data(), n);
        if (self->parse())
            return self->finish(self->m_status);
        if (self->m_generation == gen) // parse() may have failed the request and reconnected
            self->read();
    });
}

bool Connection::parse()
{
    if (m_needed == 0) {
        const auto end = m_in.find("\r\n\r\n");
        if (end == std::string::npos)
            return false;
        if (m_in.compare(0, 5, "HTTP/") != 0 || m_in.size() < 12)
            return fail("bad response"), false;
        m_status = std::atoi(m_in.c_str() + 9);
        std::string head = m_in.substr(0, end + 2);
        std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        std::size_t length = 0;
        if (const auto cl = head.find("\r\ncontent-length:"); cl != std::string::npos)
            length = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
        m_chunked = head.find("\r\ntransfer-encoding: chunked") != std::string::npos;
        m_closeAfter = head.find("\r\nconnection: close") != std::string::npos;
        m_needed = end + 4 + length;
    }
    if (m_chunked) // good enough for a load tool: the terminating zero-size chunk
        return m_in.find("\r\n0\r\n\r\n") != std::string::npos;
    return m_in.size() >= m_needed;
}

void Connection::finish(int status)
{
    ++m_generation;
    m_timer.cancel();
    const auto now = Clock::now();
    const double latency = std::chrono::duration<double, std::milli>(now - m_due).count();
    const double service = std::chrono::duration<double, std::milli>(now - m_sentAt).count();
    m_busy = false;
    if (m_in.size() > m_needed && !m_chunked)
        ++m_load.stats().errorKinds["unexpected extra bytes"];
    m_in.clear();
    if (m_closeAfter) {
        ++m_load.stats().reconnects;
        m_connected = false;
        m_load.completed(*this, status, latency, service, m_stage);
        connect();
        return;
    }
    m_load.completed(*this, status, latency, service, m_stage);
}

void Connection::fail(const std::string &kind)
{
    if (!m_busy && !m_connected)
        return;
    ++m_generation;
    m_timer.cancel();
    const bool wasBusy = m_busy;
    m_busy = false;
    m_connected = false;
    ++m_load.stats().errorKinds[kind];
    ++m_load.stats().reconnects;
    if (wasBusy) {
        ++m_load.stats().transportErrors;
        m_load.completed(*this, std::nullopt, 0, 0, m_stage);
    }
    connect();
}

double Load::rateAt(double t, int *stage) const
{
    if (m_o.stages.empty()) {
        *stage = 0;
        return m_o.rate;
    }
    double from = m_o.startRate, t0 = 0;
    for (std::size_t i = 0; i < m_o.stages.size(); ++i) {
        const Stage &s = m_o.stages[i];
        if (t < t0 + s.seconds || i + 1 == m_o.stages.size()) {
            *stage = int(i);
            const double f = s.seconds > 0 ? std::clamp((t - t0) / s.seconds, 0.0, 1.0) : 1.0;
            return from + (s.target - from) * f;
        }
        from = s.target;
        t0 += s.seconds;
    }
    return 0;
}

// Moves every request whose due time has passed into the queue, then sleeps until the next one.
void Load::schedule()
{
    if (m_stopped)
        return;
    const double now = std::chrono::duration<double>(Clock::now() - m_start).count();
    double peak = std::max(m_o.rate, m_o.startRate);
    for (const Stage &st : m_o.stages)
        peak = std::max(peak, st.target);
    const long maxQueue = m_o.maxQueue >= 0 ? m_o.maxQueue : long(std::max(1000.0, 10 * peak));
    const auto enqueue = [&](int stage) {
        if (long(m_queue.size()) >= maxQueue)
            ++m_stats.dropped;
        else
            m_queue.emplace_back(m_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(m_nextDue)),
                                 stage);
    };
    while (m_nextDue <= now && !generationOver()) {
        int stage = 0;
        const double r = rateAt(m_nextDue, &stage);
        if (m_o.stages.empty() || r >= 1000) {
            enqueue(stage); // exact spacing
            m_nextDue += 1.0 / r;
        } else {
            // Low or changing rate: integrate in 1 ms steps so a near-zero rate cannot jump ahead.
            m_nextDue += 0.001;
            m_credit += r * 0.001;
            if (m_credit >= 1) {
                m_credit -= 1;
                enqueue(stage);
            }
        }
    }
    pump();
    if (generationOver()) {
        // Generation is over; in-flight and queued requests get up to --timeout to finish.
        m_tick->expires_at(
            m_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(m_totalSeconds + m_o.timeout)));
        m_tick->async_wait([this](boost::system::error_code) {
            m_stopped = true;
            m_ioc.stop();
        });
        return;
    }
    m_tick->expires_at(m_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(m_nextDue)));
    m_tick->async_wait([this](boost::system::error_code ec) {
        if (!ec)
            schedule();
    });
}

void Load::pump()
{
    if (!m_started)
        return;
    if (!closedLoop()) {
        for (auto &c : m_conns) {
            if (m_queue.empty())
                break;
            if (c->idle()) {
                const auto [due, stage] = m_queue.front();
                m_queue.pop_front();
                sendOn(*c, due, stage);
            }
        }
        if (generationOver() && m_queue.empty() && m_done == m_stats.sent)
            m_ioc.stop(); // everything answered
        return;
    }
    const bool over = Clock::now() - m_start >= std::chrono::duration<double>(m_totalSeconds);
    if (over) {
        m_stopped = true;
        if (m_done == m_stats.sent)
            m_ioc.stop();
        return;
    }
    for (auto &c : m_conns)
        if (c->idle())
            sendOn(*c, Clock::now(), 0);
}

int Load::run()
{
    m_totalSeconds = m_o.duration;
    if (!m_o.stages.empty()) {
        m_totalSeconds = 0;
        for (const auto &s : m_o.stages)
            m_totalSeconds += s.seconds;
    }
    for (int i = 0; i < m_o.connections; ++i) {
        m_conns.push_back(std::make_shared<Connection>(*this, m_ioc));
        m_conns.back()->connect();
    }
    // Open every connection before the clock starts.
    while (std::count_if(m_conns.begin(), m_conns.end(), [](auto &c) { return c->idle(); }) < m_o.connections)
        m_ioc.run_one();
    m_ioc.restart(); // run_one() left it stopped once it ran out of work
    m_started = true;
    m_start = Clock::now();
    m_tick.emplace(m_ioc);
    if (closedLoop()) {
        m_tick->expires_after(
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(m_totalSeconds + m_o.timeout)));
        m_tick->async_wait([this](boost::system::error_code) { m_ioc.stop(); });
        net::post(m_ioc, [this] { pump(); });
        // Wake up once the duration is over even if no response arrives.
        auto endTimer = std::make_shared<net::steady_timer>(
            m_ioc, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(m_totalSeconds)));
        endTimer->async_wait([this, endTimer](boost::system::error_code) { pump(); });
    } else {
        net::post(m_ioc, [this] { schedule(); });
    }
    m_ioc.run();
    const double elapsed = std::chrono::duration<double>(Clock::now() - m_start).count();
    m_stats.dropped += long(m_queue.size());    // due, never sent
    m_stats.unfinished = m_stats.sent - m_done; // still in flight when the grace period ended
    report(elapsed);
    return 0;
}

std::string percentiles(std::vector<double> v)
{
    std::ostringstream o;
    o.setf(std::ios::fixed);
    o.precision(3);
    if (v.empty())
        return "{\"count\":0}";
    std::sort(v.begin(), v.end());
    const auto at = [&](double p) { return v[std::min(v.size() - 1, std::size_t(std::ceil(p * double(v.size())) - 1))]; };
    double sum = 0;
    for (double x : v)
        sum += x;
    o << "{\"count\":" << v.size() << ",\"mean\":" << sum / double(v.size()) << ",\"p50\":" << at(0.50) << ",\"p90\":" << at(0.90)
      << ",\"p95\":" << at(0.95) << ",\"p99\":" << at(0.99) << ",\"p999\":" << at(0.999) << ",\"max\":" << v.back() << "}";
    return o.str();
}

void Load::report(double elapsed)
{
    const Stats &s = m_stats;
    long ok = 0, httpErrors = 0;
    for (const auto &[status, n] : s.statuses)
        (status < 400 ? ok : httpErrors) += n;
    const long attempted = s.sent + s.dropped;
    const long errors = httpErrors + s.transportErrors + s.dropped + s.unfinished;
    std::ostringstream o;
    o.setf(std::ios::fixed);
    o.precision(4);
    o << "{\"scenario\":\"" << m_o.scenario << "\",\"url\":\"http://" << m_o.host << ":" << m_o.port << jsonEscape(m_o.path)
      << "\",\"mode\":\""
      << (closedLoop()         ? "closed"
          : m_o.stages.empty() ? "constant-arrival-rate"
                               : "ramping-arrival-rate")
      << "\",\"connections\":" << m_o.connections << ",\"target_rate\":" << (closedLoop() ? 0 : m_o.rate)
      << ",\"duration_s\":" << m_totalSeconds << ",\"elapsed_s\":" << elapsed << ",\"sent\":" << s.sent
      << ",\"completed\":" << ok + httpErrors << ",\"ok\":" << ok << ",\"http_errors\":" << httpErrors
      << ",\"transport_errors\":" << s.transportErrors << ",\"timeouts\":" << s.timeouts << ",\"dropped\":" << s.dropped
      << ",\"unfinished\":" << s.unfinished << ",\"errors\":" << errors
      << ",\"error_rate\":" << (attempted ? double(errors) / double(attempted) : 0.0)
      << ",\"achieved_rps\":" << double(ok + httpErrors) / std::max(elapsed, 1e-9) << ",\"reconnects\":" << s.reconnects
      << ",\"status\":{";
    bool first = true;
    for (const auto &[status, n] : s.statuses) {
        o << (first ? "" : ",") << "\"" << status << "\":" << n;
        first = false;
    }
    o << "},\"error_kinds\":{";
    first = true;
    for (const auto &[kind, n] : s.errorKinds) {
        o << (first ? "" : ",") << "\"" << jsonEscape(kind) << "\":" << n;
        first = false;
    }
    o << "},\"latency_ms\":" << percentiles(s.latencyMs) << ",\"service_ms\":" << percentiles(s.serviceMs);
    if (m_o.stages.size() > 1) {
        o << ",\"stages\":[";
        for (std::size_t i = 0; i < m_o.stages.size(); ++i)
            o << (i ? "," : "") << "{\"seconds\":" << m_o.stages[i].seconds << ",\"target\":" << m_o.stages[i].target
              << ",\"latency_ms\":" << percentiles(s.perStage[i]) << "}";
        o << "]";
    }
    o << "}\n";
    std::cout << o.str();
}

void usage()
{
    std::cerr << "usage: bw_load --url http://HOST:PORT/PATH?QUERY [--rate R (0 = closed loop)] [--duration 10s]\n"
                 "               [--stages 10s:100,20s:1000 [--start-rate R0]] [-c|--connections 64] [--timeout 10s]\n"
                 "               [--method POST] [--body-file F] [--header 'Name: value']... [--max-queue N]\n"
                 "               [--scenario url|register-burst|create-problems] [--api-key KEY[,KEY...]]...\n";
    std::exit(2);
}

Options parseArgs(int argc, char **argv)
{
    Options o;
    std::string url;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto next = [&]() -> std::string {
            if (i + 1 >= argc)
                usage();
            return argv[++i];
        };
        if (a == "--url")
            url = next();
        else if (a == "--rate")
            o.rate = std::stod(next());
        else if (a == "--start-rate")
            o.startRate = std::stod(next());
        else if (a == "--duration" || a == "-d")
            o.duration = parseSeconds(next());
        else if (a == "--timeout")
            o.timeout = parseSeconds(next());
        else if (a == "--connections" || a == "-c")
            o.connections = std::stoi(next());
        else if (a == "--method")
            o.method = next();
        else if (a == "--header" || a == "-H")
            o.headers.push_back(next());
        else if (a == "--scenario")
            o.scenario = next();
        else if (a == "--api-key") { // repeatable, or comma-separated
            std::stringstream ss(next());
            for (std::string key; std::getline(ss, key, ',');)
                if (!key.empty())
                    o.apiKeys.push_back(key);
        } else if (a == "--max-queue")
            o.maxQueue = std::stol(next());
        else if (a == "--body-file") {
            std::ifstream f(next(), std::ios::binary);
            if (!f)
                die("cannot read the body file");
            o.body.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        } else if (a == "--stages") {
            std::stringstream ss(next());
            std::string part;
            while (std::getline(ss, part, ',')) {
                const auto colon = part.find(':');
                if (colon == std::string::npos)
                    die("bad stage " + part + " (want DURATION:RATE)");
                o.stages.push_back({parseSeconds(part.substr(0, colon)), std::stod(part.substr(colon + 1))});
            }
        } else
            usage();
    }
    if (url.rfind("http://", 0) != 0)
        die("--url must start with http:// (no TLS)");
    std::string rest = url.substr(7);
    const auto slash = rest.find('/');
    o.path = slash == std::string::npos ? "/" : rest.substr(slash);
    const std::string hostPort = rest.substr(0, slash);
    const auto colon = hostPort.rfind(':');
    o.host = colon == std::string::npos ? hostPort : hostPort.substr(0, colon);
    if (colon != std::string::npos)
        o.port = hostPort.substr(colon + 1);
    if (o.connections < 1)
        die("--connections must be >= 1");
    return o;
}

} // namespace

int main(int argc, char **argv)
{
    const Options o = parseArgs(argc, argv);
    Load load(o);
    return load.run();
}
