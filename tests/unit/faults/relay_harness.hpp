#pragma once

// A fault proxy in front of a test server, and a client, for the toxics' tests: real sockets
// on 127.0.0.1 (port 0), every wait bounded by a deadline.
//
//   relay r(upstream_server::echo());            // proxy "p" -> echo server
//   r.add(R"({"type": "latency", "attributes": {"latency": 100}})");
//   client c(r.proxy_address);
//
// The upstream server either echoes or "exchanges": it sends `send_bytes` of seeded data
// (then FIN) while it reads everything the client sends, keeping a count and a checksum per
// connection, so that each direction of a stream is checked on its own.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ordeal/faults/fault_server.hpp"
#include "ordeal/faults/spec.hpp"

namespace ordeal::test::relay_harness {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// ---- data ---------------------------------------------------------------------------------

inline constexpr std::uint64_t fnv_basis = 0xcbf29ce484222325ULL;

inline std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h = fnv_basis) {
  for (const unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// `n` bytes of splitmix64 output: the same seed, the same bytes.
inline std::string seeded_bytes(std::size_t n, std::uint64_t seed) {
  std::string out(n, '\0');
  std::uint64_t state = seed;
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (std::size_t j = 0; j < 8 && i + j < n; ++j)
      out[i + j] = static_cast<char>(z >> (8 * j));
  }
  return out;
}

// Entries in /proc/self/fd (the iterator's own descriptor included, every time alike).
inline std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

// Polls `done` until it holds or `timeout` passes; returns its last answer.
inline bool eventually(const std::function<bool()>& done, clock::duration timeout = 5s) {
  const auto deadline = clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

inline double seconds(clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// ---- the upstream server ------------------------------------------------------------------

class upstream_server {
 public:
  enum class mode { echo, exchange };
  struct options {
    mode what = mode::echo;
    std::size_t send_bytes = 0;  // exchange: sent on every connection, then FIN
    std::uint64_t seed = 0;      // exchange: of the bytes sent
  };
  // What one connection received (exchange).
  struct record {
    std::uint64_t received = 0;  // bytes
    std::uint64_t digest = fnv_basis;
    bool eof = false;    // the client's FIN arrived
    bool error = false;  // a reset or another error ended it
    bool sent_all = false;
  };

  static options echo() { return {}; }
  static options exchange(std::size_t send_bytes, std::uint64_t seed) {
    return {mode::exchange, send_bytes, seed};
  }

  explicit upstream_server(options o)
      : options_(o),
        data_(o.what == mode::exchange ? seeded_bytes(o.send_bytes, o.seed) : std::string()),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    address_ = "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~upstream_server() {
    io_.stop();
    thread_.join();
  }
  upstream_server(const upstream_server&) = delete;
  upstream_server& operator=(const upstream_server&) = delete;

  const std::string& address() const noexcept { return address_; }
  const std::string& data() const noexcept { return data_; }
  std::vector<record> records() const {
    std::lock_guard lock(mutex_);
    return {records_.begin(), records_.end()};
  }
  std::size_t accepted() const {
    std::lock_guard lock(mutex_);
    return records_.size();
  }
  std::size_t open_connections() const noexcept { return open_.load(); }

 private:
  using tcp = boost::asio::ip::tcp;
  static constexpr auto nothrow = boost::asio::as_tuple(boost::asio::use_awaitable);

  boost::asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(nothrow);
      if (ec) {
        if (ec == boost::asio::error::operation_aborted) co_return;
        continue;
      }
      std::size_t index = 0;
      {
        std::lock_guard lock(mutex_);
        index = records_.size();
        records_.emplace_back();
      }
      auto s = std::make_shared<tcp::socket>(std::move(socket));
      boost::system::error_code ignored;
      s->set_option(tcp::no_delay(true), ignored);
      ++open_;
      auto guard = std::shared_ptr<void>(nullptr, [this](void*) { --open_; });
      if (options_.what == mode::echo) {
        boost::asio::co_spawn(io_, echo(s, guard), boost::asio::detached);
      } else {
        boost::asio::co_spawn(io_, receive(s, index, guard), boost::asio::detached);
        boost::asio::co_spawn(io_, send(s, index, guard), boost::asio::detached);
      }
    }
  }

  boost::asio::awaitable<void> echo(std::shared_ptr<tcp::socket> s, std::shared_ptr<void>) {
    std::vector<char> buf(64 * 1024);
    for (;;) {
      auto [ec, n] = co_await s->async_read_some(boost::asio::buffer(buf), nothrow);
      if (ec == boost::asio::error::eof) {
        boost::system::error_code ignored;
        s->shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
      if (ec) co_return;
      auto [wec, w] =
          co_await boost::asio::async_write(*s, boost::asio::buffer(buf.data(), n), nothrow);
      if (wec) co_return;
    }
  }

  boost::asio::awaitable<void> receive(std::shared_ptr<tcp::socket> s, std::size_t index,
                                       std::shared_ptr<void>) {
    std::vector<char> buf(64 * 1024);
    for (;;) {
      auto [ec, n] = co_await s->async_read_some(boost::asio::buffer(buf), nothrow);
      std::lock_guard lock(mutex_);
      auto& r = records_[index];
      if (ec) {
        (ec == boost::asio::error::eof ? r.eof : r.error) = true;
        break;
      }
      r.received += n;
      r.digest = fnv1a({buf.data(), n}, r.digest);
    }
    boost::system::error_code ignored;
    if (records_[index].error) s->close(ignored);  // unblocks the sender
  }

  boost::asio::awaitable<void> send(std::shared_ptr<tcp::socket> s, std::size_t index,
                                    std::shared_ptr<void>) {
    auto [ec, n] = co_await boost::asio::async_write(*s, boost::asio::buffer(data_), nothrow);
    if (ec) co_return;
    boost::system::error_code ignored;
    s->shutdown(tcp::socket::shutdown_send, ignored);
    std::lock_guard lock(mutex_);
    records_[index].sent_all = true;
  }

  options options_;
  std::string data_;
  mutable std::mutex mutex_;
  std::deque<record> records_;
  std::atomic<std::size_t> open_{0};
  // After what the connections' coroutines touch: destroying it destroys their frames.
  boost::asio::io_context io_{1};
  tcp::acceptor acceptor_;
  std::string address_;
  std::thread thread_;
};

// ---- the client ---------------------------------------------------------------------------

struct read_result {
  std::string data;
  bool eof = false;
  int error = 0;       // errno of a failed read (ECONNRESET, ...)
  int send_error = 0;  // exchange: errno of a failed write (EPIPE, ECONNRESET)
  bool timed_out = false;
  std::size_t reads = 0;              // how many reads returned data
  clock::time_point first_byte_at{};  // when data first arrived
  clock::time_point last_byte_at{};   // when data last arrived
  clock::time_point ended_at{};       // EOF, error or deadline
};

// A blocking-style client over a non-blocking socket: every call waits at most until its
// deadline.
class client {
 public:
  explicit client(const std::string& address, clock::duration timeout = 5s) {
    const auto colon = address.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
    ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      connect_error_ = errno;
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0) return;
    if (errno != EINPROGRESS) {
      connect_error_ = errno;
      close();
      return;
    }
    if (wait(POLLOUT, clock::now() + timeout) <= 0) {
      connect_error_ = ETIMEDOUT;
      close();
      return;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == ECONNRESET || err == EPIPE) {
      // Accepted, then reset before we looked (a proxy that drops at once): connected, and
      // the first read reports the reset that reading SO_ERROR consumed.
      pending_error_ = err;
    } else if (err != 0) {
      connect_error_ = err;
      close();
    }
  }
  ~client() { close(); }
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  bool connected() const noexcept { return fd_ >= 0; }
  int connect_error() const noexcept { return connect_error_; }

  // Sends everything (0), or fails with errno (ETIMEDOUT at the deadline).
  int send_all(std::string_view bytes, clock::time_point deadline) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return errno;
      if (wait(POLLOUT, deadline) <= 0) return ETIMEDOUT;
    }
    return 0;
  }

  // Reads until `want` bytes have arrived, EOF, an error or the deadline.
  read_result read(std::size_t want, clock::time_point deadline) {
    read_result r;
    while (!step_read(r) && r.data.size() < want) {
      if (wait(POLLIN, deadline) <= 0) {
        r.timed_out = true;
        break;
      }
    }
    r.ended_at = clock::now();
    return r;
  }
  read_result read_to_end(clock::time_point deadline) { return read(SIZE_MAX, deadline); }

  // Sends `out` then FIN while reading everything until EOF (both at once: neither side
  // blocks the other on full buffers), an error or the deadline.
  read_result exchange(std::string_view out, clock::time_point deadline) {
    read_result r;
    bool shut = false;
    bool read_done = false;
    for (;;) {
      if (!read_done) read_done = step_read(r);
      if (r.error != 0) break;
      if (!out.empty()) {
        const ssize_t n =
            ::send(fd_, out.data(), std::min<std::size_t>(out.size(), 256 * 1024), MSG_NOSIGNAL);
        if (n > 0) {
          out.remove_prefix(static_cast<std::size_t>(n));
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          r.send_error = errno;  // the peer is gone or stopped reading: read what came
          out = {};
          shut = true;
        }
      }
      if (out.empty() && !shut) {
        ::shutdown(fd_, SHUT_WR);
        shut = true;
      }
      if (read_done && out.empty()) break;
      const auto events =
          static_cast<short>((read_done ? 0 : POLLIN) | (out.empty() ? 0 : POLLOUT));
      if (wait(events, deadline) <= 0) {
        r.timed_out = true;
        break;
      }
    }
    r.ended_at = clock::now();
    return r;
  }

  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }
  // Close with RST instead of FIN.
  void reset() {
    if (fd_ < 0) return;
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close();
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  // One non-blocking read into r: true when the stream ended (EOF or error).
  bool step_read(read_result& r) {
    if (pending_error_ != 0) {
      r.error = pending_error_;
      return true;
    }
    char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        const auto now = clock::now();
        if (r.data.empty()) r.first_byte_at = now;
        r.last_byte_at = now;
        ++r.reads;
        r.data.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) {
        r.eof = true;
        return true;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      if (errno == EINTR) continue;
      r.error = errno;
      return true;
    }
  }

  // poll: > 0 ready, 0 deadline passed, < 0 error.
  int wait(short events, clock::time_point deadline) {
    for (;;) {
      const auto left = deadline - clock::now();
      if (left <= clock::duration::zero()) return 0;
      pollfd p{fd_, events, 0};
      const int r = ::poll(
          &p, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count()));
      if (r < 0 && errno == EINTR) continue;
      if (r != 0) return r;
    }
  }

  int fd_ = -1;
  int connect_error_ = 0;
  int pending_error_ = 0;
};

