#include "http_server.hpp"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <condition_variable>
#include <system_error>

namespace ordeal::targets::demo {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;

namespace {

constexpr auto nothrow = net::as_tuple(net::use_awaitable);
constexpr std::size_t max_body_bytes = 1 << 20;

tcp::acceptor make_acceptor(net::io_context& ioc, const http_server_options& o) {
  tcp::acceptor acceptor(ioc);
  boost::system::error_code ec;
  if (o.listen_fd >= 0) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(o.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::system_error(errno, std::generic_category(),
                              "inherited listening socket " + std::to_string(o.listen_fd));
    }
    acceptor.assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), o.listen_fd, ec);
    if (ec) throw std::system_error(ec, "cannot adopt the inherited listening socket");
    return acceptor;
  }
  const auto where = o.address + ":" + std::to_string(o.port);
  const auto address = net::ip::make_address(o.address, ec);
  if (ec) throw std::system_error(ec, "bad listen address " + o.address);
  const tcp::endpoint endpoint(address, o.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "cannot listen on " + where);
  return acceptor;
}

}  // namespace

http_server::http_server(http_server_options o, handler h)
    : options_(std::move(o)),
      handler_(std::move(h)),
      ioc_(static_cast<int>(options_.threads)),
      acceptor_(make_acceptor(ioc_, options_)) {
  port_ = acceptor_.local_endpoint().port();
}

http_server::~http_server() {
  stop(std::chrono::seconds(5));
}

int http_server::listen_fd() noexcept {
  return acceptor_.native_handle();
}

void http_server::start() {
  net::co_spawn(ioc_, accept_loop(), net::detached);
  for (unsigned i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this] {
      ioc_.run();
      ++threads_done_;
    });
  }
}

net::awaitable<void> http_server::accept_loop() {
  net::steady_timer backoff(ioc_);
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(net::make_strand(ioc_), nothrow);
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
      // A connection accepted as we stopped is still served (it closes after one response).
      if (!ec && socket.is_open())
        net::co_spawn(socket.get_executor(), serve(std::move(socket)), net::detached);
      co_return;
    }
    if (ec) {
      // Out of descriptors: let connections close rather than spin on accept.
      backoff.expires_after(std::chrono::milliseconds{50});
      co_await backoff.async_wait(nothrow);
      continue;
    }
    auto executor = socket.get_executor();
    net::co_spawn(executor, serve(std::move(socket)), net::detached);
  }
}

net::awaitable<bool> http_server::wait_for_request(tcp::socket& socket) {
  using namespace net::experimental::awaitable_operators;
  const auto idle_since = clock::now();
  net::steady_timer tick(socket.get_executor());
  for (;;) {
    tick.expires_after(std::chrono::milliseconds{100});
    auto which =
        co_await (socket.async_wait(tcp::socket::wait_read, nothrow) || tick.async_wait(nothrow));
    if (which.index() == 0) co_return !std::get<0>(std::get<0>(which));
    const auto idle = clock::now() - idle_since;
    if (draining_.load() && idle >= options_.drain_idle) co_return false;
    if (idle >= options_.idle_timeout) co_return false;
  }
}

net::awaitable<void> http_server::serve(tcp::socket socket) {
  const int fd = socket.native_handle();
  {
    std::lock_guard lock(fds_mutex_);
    fds_.insert(fd);
  }
  ++open_;
  peer_info peer;
  {
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    peer.loopback = !ec && remote.address().is_loopback();
  }
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    if (buffer.size() == 0) {
      const bool more = co_await wait_for_request(stream.socket());
      if (!more) break;
    }
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    parser.header_limit(16 * 1024);
    stream.expires_after(options_.io_timeout);
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, nothrow);
    if (read_ec) {
      // A request that is not HTTP gets one 400 and the door; a closed connection, nothing.
      const bool protocol_error =
          read_ec.category() == make_error_code(http::error::end_of_stream).category() &&
          read_ec != http::error::end_of_stream && read_ec != http::error::partial_message;
      if (protocol_error) {
        response res = error_response(400, "bad request: " + read_ec.message());
        res.keep_alive(false);
        res.prepare_payload();
        stream.expires_after(options_.io_timeout);
        co_await http::async_write(stream, res, nothrow);
      }
      break;
    }
    co_await hold_while_frozen();
    request req = parser.release();
    response res;
    try {
      res = handler_(req, peer);
    } catch (const http_error& e) {
      res = error_response(e.status_, e.what());
    } catch (const std::exception& e) {
      res = error_response(500, std::string("internal error: ") + e.what());
    }
    co_await hold_while_frozen();
    const bool keep = req.keep_alive() && !draining_.load();
    res.version(req.version() == 10 ? 10 : 11);
    res.keep_alive(keep);
    res.prepare_payload();
    stream.expires_after(options_.io_timeout);
    auto [write_ec, write_n] = co_await http::async_write(stream, res, nothrow);
    if (write_ec || !keep) break;
    stream.expires_never();
  }
  {
    std::lock_guard lock(fds_mutex_);
    fds_.erase(fd);
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.socket().close(ec);
  }
  --open_;
}

net::awaitable<void> http_server::hold_while_frozen() {
  if (!frozen_.load()) co_return;
  // Until the process exits (it does within seconds of freezing) or thaws (a failed restart).
  net::steady_timer t(co_await net::this_coro::executor);
  while (frozen_.load()) {
    t.expires_after(std::chrono::milliseconds{20});
    co_await t.async_wait(nothrow);
  }
}

void http_server::freeze() {
  frozen_.store(true);
}

void http_server::thaw() {
  frozen_.store(false);
}

bool http_server::drain(clock::time_point deadline) {
  draining_.store(true);
  net::post(ioc_, [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  while (open_.load() > 0 && clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return open_.load() == 0;
}

void http_server::abort_connections() {
  std::lock_guard lock(fds_mutex_);
  const linger hard{1, 0};
  for (int fd : fds_)
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
}

bool http_server::stop(std::chrono::milliseconds grace) {
  if (threads_.empty()) return true;
  ioc_.stop();
  const auto until = clock::now() + grace;
  while (threads_done_.load() < threads_.size() && clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  if (threads_done_.load() < threads_.size()) {
    for (auto& t : threads_)
      t.detach();  // a handler is stuck: the caller exits anyway
    threads_.clear();
    return false;
  }
  for (auto& t : threads_)
    t.join();
  threads_.clear();
  return true;
}

}  // namespace ordeal::targets::demo
