#include "metrics_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/reporters/prometheus_text.hpp"

namespace ordeal::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
// A scraper that goes quiet (or a port scanner) does not hold a connection for long.
constexpr auto idle_timeout = std::chrono::seconds(30);
constexpr auto write_timeout = std::chrono::seconds(10);

using response = http::response<http::string_body>;

response text_response(http::status status, unsigned version, bool keep_alive, std::string body) {
  response res{status, version};
  res.set(http::field::server, "ordeal");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

struct metrics_server::impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::string address;
  std::mutex mutex;
  std::shared_ptr<const std::string> snapshot;  // guarded by mutex
  std::thread thread;

  std::shared_ptr<const std::string> current() {
    std::lock_guard lock(mutex);
    return snapshot;
  }

  response answer(const http::request<http::string_body>& req) {
    const bool keep_alive = req.keep_alive();
    std::string_view target = req.target();
    target = target.substr(0, target.find('?'));
    if (target != "/metrics")
      return text_response(http::status::not_found, req.version(), keep_alive,
                           "not found: try GET /metrics\n");
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      auto res = text_response(http::status::method_not_allowed, req.version(), keep_alive,
                               "method not allowed: GET /metrics\n");
      res.set(http::field::allow, "GET, HEAD");
      return res;
    }
    const auto body = current();
    response res{http::status::ok, req.version()};
    res.set(http::field::server, "ordeal");
    res.set(http::field::content_type, reporters::prometheus_content_type);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    if (req.method() == http::verb::head) {
      res.content_length(body->size());
    } else {
      res.body() = *body;
      res.prepare_payload();
    }
    return res;
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(64 * 1024);
      stream.expires_after(idle_timeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, nothrow);
      if (ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == asio::error::eof || ec == asio::error::connection_reset)
          break;
        auto res = text_response(http::status::bad_request, 11, false,
                                 "bad request: " + ec.message() + "\n");
        stream.expires_after(write_timeout);
        co_await http::async_write(stream, res, nothrow);
        break;
      }
      auto res = answer(parser.get());
      const bool keep_alive = res.keep_alive();
      stream.expires_after(write_timeout);
      auto [wec, wn] = co_await http::async_write(stream, res, nothrow);
      if (wec || !keep_alive) break;
    }
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.close();
  }

  asio::awaitable<void> accept_loop(tcp::acceptor acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(nothrow);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) {
        // Out of descriptors: wait a moment instead of spinning on the error.
        asio::steady_timer pause(io, std::chrono::milliseconds(100));
        co_await pause.async_wait(nothrow);
        continue;
      }
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }
};

metrics_server::metrics_server(const std::string& address, std::string initial)
    : impl_(std::make_unique<impl>()) {
  const auto bad = [&](const std::string& why) {
    return engine::config_error("invalid --metrics \"" + address + "\": " + why);
  };
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size())
    throw bad("expected host:port, e.g. 127.0.0.1:9464");
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = address.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoul(port) > 65535)
    throw bad("the port must be a number from 0 to 65535");

  error_code ec;
  tcp::resolver resolver(impl_->io);
  const auto results = resolver.resolve(host, port, tcp::resolver::numeric_service, ec);
  if (ec || results.empty())
    throw bad("cannot resolve \"" + host + "\": " + (ec ? ec.message() : "no address"));
  std::string last_error = "no address";
  for (const auto& r : results) {
    tcp::acceptor acceptor(impl_->io);
    const auto ep = r.endpoint();
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    const auto bound = ec ? tcp::endpoint() : acceptor.local_endpoint(ec);
    if (ec) {
      last_error = ec.message();
      continue;
    }
    const auto ip = bound.address();
    impl_->address = (ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string()) + ":" +
                     std::to_string(bound.port());
    asio::co_spawn(impl_->io, impl_->accept_loop(std::move(acceptor)), asio::detached);
    break;
  }
  if (impl_->address.empty()) throw bad("cannot listen: " + last_error);
  impl_->snapshot = std::make_shared<const std::string>(std::move(initial));
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

metrics_server::~metrics_server() {
  // Stopping the loop abandons the accept and the sessions; destroying the io_context (with
  // impl) destroys their frames, closing every socket.
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

const std::string& metrics_server::address() const noexcept {
  return impl_->address;
}

void metrics_server::publish(std::string body) {
  auto next = std::make_shared<const std::string>(std::move(body));
  std::lock_guard lock(impl_->mutex);
  impl_->snapshot = std::move(next);
}

}  // namespace ordeal::cli