// ---- the relay ----------------------------------------------------------------------------

inline faults::toxic_spec toxic(std::string_view json) {
  return faults::read_toxic(boost::json::parse(json), "toxic");
}

// An HTTP/1.1 request to the control API: {status, body}; status 0 when there was no answer.
struct http_answer {
  int status = 0;
  std::string body;
};
inline http_answer http_call(const std::string& address, std::string_view method,
                             std::string_view path, std::string_view body = {}) {
  client c(address);
  if (!c.connected()) return {};
  std::string req = std::string(method) + " " + std::string(path) +
                    " HTTP/1.1\r\nHost: toxiproxy\r\nConnection: close\r\n"
                    "Content-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  const auto deadline = clock::now() + 5s;
  if (c.send_all(req, deadline) != 0) return {};
  const auto r = c.read_to_end(deadline);
  http_answer a;
  if (r.data.rfind("HTTP/1.1 ", 0) != 0 || r.data.size() < 12) return a;
  a.status = std::stoi(r.data.substr(9, 3));
  const auto head_end = r.data.find("\r\n\r\n");
  if (head_end != std::string::npos) a.body = r.data.substr(head_end + 4);
  return a;
}

// The upstream server, then a fault_server (destroyed first) with proxy "p" in front of it.
struct relay {
  explicit relay(upstream_server::options o, std::uint64_t seed = 1) : server(o), fault(seed) {
    faults::proxy_spec p;
    p.name = "p";
    p.listen = "127.0.0.1:0";
    p.upstream = server.address();
    proxy_address = fault.add_proxy(p);
  }

  void add(std::string_view toxic_json) { fault.add_toxic("p", toxic(toxic_json)); }
  void remove(const std::string& name) { fault.remove_toxic("p", name); }
  const std::string& api() {
    if (api_address.empty()) api_address = fault.serve_api("127.0.0.1:0");
    return api_address;
  }

  upstream_server server;
  faults::fault_server fault;
  std::string proxy_address;
  std::string api_address;
};

}  // namespace ordeal::test::relay_harness
