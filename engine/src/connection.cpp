#include "connection.hpp"

#include <sys/epoll.h>

#include <cerrno>

#include "tls_context.hpp"
#include "worker.hpp"

namespace ordeal::engine {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr const char* connect_timed_out = "connect timeout";
constexpr const char* handshake_timed_out = "handshake timeout";
constexpr const char* no_h2_by_alpn = "the server did not select h2 by ALPN";
}  // namespace

connection::connection(worker& w, asio::io_context& ioc)
    : think_timer(ioc), worker_(w), socket_(ioc) {}

connection::~connection() = default;

void connection::open() {
  if (state_ == state::closed) connect();
}

void connection::connect() {
  const auto& ep = worker_.endpoint();
  const error_code ec = open_tcp(socket_, ep);
  const auto now = clock::now();
  if (ec) {
    fail_all(outcome::connect, failure_reason(ec), now);
    return;
  }
  state_ = state::connecting;
  connect_started_ = now;
  socket_.async_connect(ep, [this, e = epoch_](const error_code& ec) { on_connect(ec, e); });
}

void connection::on_connect(const error_code& ec, std::uint32_t epoch) {
  if (epoch != epoch_) return;
  const auto now = clock::now();
  error_code release_ec = ec;
  int fd = -1;
  if (!release_ec) {
    // From here on the socket is ours, polled by the worker's own epoll set: Asio's reactor
    // would cost an epoll_ctl or a failed speculative recv per request.
    fd = socket_.release(release_ec);
    if (!release_ec && !worker_.watch(*this, fd)) {
      release_ec = error_code(errno, boost::system::system_category());
      io_.attach(fd, nullptr);  // closed by close()
    }
  }
  if (release_ec) {
    if (fd >= 0 && !io_.open()) io_.attach(fd, nullptr);
    state_ = state::connecting;  // so that close() cleans up
    close();
    fail_all(outcome::connect, failure_reason(release_ec), now);
    return;
  }
  worker_.on_connected(now - connect_started_);
  tls_client_context* tls = worker_.tls();
  if (tls == nullptr) {
    io_.attach(fd, nullptr);
    state_ = state::connected;
    on_established(now);
    return;
  }
  const char* why = nullptr;
  SSL* ssl = tls->make(fd, worker_.cfg().target.host, why);
  io_.attach(fd, ssl);
  if (ssl == nullptr) {
    close();
    fail_all(outcome::tls, why, now);
    return;
  }
  state_ = state::handshaking;
  handshake_started_ = now;
  continue_handshake();
}

void connection::continue_handshake() {
  const io_status step = io_.handshake();
  // After the step: on loopback one call can carry the whole handshake, certificate checks
  // included.
  const auto now = clock::now();
  switch (step) {
    case io_status::ok:
      break;
    case io_status::want_read:
      want_writable(false);
      return;
    case io_status::want_write:
      want_writable(true);
      return;
    case io_status::eof:
    case io_status::error: {
      const char* why = io_.handshake_error();
      close();
      fail_all(outcome::tls, why, now);
      return;
    }
  }
  want_writable(false);
  if (worker_.speaks_h2() && io_.alpn() != alpn_h2) {
    close();
    fail_all(outcome::tls, no_h2_by_alpn, now);
    return;
  }
  worker_.on_handshake(now - handshake_started_, io_.resumed());
  state_ = state::connected;
  on_established(now);
}

void connection::on_events(std::uint32_t events) {
  if (state_ == state::connected) {
    on_io(events);
  } else if (state_ == state::handshaking) {
    continue_handshake();
  }
}

void connection::want_writable(bool on) noexcept {
  if (on == writable_wanted_ || !io_.open()) return;
  writable_wanted_ = on;
  worker_.want_writable(*this, io_.fd(), on);
}

void connection::check_deadlines(clock::time_point now) {
  if (state_ == state::connecting && now - connect_started_ > worker_.cfg().connect_timeout) {
    close();
    fail_all(outcome::connect, connect_timed_out, now);
  } else if (state_ == state::handshaking &&
             now - handshake_started_ > worker_.cfg().tls.handshake_timeout) {
    close();
    fail_all(outcome::tls, handshake_timed_out, now);
  } else if (state_ == state::connected) {
    on_tick(now);
  }
}

void connection::close() noexcept {
  if (state_ == state::closed) return;
  io_.close();  // also leaves the worker's epoll set
  error_code ignored;
  socket_.close(ignored);
  state_ = state::closed;
  writable_wanted_ = false;
  ++epoch_;
  on_closed();
}

}  // namespace ordeal::engine
