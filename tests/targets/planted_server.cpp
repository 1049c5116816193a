#include "planted_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

namespace ordeal::planted {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr auto nothrow = net::as_tuple(net::use_awaitable);
constexpr std::size_t max_body_bytes = 1 << 20;
constexpr auto idle_timeout = 30s;

// One keep-alive connection: read a request, answer it, until the client closes or asks to.
net::awaitable<void> session(tcp::socket socket, app& a) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    stream.expires_after(idle_timeout);
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, nothrow);
    if (read_error) {
      // A request the parser refused gets a 400; a connection that ended or broke, nothing.
      const bool bad_request =
          read_error.category() == http::make_error_code(http::error::bad_method).category() &&
          read_error != http::error::end_of_stream && read_error != http::error::partial_message;
      if (bad_request) {
        response bad{http::status::bad_request, 11};
        bad.set(http::field::content_type, "application/json");
        bad.body() = boost::json::serialize(
            boost::json::object{{"error", "malformed request: " + read_error.message()}});
        bad.keep_alive(false);
        bad.prepare_payload();
        stream.expires_after(5s);
        co_await http::async_write(stream, bad, nothrow);
      }
      break;
    }
    request req = parser.release();
    stream.expires_never();
    response res = co_await handle(req, a);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    stream.expires_after(idle_timeout);
    auto [write_error, written] = co_await http::async_write(stream, res, nothrow);
    if (write_error || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> accept_loop(tcp::acceptor& acceptor, net::io_context& pool, app& a) {
  for (;;) {
    // Each connection on its own strand: its requests run one at a time, connections in
    // parallel on every thread.
    auto strand = net::make_strand(pool);
    auto [ec, socket] = co_await acceptor.async_accept(strand, nothrow);
    if (ec == net::error::operation_aborted) co_return;
    if (ec) {
      net::steady_timer backoff(pool, 50ms);
      co_await backoff.async_wait(nothrow);
      continue;
    }
    net::co_spawn(strand, session(std::move(socket), a), net::detached);
  }
}

}  // namespace

void serve(app& a, const server_options& options,
           const std::function<void(const tcp::endpoint&)>& on_listening) {
  net::io_context ioc(static_cast<int>(options.threads));
  tcp::acceptor acceptor(ioc);
  acceptor.open(options.listen.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(options.listen);
  acceptor.listen(net::socket_base::max_listen_connections);
  on_listening(acceptor.local_endpoint());

  net::signal_set signals(ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    ioc.stop();
  });
  net::co_spawn(ioc, accept_loop(acceptor, ioc, a), net::detached);

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < options.threads; ++i)
    threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  ioc.stop();
  for (auto& t : threads)
    t.join();
}

}  // namespace ordeal::planted
