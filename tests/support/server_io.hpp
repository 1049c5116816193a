#pragma once

// The server side of one connection for test servers that speak raw bytes over TCP or TLS:
// non-blocking I/O that also waits on a stop signal (an eventfd), so a server can end every
// connection promptly whatever its client does.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace ordeal::test::server_io {

using clock_type = std::chrono::steady_clock;

// A graceful close waits this long for the client's FIN, reading what it still sends, so that
// unread bytes do not turn our close into an RST that could destroy the last frames we wrote.
constexpr auto close_linger = std::chrono::seconds(1);

// A write to a socket the peer closed raises SIGPIPE; OpenSSL's socket BIO uses write(), so
// MSG_NOSIGNAL cannot help there. Blocked in the server's threads, the signal stays pending on
// the thread that caused it (and dies with it) while the write fails with EPIPE.
inline void block_sigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

struct unique_fd {
  explicit unique_fd(int f) : fd(f) {}
  ~unique_fd() {
    if (fd >= 0) ::close(fd);
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  int fd;
};

struct free_ssl_ctx {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
struct free_ssl {
  void operator()(SSL* s) const noexcept { SSL_free(s); }
};
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, free_ssl_ctx>;
using ssl_ptr = std::unique_ptr<SSL, free_ssl>;

inline std::string openssl_errors() {
  std::string s;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    s += std::string(buf) + "; ";
  }
  return s;
}

enum class io_result : std::uint8_t { ok, closed, stopped, timed_out };

// One connection's socket (and TLS session): non-blocking I/O whose every wait also ends when
// the server's stop eventfd becomes readable.
class connection_io {
 public:
  connection_io(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {}

  int fd() const noexcept { return fd_; }
  SSL* ssl() const noexcept { return ssl_.get(); }

  // Until `events` on the socket, the stop signal, or `deadline`.
  io_result wait(short events, clock_type::time_point deadline) const {
    for (;;) {
      int timeout_ms = -1;
      if (deadline != clock_type::time_point::max()) {
        const auto left = deadline - clock_type::now();
        if (left <= clock_type::duration::zero()) return io_result::timed_out;
        timeout_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
      }
      pollfd fds[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
      const int r = ::poll(fds, 2, timeout_ms);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return io_result::closed;
      if (fds[1].revents != 0) return io_result::stopped;
      if (r == 0) continue;  // re-checks the deadline
      return io_result::ok;  // ready, or an error the next read or write reports
    }
  }

  // The socket's next wait: POLLIN, unless TLS asked to write first.
  short wanted_events() const noexcept { return want_; }

  // Whatever is readable now, without waiting: n == 0 when nothing is.
  io_result read_some(char* buf, std::size_t cap, std::size_t& n) {
    n = 0;
    want_ = POLLIN;
    if (!ssl_) {
      const ssize_t r = ::recv(fd_, buf, cap, 0);
      if (r > 0) {
        n = static_cast<std::size_t>(r);
        return io_result::ok;
      }
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return io_result::ok;
      return io_result::closed;
    }
    ERR_clear_error();
    const int r = SSL_read_ex(ssl_.get(), buf, cap, &n);
    if (r == 1) return io_result::ok;
    switch (SSL_get_error(ssl_.get(), r)) {
      case SSL_ERROR_WANT_READ:
        return io_result::ok;
      case SSL_ERROR_WANT_WRITE:
        want_ = POLLOUT;
        return io_result::ok;
      default:
        return io_result::closed;
    }
  }

  // Reads are pending inside TLS that the socket's readiness would not show.
  bool has_pending() const { return ssl_ && SSL_has_pending(ssl_.get()) == 1; }

  // Everything, waiting as long as it takes (a client that never reads holds this until it
  // closes or the server stops).
  io_result write_all(std::string_view bytes) {
    while (!bytes.empty()) {
      std::size_t n = 0;
      short wait_for = POLLOUT;
      if (!ssl_) {
        const ssize_t r = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (r >= 0) {
          n = static_cast<std::size_t>(r);
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          return io_result::closed;
        }
      } else {
        ERR_clear_error();
        const int r = SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &n);
        if (r != 1) {
          n = 0;
          const int e = SSL_get_error(ssl_.get(), r);
          if (e == SSL_ERROR_WANT_READ) {
            wait_for = POLLIN;
          } else if (e != SSL_ERROR_WANT_WRITE) {
            return io_result::closed;
          }
        }
      }
      bytes.remove_prefix(n);
      if (bytes.empty()) break;
      if (n == 0) {
        const io_result w = wait(wait_for, clock_type::time_point::max());
        if (w != io_result::ok) return w;
      }
    }
    return io_result::ok;
  }

  io_result tls_handshake(SSL_CTX* ctx, clock_type::time_point deadline) {
    ssl_.reset(SSL_new(ctx));
    if (!ssl_ || SSL_set_fd(ssl_.get(), fd_) != 1) return io_result::closed;
    SSL_set_accept_state(ssl_.get());
    for (;;) {
      ERR_clear_error();
      const int r = SSL_do_handshake(ssl_.get());
      if (r == 1) return io_result::ok;
      const int e = SSL_get_error(ssl_.get(), r);
      short events = 0;
      if (e == SSL_ERROR_WANT_READ) {
        events = POLLIN;
      } else if (e == SSL_ERROR_WANT_WRITE) {
        events = POLLOUT;
      } else {
        ERR_clear_error();
        return io_result::closed;
      }
      const io_result w = wait(events, deadline);
      if (w != io_result::ok) return w;
    }
  }

  // FIN (after a TLS close_notify), then reads and discards until the client's FIN, the stop
  // signal or close_linger.
  void close_gracefully() {
    if (ssl_) {
      ERR_clear_error();
      SSL_shutdown(ssl_.get());  // best effort: one non-blocking try
      ERR_clear_error();
    }
    ::shutdown(fd_, SHUT_WR);
    drain(clock_type::now() + close_linger);
  }

  // Reads and discards until EOF, an error, the stop signal or `deadline` (raw bytes: under
  // TLS too, as `silent` and a closing connection want).
  void drain(clock_type::time_point deadline) const {
    char buf[4096];
    for (;;) {
      if (wait(POLLIN, deadline) != io_result::ok) return;
      const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
      if (r == 0) return;
      if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return;
    }
  }

 private:
  int fd_;
  int stop_fd_;
  ssl_ptr ssl_;
  short want_ = POLLIN;
};

}  // namespace ordeal::test::server_io
