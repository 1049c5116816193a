#include "hostile_server.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <list>
#include <mutex>
#include <random>
#include <string>
#include <thread>

namespace ordeal::test {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// Errors are values here: a hostile server sees resets and aborted writes all the time.
constexpr auto nothrow_awaitable = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view ok_response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
constexpr std::string_view close_response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: "
    "close\r\n\r\nhello";
// Promises 1000 body bytes; the body that follows is cut_body_bytes long.
constexpr std::string_view cut_head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
constexpr std::size_t cut_body_bytes = 100;
constexpr std::string_view huge_head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Huge: ";
constexpr std::string_view huge_tail = "\r\n\r\n";
constexpr std::size_t huge_piece_bytes = 64 * 1024;
constexpr std::string_view trickle_head = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n";
constexpr std::string_view trickle_body = "abcdefghijklmnopqrst";
constexpr std::string_view bad_chunked_response =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n";
constexpr std::string_view bad_status_response =
    "HTTP/1.1 2OO OK\r\nContent-Length: 5\r\n\r\nhello";
// Two responses, one write: the second arrives before any request asked for it.
constexpr std::string_view double_response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
constexpr std::string_view negative_length_response =
    "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello";

// Closing with SO_LINGER {1, 0} makes the kernel send RST and drop whatever is unsent.
void reset(tcp::socket& socket) noexcept {
  error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

// FIN after everything written so far.
void close_cleanly(tcp::socket& socket) noexcept {
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

}  // namespace

std::string_view to_string(hostile_behaviour b) noexcept {
  switch (b) {
    case hostile_behaviour::ok:
      return "ok";
    case hostile_behaviour::close_after_response:
      return "close_after_response";
    case hostile_behaviour::garbage:
      return "garbage";
    case hostile_behaviour::truncated_body:
      return "truncated_body";
    case hostile_behaviour::reset_mid_body:
      return "reset_mid_body";
    case hostile_behaviour::huge_header:
      return "huge_header";
    case hostile_behaviour::trickle:
      return "trickle";
    case hostile_behaviour::silent:
      return "silent";
    case hostile_behaviour::bad_chunked:
      return "bad_chunked";
    case hostile_behaviour::bad_status_line:
      return "bad_status_line";
    case hostile_behaviour::unsolicited_extra:
      return "unsolicited_extra";
    case hostile_behaviour::negative_content_length:
      return "negative_content_length";
    case hostile_behaviour::reset_on_accept:
      return "reset_on_accept";
  }
  return "unknown";
}

class hostile_server::impl {
 public:
  impl(hostile_behaviour behaviour, hostile_server_options options)
      : behaviour_(behaviour), options_(options) {
    // Start-up errors (no port, no socket) throw: a test cannot run without its server.
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    huge_piece_.assign(huge_piece_bytes, 'a');
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { run(); });
  }

  ~impl() { stop(); }

  void stop() noexcept {
    std::lock_guard lock(stop_mutex_);
    if (!thread_.joinable()) return;
    // Everything that touches sockets runs on the server thread; closing them there makes every
    // pending operation complete with an error, so the coroutines end and run() returns.
    asio::post(io_, [this] {
      stopping_ = true;
      error_code ignored;
      acceptor_.close(ignored);
      accept_backoff_.cancel();
      for (connection& c : live_) {
        c.timer.cancel();
        reset(c.socket);
      }
    });
    thread_.join();
  }

  std::uint16_t port_ = 0;
  const hostile_behaviour behaviour_;
  std::atomic<std::uint64_t> requests_received_{0};
  std::atomic<std::uint64_t> connections_accepted_{0};
  std::atomic<std::uint64_t> connections_open_{0};

 private:
  struct connection {
    connection(tcp::socket s, asio::io_context& io, std::uint64_t seed)
        : socket(std::move(s)), timer(io), rng(seed) {}
    tcp::socket socket;
    asio::steady_timer timer;  // trickle pacing; cancelled by stop()
    std::mt19937_64 rng;       // garbage bytes, seeded per connection
    std::string scratch;       // answers built per request; bounded by the largest one
  };

  void run() noexcept {
    // Handlers here do not throw (errors are values); if one ever does, keep serving so that
    // stop() can still drain and join.
    for (;;) {
      try {
        io_.run();
        return;
      } catch (...) {
      }
    }
  }

  asio::awaitable<void> accept_loop() {
    for (std::uint64_t index = 0;; ++index) {
      auto [ec, socket] = co_await acceptor_.async_accept(nothrow_awaitable);
      if (stopping_ || !acceptor_.is_open()) co_return;
      if (ec) {
        // Out of descriptors and the like: back off instead of spinning on the error.
        accept_backoff_.expires_after(std::chrono::milliseconds(10));
        co_await accept_backoff_.async_wait(nothrow_awaitable);
        continue;
      }
      ++connections_accepted_;
      if (behaviour_ == hostile_behaviour::reset_on_accept) {
        reset(socket);
        continue;
      }
      ++connections_open_;
      asio::co_spawn(io_, serve(std::move(socket), options_.seed + index), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket, std::uint64_t seed) {
    // The registry lets stop() reach this socket; the guard keeps it and the count exact
    // however the coroutine ends.
    auto it = live_.emplace(live_.end(), std::move(socket), io_, seed);
    struct unregister {
      impl* self;
      std::list<connection>::iterator it;
      ~unregister() {
        self->live_.erase(it);
        --self->connections_open_;
      }
    } guard{this, it};
    connection& c = *it;

    std::string head;  // bounded by max_request_head_bytes
    for (;;) {
      auto [ec, n] = co_await asio::async_read_until(
          c.socket, asio::dynamic_buffer(head, options_.max_request_head_bytes), "\r\n\r\n",
          nothrow_awaitable);
      if (ec || stopping_) co_return;  // EOF, reset, head too long, or stop()
      head.erase(0, n);                // keep pipelined bytes for the next round
      ++requests_received_;
      const bool keep_open = co_await answer(c);
      if (!keep_open) co_return;
    }
  }

  // What ends a canned answer.
  enum class then : std::uint8_t { keep_open, close_cleanly, reset };

  // Answers one request; false when the connection is finished. The awaits stay out of the
  // switch: GCC 12 miscompiles `if (co_await ...)` in a switch case (it crashes on resume).
  asio::awaitable<bool> answer(connection& c) {
    bool written = false;
    if (behaviour_ == hostile_behaviour::silent) {
      co_return true;
    } else if (behaviour_ == hostile_behaviour::huge_header) {
      written = co_await write_huge_header(c);
    } else if (behaviour_ == hostile_behaviour::trickle) {
      written = co_await write_trickle(c);
    } else {
      then after = then::keep_open;
      const std::string_view bytes = canned_answer(c, after);
      written = co_await write(c, bytes);
      if (written && after == then::close_cleanly) close_cleanly(c.socket);
      if (written && after == then::reset) reset(c.socket);
      written = written && after == then::keep_open;
    }
    co_return written;
  }

  // The whole answer of a behaviour that writes once; garbage and cut ones are built in the
  // connection's scratch buffer.
  std::string_view canned_answer(connection& c, then& after) {
    switch (behaviour_) {
      case hostile_behaviour::ok:
        return ok_response;
      case hostile_behaviour::close_after_response:
        after = then::close_cleanly;
        return close_response;
      case hostile_behaviour::garbage:
        c.scratch.resize(options_.garbage_bytes);
        for (char& b : c.scratch)
          b = static_cast<char>(c.rng() & 0xff);
        // Random bytes could start like a status line by chance; never let them.
        if (!c.scratch.empty() && (c.scratch[0] == 'H' || c.scratch[0] == 'h')) {
          c.scratch[0] = '\x01';
        }
        return c.scratch;
      case hostile_behaviour::truncated_body:
      case hostile_behaviour::reset_mid_body:
        after = behaviour_ == hostile_behaviour::truncated_body ? then::close_cleanly : then::reset;
        c.scratch.assign(cut_head);
        c.scratch.append(cut_body_bytes, 'x');
        return c.scratch;
      case hostile_behaviour::bad_chunked:
        return bad_chunked_response;
      case hostile_behaviour::bad_status_line:
        return bad_status_response;
      case hostile_behaviour::unsolicited_extra:
        return double_response;
      case hostile_behaviour::negative_content_length:
        return negative_length_response;
      case hostile_behaviour::huge_header:
      case hostile_behaviour::trickle:
      case hostile_behaviour::silent:
      case hostile_behaviour::reset_on_accept:
        break;  // not canned
    }
    after = then::reset;
    return {};
  }

  asio::awaitable<bool> write(connection& c, std::string_view bytes) {
    auto [ec, n] = co_await asio::async_write(c.socket, asio::buffer(bytes), nothrow_awaitable);
    co_return !ec && !stopping_;
  }

  asio::awaitable<bool> write_huge_header(connection& c) {
    // Pieces of one shared buffer: the header is never in memory whole, and a client that
    // closes stops the writing at the next piece.
    bool written = co_await write(c, huge_head);
    for (std::size_t left = options_.huge_header_bytes; written && left > 0;) {
      const std::size_t piece = std::min(left, huge_piece_.size());
      written = co_await write(c, std::string_view(huge_piece_).substr(0, piece));
      left -= piece;
    }
    if (!written) co_return false;
    written = co_await write(c, huge_tail);
    co_return written;
  }

  asio::awaitable<bool> write_trickle(connection& c) {
    bool written = co_await write(c, trickle_head);
    for (std::size_t i = 0; written && i < trickle_body.size(); ++i) {
      c.timer.expires_after(options_.trickle_interval);
      auto [ec] = co_await c.timer.async_wait(nothrow_awaitable);
      if (ec || stopping_) co_return false;
      written = co_await write(c, trickle_body.substr(i, 1));
    }
    co_return written;
  }

  const hostile_server_options options_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  asio::steady_timer accept_backoff_{io_};
  std::list<connection> live_;  // server thread only
  bool stopping_ = false;       // server thread only
  std::string huge_piece_;
  std::mutex stop_mutex_;
  std::thread thread_;
};

hostile_server::hostile_server(hostile_behaviour behaviour, hostile_server_options options)
    : impl_(std::make_unique<impl>(behaviour, options)) {}

hostile_server::~hostile_server() = default;

std::uint16_t hostile_server::port() const noexcept {
  return impl_->port_;
}
hostile_behaviour hostile_server::behaviour() const noexcept {
  return impl_->behaviour_;
}
std::uint64_t hostile_server::requests_received() const noexcept {
  return impl_->requests_received_.load();
}
std::uint64_t hostile_server::connections_accepted() const noexcept {
  return impl_->connections_accepted_.load();
}
std::uint64_t hostile_server::connections_open() const noexcept {
  return impl_->connections_open_.load();
}
void hostile_server::stop() noexcept {
  impl_->stop();
}

}  // namespace ordeal::test
