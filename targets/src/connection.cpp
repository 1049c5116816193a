#include "connection.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <string>
#include <tuple>
#include <variant>

#include "request_head_parser.hpp"
#include "response.hpp"

namespace ordeal::targets::detail {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using clock = std::chrono::steady_clock;
using tcp = net::ip::tcp;

// Errors are values on the data plane: no exception per failed read or write.
constexpr auto nothrow = net::as_tuple(net::use_awaitable);

// A closing connection reads what the client still sends for this long, so that the
// client sees our last response instead of a reset (the kernel resets a socket closed
// with unread data).
constexpr auto linger_for = std::chrono::seconds{1};

struct connection {
  tcp::socket socket_;
  worker& worker_;
  net::steady_timer delay_timer_;
  net::steady_timer watchdog_timer_;
  // Reading a request or writing a response must end by then; max while a response is
  // being delayed on purpose.
  clock::time_point deadline_ = clock::time_point::max();

  connection(tcp::socket socket, worker& w)
      : socket_(std::move(socket)),
        worker_(w),
        delay_timer_(socket_.get_executor()),
        watchdog_timer_(socket_.get_executor()) {}
};

// Closes the socket when a read or write phase outlives its deadline, which ends the
// pending operation. Wakes at most once per idle timeout while the connection is busy, so
// the request path only stores a time point (no timer operation per request).
net::awaitable<void> watchdog(connection& c) {
  for (;;) {
    const auto now = clock::now();
    if (c.deadline_ <= now) {
      error_code ignored;
      c.socket_.close(ignored);
      co_return;
    }
    c.watchdog_timer_.expires_at(std::min(c.deadline_, now + c.worker_.settings_.idle_timeout));
    co_await c.watchdog_timer_.async_wait(nothrow);
    // Cancelled because serve_requests() finished (rather than woken early by a shorter
    // deadline).
    if ((co_await net::this_coro::cancellation_state).cancelled() != net::cancellation_type::none) {
      co_return;
    }
  }
}

bool is_http_error(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

std::chrono::nanoseconds draw_delay(const response_shape& shape, worker& w) {
  auto delay = shape.delay;
  if (shape.jitter.count() > 0) {
    std::uniform_int_distribution<std::int64_t> offset(-shape.jitter.count(), shape.jitter.count());
    delay += std::chrono::nanoseconds{offset(w.rng_)};
  }
  return std::max(delay, std::chrono::nanoseconds{0});
}

// Holds the response until it is due and, if that falls in a stall, until the stall ends.
// False when the connection is gone.
net::awaitable<bool> hold(connection& c, std::chrono::nanoseconds delay) {
  const auto& settings = c.worker_.settings_;
  if (delay.count() == 0 && !settings.stalls.enabled()) co_return true;
  const auto now = clock::now();
  auto due = now + delay;
  if (settings.stalls.enabled())
    due = settings.epoch + settings.stalls.release(due - settings.epoch);
  if (due <= now) co_return true;
  c.deadline_ = clock::time_point::max();
  c.delay_timer_.expires_at(due);
  const auto [ec] = co_await c.delay_timer_.async_wait(nothrow);
  co_return !ec;
}

// Head and body in one gathered write when the body fits one filler chunk (every common
// case), else the rest in chunks sent from the same static storage.
net::awaitable<error_code> write_response(connection& c, std::string_view head,
                                          std::string_view body, std::uint64_t filler_bytes) {
  c.deadline_ = clock::now() + c.worker_.settings_.idle_timeout;
  c.worker_.served_.fetch_add(1, std::memory_order_relaxed);
  if (filler_bytes == 0) {
    const std::array buffers{net::buffer(head), net::buffer(body)};
    const auto [ec, n] = co_await net::async_write(c.socket_, buffers, nothrow);
    co_return ec;
  }
  std::uint64_t left = filler_bytes;
  auto chunk = filler(filler_bytes,
                      static_cast<std::size_t>(std::min<std::uint64_t>(left, filler_chunk_bytes)));
  const std::array first{net::buffer(head), net::buffer(chunk)};
  auto [ec, n] = co_await net::async_write(c.socket_, first, nothrow);
  left -= chunk.size();
  while (!ec && left > 0) {
    c.deadline_ = clock::now() + c.worker_.settings_.idle_timeout;  // idle: no progress
    chunk = filler(filler_bytes,
                   static_cast<std::size_t>(std::min<std::uint64_t>(left, filler_chunk_bytes)));
    std::tie(ec, n) = co_await net::async_write(c.socket_, net::buffer(chunk), nothrow);
    left -= chunk.size();
  }
  co_return ec;
}

// After a response with "Connection: close": FIN first, then drain what the client still
// sends (bounded by linger_for through the watchdog) so it reads our response, not a reset.
net::awaitable<void> close_gracefully(connection& c) {
  error_code ignored;
  c.socket_.shutdown(tcp::socket::shutdown_send, ignored);
  c.deadline_ = clock::now() + linger_for;
  c.watchdog_timer_.cancel();  // wake it to pick up the shorter deadline
  std::array<char, 4096> sink;
  for (;;) {
    const auto [ec, n] = co_await c.socket_.async_read_some(net::buffer(sink), nothrow);
    if (ec) co_return;
  }
}

// An error response after which the connection cannot go on (unparseable or oversized
// request: the framing of what follows is unknown).
net::awaitable<void> reject_and_close(connection& c, unsigned status, std::string_view body) {
  if (!co_await hold(c, std::chrono::nanoseconds{0})) co_return;
  head_buffer head_storage;
  const auto head = render_head(head_storage, status, body.size(), connection_header::close);
  if (co_await write_response(c, head, body, 0)) co_return;
  co_await close_gracefully(c);
}

net::awaitable<void> serve_requests(connection& c) {
  const auto& settings = c.worker_.settings_;
  boost::beast::flat_buffer buffer;
  head_buffer head_storage;
  std::string message;  // a 400's body; keeps its capacity across requests
  for (;;) {
    request_head_parser parser(settings.max_header_bytes);
    c.deadline_ = clock::now() + settings.idle_timeout;
    auto [ec, n] = co_await http::async_read_header(c.socket_, buffer, parser, nothrow);
    if (!ec && !parser.is_done()) {
      if (parser.expect_continue()) {
        constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        std::tie(ec, n) = co_await net::async_write(c.socket_, net::buffer(go_on), nothrow);
      }
      if (!ec) std::tie(ec, n) = co_await http::async_read(c.socket_, buffer, parser, nothrow);
    }
    if (ec == http::error::header_limit) {
      message = "request header too large (at most " + std::to_string(settings.max_header_bytes) +
                " bytes)\n";
      co_return co_await reject_and_close(c, 431, message);
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) co_return;
    if (is_http_error(ec)) {
      message = "malformed request: " + ec.message() + "\n";
      co_return co_await reject_and_close(c, 400, message);
    }
    if (ec) co_return;  // reset, closed by the watchdog, stopped

    const bool keep_alive = parser.keep_alive();
    const auto connection = !keep_alive              ? connection_header::close
                            : parser.version() == 10 ? connection_header::keep_alive
                                                     : connection_header::none;
    std::string_view head;
    std::string_view body;
    std::uint64_t filler_bytes = 0;
    std::chrono::nanoseconds delay{0};
    if (const auto* error = std::get_if<std::string>(&parser.shape())) {
      message.assign(*error).push_back('\n');
      head = render_head(head_storage, 400, message.size(), connection);
      body = message;
    } else {
      const auto& shape = std::get<response_shape>(parser.shape());
      delay = draw_delay(shape, c.worker_);
      // No body, and for 204 and 304 no Content-Length either: the status delimits them.
      const bool bodiless_status = shape.status == 204 || shape.status == 304;
      head =
          render_head(head_storage, shape.status,
                      bodiless_status ? std::nullopt : std::optional{shape.size_bytes}, connection);
      if (!bodiless_status && !parser.head_method()) {
        if (shape.size_bytes <= filler_chunk_bytes) {
          body = filler(shape.size_bytes, static_cast<std::size_t>(shape.size_bytes));
        } else {
          filler_bytes = shape.size_bytes;
        }
      }
    }
    if (!co_await hold(c, delay)) co_return;
    if (co_await write_response(c, head, body, filler_bytes)) co_return;
    if (!keep_alive) co_return co_await close_gracefully(c);
  }
}

}  // namespace

net::awaitable<void> serve_connection(tcp::socket socket, worker& w) {
  using namespace net::experimental::awaitable_operators;
  error_code ignored;
  // Responses go out in one write each; Nagle would hold pipelined ones for an ACK.
  socket.set_option(tcp::no_delay(true), ignored);
  connection c(std::move(socket), w);
  co_await (serve_requests(c) || watchdog(c));
}

}  // namespace ordeal::targets::detail
