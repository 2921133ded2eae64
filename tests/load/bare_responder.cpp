// The physical-limit baseline for GET /health: a bare Asio HTTP/1.1 keep-alive responder that
// answers every request (bodies are not expected) with a fixed JSON body of the same size class as
// ours. No routing, no parsing beyond the blank line. Usage: bare_responder PORT [THREADS=2]
#include <utility> // before Asio (platform.md: g++ 12, C++20)

#include <boost/asio.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
const std::string kBody = R"({"ok":true,"data":{"status":"ok","timestamp":"2026-01-01T00:00:00.000Z"},)"
                          R"("requestId":"00000000-0000-4000-8000-000000000000"})";
const std::string kResponse = "HTTP/1.1 200 OK\r\nServer: bare\r\nContent-Type: application/json\r\nContent-Length: "
                              + std::to_string(kBody.size()) + "\r\n\r\n" + kBody;

class Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(tcp::socket s) : m_socket(std::move(s)) { m_socket.set_option(tcp::no_delay(true)); }
    void read()
    {
        m_socket.async_read_some(net::buffer(m_buf), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
            if (ec)
                return;
            self->m_pending.append(self->m_buf.data(), n);
            std::size_t pos, answers = 0;
            while ((pos = self->m_pending.find("\r\n\r\n")) != std::string::npos) { // pipelined requests too
                self->m_pending.erase(0, pos + 4);
                ++answers;
            }
            if (answers == 0)
                return self->read();
            self->m_out.clear();
            for (std::size_t i = 0; i < answers; ++i)
                self->m_out += kResponse;
            net::async_write(self->m_socket, net::buffer(self->m_out), [self](boost::system::error_code ec2, std::size_t) {
                if (!ec2)
                    self->read();
            });
        });
    }

private:
    tcp::socket m_socket;
    std::array<char, 16384> m_buf{};
    std::string m_pending, m_out;
};

void accept(tcp::acceptor &acceptor)
{
    acceptor.async_accept(net::make_strand(acceptor.get_executor()), [&acceptor](boost::system::error_code ec, tcp::socket s) {
        if (!ec)
            std::make_shared<Session>(std::move(s))->read();
        accept(acceptor);
    });
}
} // namespace

int main(int argc, char **argv)
{
    if (argc < 2)
        return std::fprintf(stderr, "usage: bare_responder PORT [THREADS]\n"), 2;
    const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
    net::io_context ioc(threads);
    tcp::acceptor acceptor(ioc,
                           tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::atoi(argv[1]))));
    accept(acceptor);
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
}
